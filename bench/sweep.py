"""joinup bench sweep: outbox sweep throughput with 1 and 4 worker processes, duplicates and losses counted.

Each run starts from a fresh database holding `count` reminders that are all due, then starts the workers
together; each worker is a separate process with its own engine (like separate `serve` replicas) running
schedules.outbox.sweep.sweep with a deliver step that only records the reminder id (after waiting `--latency-ms`, to
stand for the platform's reply time). Afterwards the ids are counted: a duplicate is an id delivered twice, a
loss is a reminder that is not marked sent.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import queue
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, insert
from sqlmodel import SQLModel, col, select

import storage.models  # noqa: F401  (registers the tables)
from bench.cli import bench, write_result
from schedules.outbox.sweep import sweep
from schedules.settings import ReminderSettings
from schedules.time.clock import SystemClock
from storage.db import make_engine, make_sessions, scratch_postgres_database
from storage.models import Person, Reminder

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_COUNT, TARGET_SECONDS = 100_000, 60.0


@dataclass
class Run:
    """One measured sweep run."""

    backend: str
    workers: int
    record_every: int
    count: int
    latency_ms: int
    concurrency: int
    seconds: float
    delivered: int
    duplicates: int
    lost: int

    @property
    def per_second(self) -> float:
        """Reminders delivered per second."""
        return self.delivered / self.seconds if self.seconds else 0.0


def seed(url: str, count: int) -> None:
    """Create the tables and `count` reminders, all due now, for 50 people who accept reminders at any hour."""
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    now = SystemClock().now()
    with make_sessions(engine).begin() as session:
        people = [
            Person(handle=f"bench-{n}", display_name=f"Bench {n}", quiet_hours_ok=True, created_at=now)
            for n in range(50)
        ]
        session.add_all(people)
        session.flush()
        ids = [p.id for p in people]
        for start in range(0, count, 5000):
            session.execute(
                insert(Reminder),
                [
                    {
                        "dedupe_key": f"bench:{n}",
                        "recipient_person_id": ids[n % len(ids)],
                        "kind": "bench",
                        "subject_kind": "bench",
                        "subject_id": n,
                        "payload": {},
                        "due_at": now - timedelta(seconds=n % 600),
                        "status": "pending",
                        "attempts": 0,
                        "last_error": "",
                        "message_ref": {},
                        "created_at": now,
                    }
                    for n in range(start, min(start + 5000, count))
                ],
            )
    engine.dispose()


def _worker(
    url: str, batch_size: int, record_every: int, latency_ms: int, concurrency: int, start: Any, results: Any
) -> None:
    """One sweeper process: wait for the start signal, sweep until nothing is due, report the ids it sent."""
    engine = make_engine(url)
    delivered: list[int] = []

    async def deliver(reminder: Reminder) -> dict[str, Any]:
        assert reminder.id is not None
        if latency_ms:
            await asyncio.sleep(
                latency_ms / 1000
            )  # the platform's reply time (chat.postMessage, Bot Connector)
        delivered.append(reminder.id)
        return {"bench": True}

    settings = ReminderSettings(
        batch_size=batch_size, lease_seconds=600, record_every=record_every, send_concurrency=concurrency
    )
    start.wait()
    asyncio.run(
        sweep(sessions=make_sessions(engine), clock=SystemClock(), deliver=deliver, settings=settings)
    )
    engine.dispose()
    results.put(delivered)


def measure(
    url: str,
    backend: str,
    *,
    workers: int,
    count: int,
    batch_size: int,
    record_every: int = 1,
    latency_ms: int = 0,
    concurrency: int = 1,
) -> Run:
    """Seed a fresh database and time `workers` sweeper processes delivering every reminder."""
    seed(url, count)
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    processes = [
        context.Process(
            target=_worker, args=(url, batch_size, record_every, latency_ms, concurrency, start, results)
        )
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    time.sleep(1.0)  # let every process import and connect before the clock starts
    began = time.perf_counter()
    start.set()
    counts: Counter[int] = Counter()
    for _ in processes:
        while True:
            try:
                counts.update(results.get(timeout=5))
                break
            except queue.Empty:
                if not any(p.is_alive() for p in processes):
                    raise click.ClickException("a sweeper process died; run with -v to see why") from None
    seconds = time.perf_counter() - began
    for process in processes:
        process.join()
    engine = make_engine(url)
    with make_sessions(engine)() as session:
        sent = session.exec(
            select(func.count()).select_from(Reminder).where(col(Reminder.status) == "sent")
        ).one()
    engine.dispose()
    return Run(
        backend=backend,
        workers=workers,
        record_every=record_every,
        count=count,
        latency_ms=latency_ms,
        concurrency=concurrency,
        seconds=round(seconds, 3),
        delivered=len(counts),
        duplicates=sum(n - 1 for n in counts.values() if n > 1),
        lost=count - int(sent),
    )


def postgres_database(admin_url: str) -> AbstractContextManager[str]:
    """A throwaway PostgreSQL database for one run, dropped afterwards."""
    return scratch_postgres_database(admin_url, prefix="joinup_bench")


@bench.command(
    name="sweep",
    help="Outbox sweep throughput with 1 and 4 workers on SQLite and PostgreSQL; writes sweep.json.",
)
@click.option("--smoke", is_flag=True, help="Small CI size: 2,000 reminders.")
@click.option("--count", default=TARGET_COUNT, show_default=True, help="Due reminders per run.")
@click.option(
    "--workers", "worker_counts", default="1,4", show_default=True, help="Worker counts, comma-separated."
)
@click.option("--batch-size", default=200, show_default=True, help="Reminders each claim takes.")
@click.option(
    "--postgres",
    "postgres_url",
    default=DEFAULT_POSTGRES,
    show_default=True,
    help="A PostgreSQL server where a scratch database may be created; 'none' skips PostgreSQL.",
)
@click.option("--no-sqlite", is_flag=True, help="Skip the SQLite runs.")
@click.option(
    "--record-every",
    "record_every_values",
    default="1",
    show_default=True,
    help="Sends recorded per database write (ReminderSettings.record_every), comma-separated, e.g. 1,100.",
)
@click.option(
    "--latency-ms",
    default=0,
    show_default=True,
    help="Platform reply time each send waits, in milliseconds (0 measures the database path alone).",
)
@click.option(
    "--concurrency",
    "concurrency_values",
    default="8",
    show_default=True,
    help="Sends in flight per sweeper (ReminderSettings.send_concurrency), comma-separated, e.g. 1,8.",
)
@click.option(
    "--name", default="sweep", show_default=True, help="Result file name: bench/results/<name>.json."
)
def sweep_bench(
    smoke: bool,
    count: int,
    worker_counts: str,
    batch_size: int,
    postgres_url: str,
    no_sqlite: bool,
    record_every_values: str = "1",
    latency_ms: int = 0,
    concurrency_values: str = "8",
    name: str = "sweep",
) -> None:
    """Run the sweep benchmark and write bench/results/sweep.json."""
    count = 2000 if smoke else count
    chosen = [int(part) for part in worker_counts.split(",") if part.strip()]
    groupings = [int(part) for part in record_every_values.split(",") if part.strip()]
    concurrencies = [int(part) for part in concurrency_values.split(",") if part.strip()]
    backends = ([] if no_sqlite else ["sqlite"]) + ([] if postgres_url.lower() == "none" else ["postgresql"])
    runs: list[Run] = []
    for record_every, concurrency, workers, backend in itertools.product(
        groupings, concurrencies, chosen, backends
    ):
        with _database(backend, postgres_url) as url:
            runs.append(
                measure(
                    url,
                    backend,
                    workers=workers,
                    count=count,
                    batch_size=batch_size,
                    record_every=record_every,
                    latency_ms=latency_ms,
                    concurrency=concurrency,
                )
            )
        click.echo(_line(runs[-1]))
    summary: dict[str, Any] = {_label(r) + " /s": round(r.per_second) for r in runs}
    summary |= {
        "reminders per run": count,
        "duplicates": sum(r.duplicates for r in runs),
        "lost": sum(r.lost for r in runs),
        "size": "smoke" if smoke else "full",
    }
    for run in runs:
        if run.backend == "postgresql" and run.workers == 4 and run.count >= TARGET_COUNT:
            met = "met" if run.seconds < TARGET_SECONDS else "missed"
            summary[f"target 100,000 in < 60 s, {_setting(run)}"] = met
    series = sorted({(r.backend, _setting(r)) for r in runs})
    plots = [
        {
            "title": "sweep throughput",
            "kind": "line",
            "xlabel": "worker processes",
            "ylabel": "reminders delivered per second",
            "series": [
                {
                    "label": f"{backend}, {setting}",
                    "x": [r.workers for r in runs if (r.backend, _setting(r)) == (backend, setting)],
                    "y": [
                        round(r.per_second) for r in runs if (r.backend, _setting(r)) == (backend, setting)
                    ],
                }
                for backend, setting in series
            ],
        }
    ]
    path = write_result(name, summary=summary, plots=plots, details={"runs": [asdict(r) for r in runs]})
    click.echo(f"wrote {path}")


@contextmanager
def _database(backend: str, postgres_url: str) -> Iterator[str]:
    if backend == "postgresql":
        with postgres_database(postgres_url) as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'sweep.sqlite3'}"


def _setting(run: Run) -> str:
    latency = f", {run.latency_ms} ms platform latency" if run.latency_ms else ""
    return f"{run.concurrency} in flight, record every {run.record_every}{latency}"


def _label(run: Run) -> str:
    return f"{run.backend} {run.workers} worker(s), {_setting(run)}"


def _line(run: Run) -> str:
    return (
        f"{_label(run)}: {run.delivered:,} of {run.count:,} in {run.seconds:.1f} s "
        f"({run.per_second:,.0f}/s), {run.duplicates} duplicates, {run.lost} lost"
    )
