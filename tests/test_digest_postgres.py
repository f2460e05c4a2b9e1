"""Exactly-once digests with four concurrent senders on PostgreSQL (as with four `serve` replicas)."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import col, func, select

from handlers.digest import commands as digest
from handlers.messages import RecordingNotifier
from schedules.time.clock import FakeClock
from storage import audit
from storage.db import make_sessions
from storage.models import AuditEvent, DigestRun, Person, RoleGrant
from tests.test_digest import at, seed_team

pytestmark = pytest.mark.postgres
SENDERS = 4


def test_four_concurrent_senders_send_each_digest_once(pg_engine: Engine) -> None:
    sessions = make_sessions(pg_engine)
    with sessions.begin() as session:
        world = seed_team(session)
        # Forty more managers, so the senders really overlap.
        for number in range(40):
            person = Person(
                handle=f"mgr.extra{number}", display_name=f"Manager {number}", role="practitioner"
            )
            session.add(person)
            session.flush()
            assert person.id is not None
            session.add(RoleGrant(person_id=person.id, role="manager", team_id=world.team_id("front-door")))
    clock = FakeClock(at("2026-11-27 08:30"))
    notifiers = [RecordingNotifier() for _ in range(SENDERS)]
    barrier = threading.Barrier(SENDERS)
    errors: list[BaseException] = []

    def sender(notifier: RecordingNotifier) -> None:
        try:
            barrier.wait()
            for _ in range(3):  # each replica's scheduler fires a few times
                # Small chunks, so the senders' claims interleave.
                asyncio.run(
                    digest.send_due_digests(sessions=sessions, clock=clock, notifier=notifier, chunk_size=5)
                )
        except BaseException as error:  # surfaced below, so the test fails with it
            errors.append(error)

    threads = [threading.Thread(target=sender, args=(n,)) for n in notifiers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    delivered = [person_id for n in notifiers for person_id, _ in n.sent]
    assert len(delivered) == 43  # Kate, Tom, Ben and the forty
    assert len(set(delivered)) == len(delivered)
    with sessions() as session:
        statuses = session.exec(select(DigestRun.status, func.count()).group_by(col(DigestRun.status))).all()
        assert dict(statuses) == {"sent": 43}
        events = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "digest.run")).all()
        audited = [run["to"] for event in events for run in event.data["runs"]]
        assert len(audited) == len(set(audited)) == 43
        assert audit.verify(session=session).is_intact
    # A later run (another replica waking up) finds nothing to do.
    clock.advance(timedelta(minutes=5))
    again = RecordingNotifier()
    asyncio.run(digest.send_due_digests(sessions=sessions, clock=clock, notifier=again))
    assert again.sent == []


def test_a_failed_delivery_is_retaken_once_on_postgresql(pg_engine: Engine) -> None:
    from tests.test_digest import FlakyNotifier

    sessions = make_sessions(pg_engine)
    with sessions.begin() as session:
        seed_team(session)
    clock = FakeClock(at("2026-11-27 08:30"))
    notifier = FlakyNotifier()
    first = asyncio.run(digest.send_due_digests(sessions=sessions, clock=clock, notifier=notifier))
    assert (first.sent, first.failed) == (0, 3)
    clock.advance(timedelta(seconds=30))
    second = asyncio.run(digest.send_due_digests(sessions=sessions, clock=clock, notifier=notifier))
    assert (second.sent, second.failed) == (3, 0)
    assert len(notifier.sent) == 3
    with sessions() as session:
        assert set(session.exec(select(DigestRun.status)).all()) == {"sent"}
