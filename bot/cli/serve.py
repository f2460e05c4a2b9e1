"""joinup serve: the web server for Slack and Teams, with its worker process; joinup worker: a worker pool."""

from __future__ import annotations

import asyncio
import copy
import logging
import signal
from typing import Any

import click
import uvicorn

from bot.cli.common import load_settings
from bot.cli.serving import (
    ServeOptions,
    build_process_runtime,
    build_server,
    build_web_process,
    export_options,
    migrate_once,
    start_worker_process,
    stop_worker_processes,
    worker_wake_ports,
)
from bot.config import privacy_contact_warning
from bot.logs import chosen_format, uvicorn_log_config
from bot.metrics import start_metrics_server
from bot.scheduler import build_scheduler
from bot.slack.routes import with_socket_mode
from bot.web import build_web_app
from bot.web_guard import AccessLogTokenFilter, HeaderTimeoutProtocol

__all__ = ["build_server", "log_config", "serve", "worker"]

log = logging.getLogger(__name__)


@click.command(
    help="Run the web server: Slack events, Teams activities, health checks and the directory feed. "
    "The web processes only store and acknowledge requests; a worker process beside them does the work "
    "and runs the scheduled jobs."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on (0 picks a free one).")
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Web processes acknowledging requests (uvicorn workers sharing the port).",
)
@click.option("--no-scheduler", is_flag=True, help="Don't run the sweep and digest jobs here.")
@click.option(
    "--no-worker",
    is_flag=True,
    help="Only store and acknowledge requests here; separate `joinup worker` processes answer them.",
)
@click.option(
    "--in-process-worker",
    is_flag=True,
    help="Do the work and the jobs in the web process itself, as one process (small or local set-ups).",
)
@click.option(
    "--work-processes",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes answering the stored requests (one per core to use them all).",
)
@click.option(
    "--concurrency", default=8, show_default=True, help="Requests each worker process works on at once."
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
    help="Also receive Slack over Socket Mode (local development; needs an app token; one web process).",
)
def serve(
    host: str,
    port: int,
    database_url: str | None,
    workers: int,
    no_scheduler: bool,
    no_worker: bool,
    in_process_worker: bool,
    work_processes: int,
    concurrency: int,
    access_log: bool,
    socket_mode: bool,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
) -> None:
    """Start the server (and its worker process)."""
    if no_worker and in_process_worker:
        raise click.UsageError("--no-worker and --in-process-worker contradict each other.")
    if socket_mode and workers > 1:
        raise click.UsageError("--socket-mode needs one web process (--workers 1).")
    if metrics_port is not None and workers > 1:
        # Each web process counts its own requests; with several, scrape /metrics with the token instead.
        raise click.UsageError(
            "--metrics-port needs one web process (--workers 1); with more, set JOINUP_METRICS__TOKEN."
        )
    migrate_once(database_url)
    warning = privacy_contact_warning(load_settings(database_url))
    if warning is not None:
        log.warning(warning)  # the pages still serve; they say who to ask instead
    separate_worker = not no_worker and not in_process_worker
    wake_ports = worker_wake_ports(work_processes) if separate_worker else ()
    options = ServeOptions(
        database_url=database_url,
        # The scheduler runs in the worker process when there is one; otherwise in the web process.
        with_scheduler=not no_scheduler and not separate_worker,
        with_inbox_worker=in_process_worker,
        wake_ports=wake_ports,
    )
    children = [
        start_worker_process(
            database_url=database_url,
            wake_port=wake_port,
            # The scheduled jobs run once, in the first worker process.
            with_scheduler=not no_scheduler and number == 0,
            concurrency=concurrency,
        )
        for number, wake_port in enumerate(wake_ports)
    ]
    server_options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "info",
        "access_log": access_log,
        "log_config": log_config(),
        "http": HeaderTimeoutProtocol,
        "timeout_keep_alive": 5,
        "h11_max_incomplete_event_size": 16 * 1024,  # request line and headers: 16 KB is plenty
    }
    try:
        if workers == 1:
            runtime, app = build_web_process(options, migrated=True)
            if metrics_port is not None:
                start_metrics_server(runtime, app.state.refusals, host=metrics_host, port=metrics_port)
            if socket_mode:
                app = with_socket_mode(app, runtime)
            uvicorn.run(app, **server_options)
        else:
            export_options(options)
            uvicorn.run("bot.cli.serving:app_factory", factory=True, workers=workers, **server_options)
    finally:
        stop_worker_processes(children)


@click.command(help="Run inbox workers and the scheduled jobs without the web server (a dedicated pool).")
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
@click.option("--no-scheduler", is_flag=True, help="Don't run the sweep and digest jobs in this process.")
@click.option("--concurrency", default=8, show_default=True, help="Requests worked on at once.")
@click.option(
    "--wake-port",
    type=int,
    default=None,
    help="Claim as soon as a web process nudges this local UDP port (set by `joinup serve`).",
)
def worker(database_url: str | None, no_scheduler: bool, concurrency: int, wake_port: int | None) -> None:
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
        if wake_port is not None:
            await runtime.inbox.wake_on(wake_port)
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
