"""How `joinup serve` lays out its processes: acknowledging web processes, and the process that does the work.

By default `serve` runs one inbox worker process (`--work-processes N` for more) beside the web process(es): the web processes only verify,
store and acknowledge (one short insert each, then a UDP nudge to the worker), and the worker process claims
the stored requests, does their work (search, tracking, rendering, posting the reply) and runs the scheduled
jobs. Handler work never shares an event loop, or a CPU, with the acks. `--workers N` runs N uvicorn web
processes, each built by `app_factory` from the options `serve` leaves in the environment.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import asdict, dataclass

from fastapi import FastAPI

from bot.cli.common import load_settings, open_engine
from bot.config import require_audit_key, require_link_secret, require_platform_secrets
from bot.inbox.wake import WakeSender, free_udp_port
from bot.notify import build_routing_notifier
from bot.runtime import Runtime, build_runtime
from bot.scheduler import build_scheduler
from bot.web import build_web_app
from directory.index import current_index
from schedules.time.clock import Clock, FileClock, SystemClock
from storage import migrate
from storage.db import make_sessions

OPTIONS_ENV = "JOINUP_SERVE_PROCESS_OPTIONS"  # set by `serve` for the uvicorn worker processes it starts


@dataclass(frozen=True)
class ServeOptions:
    """What each web process needs to know about how `serve` was started."""

    database_url: str | None
    with_scheduler: bool
    with_inbox_worker: bool
    wake_ports: tuple[int, ...] = ()  # the worker processes' nudge ports, when there are any


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


def build_process_runtime(database_url: str | None, *, migrated: bool = False) -> Runtime:
    """Settings, database (migrated unless the parent process did it), notifier and runtime for one process."""
    settings = load_settings(database_url)
    require_platform_secrets(settings)
    require_link_secret(settings)
    require_audit_key(settings)
    engine = open_engine(settings)
    if not migrated:
        migrate.upgrade(engine)
    notifier = build_routing_notifier(settings, make_sessions(engine))
    clock: Clock = FileClock(settings.clock_file) if settings.clock_file else SystemClock()
    return build_runtime(settings=settings, clock=clock, notifier=notifier, engine=engine)


def build_web_process(options: ServeOptions, *, migrated: bool = False) -> tuple[Runtime, FastAPI]:
    """One web process's runtime and app, from `serve`'s options."""
    runtime = build_process_runtime(options.database_url, migrated=migrated)
    if runtime.inbox is not None and options.wake_ports:
        runtime.inbox.wake_sender = WakeSender(*options.wake_ports)
    app = build_server(
        runtime, with_scheduler=options.with_scheduler, with_inbox_worker=options.with_inbox_worker
    )
    return runtime, app


def app_factory() -> FastAPI:
    """uvicorn's import-string factory for `serve --workers N`: each web process builds its own runtime."""
    found = json.loads(os.environ[OPTIONS_ENV])
    options = ServeOptions(**(found | {"wake_ports": tuple(found.get("wake_ports") or ())}))
    if sys.platform.startswith("linux"):
        _die_with_parent()  # a web process goes with `serve`'s supervisor, even when that is SIGKILLed
    return build_web_process(options, migrated=True)[1]


def export_options(options: ServeOptions) -> None:
    """Leave the options where `app_factory` finds them in each uvicorn worker process."""
    os.environ[OPTIONS_ENV] = json.dumps(asdict(options))


def migrate_once(database_url: str | None) -> None:
    """Check the settings and bring the database up to date before any process serves from it."""
    settings = load_settings(database_url)
    require_platform_secrets(settings)
    require_link_secret(settings)
    require_audit_key(settings)
    engine = open_engine(settings)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def _die_with_parent() -> None:
    # Linux: a child of `serve` is killed with it, even by SIGKILL, so no orphan keeps acking or claiming.
    PR_SET_PDEATHSIG = 1
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def start_worker_process(
    *, database_url: str | None, wake_port: int, with_scheduler: bool, concurrency: int
) -> subprocess.Popen[bytes]:
    """Start `joinup worker` beside the web processes, listening for nudges on `wake_port`."""
    args = [sys.executable, "-c", "from bot.cli import main; main()", "worker", "--wake-port", str(wake_port)]
    args += ["--concurrency", str(concurrency)]
    if database_url:
        args += ["--db", database_url]
    if not with_scheduler:
        args.append("--no-scheduler")
    preexec = _die_with_parent if sys.platform.startswith("linux") else None
    return subprocess.Popen(args, preexec_fn=preexec)


def stop_worker_processes(processes: list[subprocess.Popen[bytes]]) -> None:
    """Ask every worker to stop at once, let each finish the work it holds, then make sure they are gone."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.terminate()
    for process in running:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def worker_wake_ports(count: int) -> tuple[int, ...]:
    """`count` different free local UDP ports, one for each worker process's nudges."""
    ports: list[int] = []
    while len(ports) < count:
        if (port := free_udp_port()) not in ports:
            ports.append(port)
    return tuple(ports)
