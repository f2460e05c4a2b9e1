"""The outbox sweep on PostgreSQL: concurrent sweepers deliver each reminder exactly once, and nothing is lost."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert
from sqlmodel import SQLModel, select

from schedules.outbox.sweep import SweepReport, claim_due, sweep
from schedules.settings import ReminderSettings
from schedules.time.clock import FakeClock
from storage.db import make_engine, make_sessions
from storage.models import Person, Reminder

pytestmark = pytest.mark.postgres

COUNT = 5000


def seed(engine: Engine, clock: FakeClock, count: int) -> None:
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        people = [Person(handle=f"person-{n}", display_name=f"Person {n}") for n in range(20)]
        session.add_all(people)
        session.flush()
        rows: list[dict[str, Any]] = [
            {
                "dedupe_key": f"bench:{n}",
                "recipient_person_id": people[n % len(people)].id,
                "kind": "test",
                "subject_kind": "test",
                "subject_id": n,
                "payload": {},
                "due_at": clock.now() - timedelta(minutes=n % 60),
                "status": "pending",
                "attempts": 0,
                "last_error": "",
                "message_ref": {},
                "created_at": clock.now(),
            }
            for n in range(count)
        ]
        session.execute(insert(Reminder), rows)


class SharedRecorder:
    """Counts deliveries across threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[int] = Counter()

    async def __call__(self, reminder: Reminder) -> dict[str, Any]:
        assert reminder.id is not None
        with self.lock:
            self.counts[reminder.id] += 1
        await asyncio.sleep(0)
        return {"ok": True}


def run_sweepers(
    url: str, clock: FakeClock, deliver: SharedRecorder, workers: int, *, record_every: int = 1
) -> list[SweepReport]:
    reports: list[SweepReport] = []
    barrier = threading.Barrier(workers)
    settings = ReminderSettings(batch_size=50, record_every=record_every)

    def work() -> None:
        engine = make_engine(url)  # each sweeper has its own connections, like a separate replica
        try:
            barrier.wait()
            report = asyncio.run(
                sweep(sessions=make_sessions(engine), clock=clock, deliver=deliver, settings=settings)
            )
            reports.append(report)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return reports


@pytest.mark.parametrize("record_every", [1, 25])
def test_four_sweepers_deliver_each_reminder_exactly_once(
    postgres_url: str, clock: FakeClock, record_every: int
) -> None:
    engine = make_engine(postgres_url)
    SQLModel.metadata.create_all(engine)
    seed(engine, clock, COUNT)
    deliver = SharedRecorder()

    reports = run_sweepers(postgres_url, clock, deliver, workers=4, record_every=record_every)

    assert len(deliver.counts) == COUNT
    assert max(deliver.counts.values()) == 1
    assert sum(r.sent for r in reports) == COUNT
    assert all(r.sent > 0 for r in reports), "every sweeper should have taken a share"
    with make_sessions(engine)() as session:
        assert {r.status for r in session.exec(select(Reminder))} == {"sent"}
    engine.dispose()


def test_a_sweeper_killed_mid_batch_loses_nothing(postgres_url: str, clock: FakeClock) -> None:
    engine = make_engine(postgres_url)
    SQLModel.metadata.create_all(engine)
    seed(engine, clock, 500)
    settings = ReminderSettings(batch_size=100, lease_seconds=120)
    with make_sessions(engine).begin() as session:  # this sweeper claims a batch and is killed
        abandoned = claim_due(session=session, now=clock.now(), settings=settings)
    assert len(abandoned.reminders) == 100
    deliver = SharedRecorder()

    run_sweepers(postgres_url, clock, deliver, workers=4)
    assert len(deliver.counts) == 400  # the dead sweeper's rows are still leased
    clock.advance(timedelta(seconds=121))
    run_sweepers(postgres_url, clock, deliver, workers=4)

    assert len(deliver.counts) == 500 and max(deliver.counts.values()) == 1
    assert {r.id for r in abandoned.reminders} <= set(deliver.counts)
    engine.dispose()
