"""Public directory entries never publish a staff member's own mobile or personal e-mail address."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, func, select

from directory.document import DirectoryInvalid, Problem
from directory.importer import import_text
from schedules.time.clock import FakeClock
from storage.models import ContactRoute, Team

ENTRY = """\
version: 1
agencies:
  - key: test-agency
    name: Test agency
    kind: health
    teams:
      - key: test-team
        name: Test team
        purpose: Family support in the north
        hours:
          mon: ["09:00-17:00"]
        routes:
          - key: test-phone
            kind: phone
            value: 0161 496 0001
            how_to_leave_message: Leave a message with the duty worker.
"""


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


def _problems(session: Session, clock: FakeClock, text: str) -> list[Problem]:
    with pytest.raises(DirectoryInvalid) as raised:
        import_text(session=session, clock=clock, text=text, file="bad.yaml", fmt="yaml", actor="admin.nadia")
    return raised.value.problems


def _routes(session: Session) -> int:
    return session.exec(select(func.count(col(ContactRoute.id)))).one()


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ("value: 0161 496 0001", "value: 07700 900456", "value", "test-phone is a mobile number"),
        ("value: 0161 496 0001", "value: +44 7700 900456", "value", "test-phone is a mobile number"),
        (
            "kind: phone\n            value: 0161 496 0001",
            "kind: secure_email\n            value: sam.worker@gmail.com",
            "value",
            "test-phone is a personal e-mail address",
        ),
        (
            "with the duty worker.",
            "with the duty worker, or text Sam on 07700 900456.",
            "how_to_leave_message",
            "holds a mobile number",
        ),
        (
            "Family support in the north",
            "Family support; out of hours sam.w(at)hotmail.co.uk",
            "purpose",
            "holds a personal e-mail address",
        ),
    ],
)
def test_personal_contacts_in_a_public_entry_are_refused(
    session: Session, clock: FakeClock, old: str, new: str, field: str, words: str
) -> None:
    assert old in ENTRY
    found = _problems(session, clock, ENTRY.replace(old, new))
    assert [(p.field, words in p.message) for p in found] == [(field, True)], found
    assert "public: false" in found[0].message or "work mailboxes" in found[0].message
    assert session.exec(select(func.count(col(Team.id)))).one() == 0 and _routes(session) == 0


def test_a_work_mobile_on_a_private_route_is_allowed(session: Session, clock: FakeClock) -> None:
    private = ENTRY.replace("value: 0161 496 0001", "value: 07700 900456\n            public: false")
    import_text(session=session, clock=clock, text=private, file="ok.yaml", fmt="yaml", actor="admin.nadia")
    assert _routes(session) == 1


def test_a_work_address_and_landline_pass(session: Session, clock: FakeClock) -> None:
    text = ENTRY.replace(
        "with the duty worker.", "with the duty worker or e-mail support@northbrook.example.org."
    )
    import_text(session=session, clock=clock, text=text, file="ok.yaml", fmt="yaml", actor="admin.nadia")
    assert _routes(session) == 1
