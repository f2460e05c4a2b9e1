"""joinup serve: the web server for Slack and Teams, with the scheduled jobs."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import click
import uvicorn
from fastapi import FastAPI

from bot.cli.common import load_settings, open_engine
from bot.config import require_audit_key, require_link_secret, require_platform_secrets
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


def build_server(runtime: Runtime, *, with_scheduler: bool = True) -> FastAPI:
    """Build the FastAPI app; the search index is built at start-up and the scheduler runs with the app."""
    app = build_web_app(runtime)
    scheduler = build_scheduler(runtime) if with_scheduler else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(warm_directory_index, runtime)
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)

    app.router.lifespan_context = lifespan
    return app


@click.command(
    help="Run the web server: Slack events, Teams activities, health checks and the directory feed."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on (0 picks a free one).")
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
@click.option("--no-scheduler", is_flag=True, help="Don't run the sweep and digest jobs in this process.")
@click.option(
    "--socket-mode",
    is_flag=True,
    help="Also receive Slack over Socket Mode (local development; needs an app token).",
)
def serve(host: str, port: int, database_url: str | None, no_scheduler: bool, socket_mode: bool) -> None:
    """Start the server."""
    settings = load_settings(database_url)
    require_platform_secrets(settings)
    require_link_secret(settings)
    require_audit_key(settings)
    engine = open_engine(settings)
    migrate.upgrade(engine)
    notifier = build_routing_notifier(settings, make_sessions(engine))
    clock: Clock = FileClock(settings.clock_file) if settings.clock_file else SystemClock()
    runtime = build_runtime(settings=settings, clock=clock, notifier=notifier, engine=engine)
    server = build_server(runtime, with_scheduler=not no_scheduler)
    if socket_mode:
        server = with_socket_mode(server, runtime)
    uvicorn.run(
        server,
        host=host,
        port=port,
        log_level="info",
        log_config=log_config(),
        http=HeaderTimeoutProtocol,
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=16 * 1024,  # request line and headers: 16 KB is plenty
    )


def log_config() -> dict[str, Any]:
    """uvicorn's logging set-up, with sign-in tokens kept out of the access log."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["strip_tokens"] = {"()": AccessLogTokenFilter}
    config["handlers"]["access"].setdefault("filters", []).append("strip_tokens")
    return config
