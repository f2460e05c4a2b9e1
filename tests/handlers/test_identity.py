"""Who sent a message: an e-mail learnt after first contact links, fills in, or is flagged as a clash."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from handlers.identity import resolve_person
from handlers.messages import InboundMessage
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, Person

CLOCK = FakeClock(datetime(2026, 11, 25, 10, tzinfo=UTC))


def _meet(sessions: sessionmaker[Session], email: str | None) -> Person:
    msg = InboundMessage(platform="slack", sender_key="U0LATE", text="help", sender_email=email)
    with sessions.begin() as session:
        person = resolve_person(session=session, clock=CLOCK, msg=msg, default_nation="ENG")
        session.flush()
        session.expunge(person)
    return person


def _actions(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.exec(select(AuditEvent.action)).all())


def test_an_email_nobody_holds_is_stored(sessions: sessionmaker[Session]) -> None:
    first = _meet(sessions, None)
    again = _meet(sessions, "late.starter@example.org")
    assert again.id == first.id and again.email == "late.starter@example.org"
    assert "person.email_learned" in _actions(sessions)


def test_someone_already_using_joinup_is_not_moved_and_the_clash_is_audited(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        session.add(
            Person(handle="hv.amy", display_name="Amy", email="hv.amy@example.org", created_at=CLOCK.now())
        )
    first = _meet(sessions, None)
    with sessions.begin() as session:
        met = session.get(Person, first.id)
        assert met is not None
        met.is_onboarded = True  # they answered the set-up questions and may have items by now
    again = _meet(sessions, "hv.amy@example.org")
    assert again.id == first.id and again.slack_user_id == "U0LATE"
    assert "person.email_clash" in _actions(sessions)
