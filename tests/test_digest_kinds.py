"""The manager's digest counts call backs and information requests apart from referrals, and lists a
request overdue from the manager's team."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from handlers.digest.commands import build_for
from handlers.digest.render import render_digest
from schedules.time.clock import FakeClock
from storage.models import Person
from tests.test_mine_owed import owed_to_the_front_door
from tests.test_tracking_chat import Chat


@pytest.fixture
def chat(sessions: sessionmaker[Session], clock: FakeClock) -> Chat:
    return Chat(sessions, clock)


async def test_the_front_door_managers_digest_counts_each_kind_and_shows_the_overdue_request(
    chat: Chat,
) -> None:
    await owed_to_the_front_door(chat)
    now = datetime(2027, 1, 15, 9, tzinfo=UTC)  # the chronology was due by 14 January
    with chat.sessions() as session:
        tom = session.exec(select(Person).where(col(Person.handle) == "mgr.tom")).one()
        digest = build_for(session=session, person=tom, now=now)
    counts = digest.counts
    assert (counts["owed_referral"], counts["owed_callback"], counts["owed_information_request"]) == (1, 1, 1)
    assert counts["owed_information_request_overdue"] == 1
    assert counts["awaiting_callback"] == 1  # Jo's call back from the LADO
    reply = render_digest(digest)
    shown = {f.label: f.value for f in reply.fields}
    assert shown["Call backs your teams owe"] == "1"
    assert shown["Information requests asked of your teams"] == "1"
    assert shown["Information requests overdue from your teams"] == "1"
    assert shown["Referrals your teams owe a response on"] == "1"
    owed = next(s for s in reply.sections if s.title.startswith("Your teams owe a response"))
    assert owed.title == "Your teams owe a response (3: 1 referral, 1 call back, 1 information request)"
    assert "TI-0003 (case NB-204520) from Health visiting: information, 1 working day overdue" in owed.text
