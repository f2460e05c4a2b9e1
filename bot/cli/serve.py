"""joinup serve: the web server for Slack and Teams, with the scheduled jobs."""

from __future__ import annotations

import asyncio
import copy
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import click
import uvicorn
from fastapi import FastAPI

from bot.cli.common import load_settings, open_engine
from bot.config import require_audit_key, require_link_secret, require_platform_secrets
from bot.logs import chosen_format, uvicorn_log_config
from bot.metrics import start_metrics_server
from bot.notify import build_routing_notifier
from bot.runtime import Runtime, build_runtime
from bot.scheduler import build_scheduler
from bot.slack.routes import with_socket_mode
from bot.web import build_web_app
from bot.web_guard import AccessLogTokenFilter, HeaderTimeoutProtocol
from directory.index import current_index
from schedules.time.clock import Clock, FileClock, SystemClock
from storage import migrate
from storage.db import make_sessions


def warm_directory_index(runtime: Runtime) -> None:
    """Build the directory search index before the first request, so nobody waits for it (seconds for a
    large directory; see `joinup bench search`)."""
    with runtime.sessions() as session:
        current_index(session, at=runtime.clock.now())


def build_server(runtime: Runtime, *, with_scheduler: bool = True, with_inbox_worker: bool = True) -> FastAPI:
    """Build the FastAPI app; the search index is built at start-up and the scheduler runs with the app."""
    app = build_web_app(runtime)
    scheduler = build_scheduler(runtime) if with_scheduler else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(warm_directory_index, runtime)
        if scheduler is not None:
            scheduler.start()
        if runtime.inbox is not None:
            # Workers start with the server, so requests a stopped or killed replica acknowledged are done.
            runtime.inbox.is_worker = with_inbox_worker
            runtime.inbox.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            if runtime.inbox is not None:
                await runtime.inbox.stop()

    app.router.lifespan_context = lifespan
    return app


def build_process_runtime(database_url: str | None) -> Runtime:
    """Settings, database (migrated), notifier and runtime for one serving or working process."""
    settings = load_settings(database_url)
    require_platform_secrets(settings)
    require_link_secret(settings)
    require_audit_key(settings)
    engine = open_engine(settings)
    migrate.upgrade(engine)
    notifier = build_routing_notifier(settings, make_sessions(engine))
    clock: Clock = FileClock(settings.clock_file) if settings.clock_file else SystemClock()
    return build_runtime(settings=settings, clock=clock, notifier=notifier, engine=engine)


@click.command(
    help="Run the web server: Slack events, Teams activities, health checks and the directory feed."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on (0 picks a free one).")
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
@click.option("--no-scheduler", is_flag=True, help="Don't run the sweep and digest jobs in this process.")
@click.option(
    "--no-worker",
    is_flag=True,
    help="Only store and acknowledge requests here; `joinup worker` processes answer them.",
)
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_default=True,
    help="Log one line per HTTP request (paths and statuses only; off by default).",
)
@click.option(
    "--metrics-port",
    type=int,
    default=None,
    help="Serve GET /metrics without a token on this port too (bind it where only Prometheus reaches).",
)
@click.option(
    "--metrics-host", default="127.0.0.1", show_default=True, help="Address the metrics port listens on."
)
@click.option(
    "--socket-mode",
    is_flag=True,
    help="Also receive Slack over Socket Mode (local development; needs an app token).",
)
def serve(
    host: str,
    port: int,
    database_url: str | None,
    no_scheduler: bool,
    no_worker: bool,
    access_log: bool,
    socket_mode: bool,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
) -> None:
    """Start the server."""
    runtime = build_process_runtime(database_url)
    server = build_server(runtime, with_scheduler=not no_scheduler, with_inbox_worker=not no_worker)
    if metrics_port is not None:
        start_metrics_server(runtime, server.state.refusals, host=metrics_host, port=metrics_port)
    if socket_mode:
        server = with_socket_mode(server, runtime)
    uvicorn.run(
        server,
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
        log_config=log_config(),
        http=HeaderTimeoutProtocol,
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=16 * 1024,  # request line and headers: 16 KB is plenty
    )


@click.command(help="Run inbox workers and the scheduled jobs without the web server (a dedicated pool).")
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
@click.option("--no-scheduler", is_flag=True, help="Don't run the sweep and digest jobs in this process.")
@click.option("--concurrency", default=8, show_default=True, help="Requests worked on at once.")
def worker(database_url: str | None, no_scheduler: bool, concurrency: int) -> None:
    """Claim and work on inbox rows until stopped (SIGINT or SIGTERM)."""
    runtime = build_process_runtime(database_url)
    # Building the web app registers each enabled platform's inbox kinds; it serves nothing here.
    build_web_app(runtime)
    assert runtime.inbox is not None
    runtime.inbox.concurrency = concurrency
    scheduler = None if no_scheduler else build_scheduler(runtime)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        assert runtime.inbox is not None
        if scheduler is not None:
            scheduler.start()
        runtime.inbox.start()
        click.echo("joinup worker running; Ctrl+C stops it.", err=True)
        await stop.wait()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        await runtime.inbox.stop()

    asyncio.run(run())


def log_config() -> dict[str, Any]:
    """uvicorn's logging set-up, with sign-in tokens kept out of the access log, redacted, in the chosen format."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["strip_tokens"] = {"()": AccessLogTokenFilter}
    config["handlers"]["access"].setdefault("filters", []).append("strip_tokens")
    return uvicorn_log_config(config, chosen_format())
