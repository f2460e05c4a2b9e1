"""The outbox API: scheduling is idempotent by dedupe key; cancel and the queries see only pending rows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from schedules.outbox import rows as outbox
from schedules.time.clock import FakeClock
from storage.models import Person


def test_schedule_cancel_and_query(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    with sessions.begin() as session:
        person = Person(handle="hv.amy", display_name="Amy")
        session.add(person)
        session.flush()
        assert person.id is not None

        def add(key: str, kind: str, hours: int) -> object:
            return outbox.schedule(
                session=session,
                clock=clock,
                dedupe_key=key,
                recipient_person_id=person.id or 0,
                kind=kind,
                due_at=clock.now() + timedelta(hours=hours),
                subject_kind="item",
                subject_id=7,
            )

        assert add("a", "ack_chase", 2) is not None
        assert add("a", "ack_chase", 1) is None  # the same dedupe key is scheduled once
        assert add("b", "feedback_chase", 3) is not None
        assert [
            r.dedupe_key for r in outbox.pending_for(session=session, subject_kind="item", subject_id=7)
        ] == ["a", "b"]
        assert outbox.next_due_at(session=session) == clock.now() + timedelta(hours=2)

        assert outbox.cancel(session=session, subject_kind="item", subject_id=7, kinds=["ack_chase"]) == 1
        assert outbox.next_due_at(session=session) == clock.now() + timedelta(hours=3)
        assert outbox.cancel(session=session, subject_kind="item", subject_id=7) == 1
        assert outbox.cancel(session=session, subject_kind="item", subject_id=7) == 0
        assert outbox.pending_for(session=session, subject_kind="item", subject_id=7) == []
        assert outbox.next_due_at(session=session) is None
