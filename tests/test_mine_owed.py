"""`mine` for a front-door social worker: what they wait on others for, and what others wait on their team
for (referrals to acknowledge, call backs owed, information asked of the team), overdue first, with the
buttons to act. The Slack App Home and the Teams card show the same (tests/slack, tests/teams)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from schedules.time.clock import FakeClock
from tests.test_tracking_chat import Chat, utc


@pytest.fixture
def chat(sessions: sessionmaker[Session], clock: FakeClock) -> Chat:
    return Chat(sessions, clock)


async def owed_to_the_front_door(chat: Chat) -> None:
    """Amy (health visiting) waits on the front door three ways; Jo (front door) waits on the LADO."""
    await chat.say("hv.amy", "refer front door case NB-204518 by phone")  # TI-0001
    await chat.say("hv.amy", "callback front door case NB-204519 by 11am")  # TI-0002, due first
    await chat.say("hv.amy", "ask front door case NB-204520 for a chronology by 14/01/2027")  # TI-0003
    await chat.say("sw.jo", "callback lado case NB-204521 by 4pm")  # TI-0004


async def test_mine_for_a_front_door_social_worker_lists_what_their_team_owes(chat: Chat) -> None:
    await owed_to_the_front_door(chat)
    chat.clock.set(utc(11, 25, 12))  # the call back owed by 11am is now overdue
    mine = await chat.say("sw.jo", "mine")
    assert mine.text == (
        "You're waiting on 1 item and your team has 3 to answer (1 referral to acknowledge, 1 call back, "
        "1 information request); 1 overdue."
    )
    titles = [s.title for s in mine.sections]
    assert titles[0] == "Waiting on others"
    assert titles[1].startswith("TI-0004 · NB-204521 → ") and titles[1].endswith("(call back)")
    assert titles[2] == "Others waiting on you"
    owed = mine.sections[3:]
    assert [s.title.split(" · ")[0] for s in owed] == ["TI-0002", "TI-0001", "TI-0003"]  # overdue first
    assert owed[0].text.startswith("Call back overdue")
    assert [b.label for b in owed[0].buttons] == ["Called back", "Can't today, by …"]
    assert [b.label for b in owed[1].buttons] == ["Acknowledge", "Add feedback"]
    assert owed[2].title.endswith("(information request: a chronology)")
    assert [b.label for b in owed[2].buttons] == ["Received", "Sent"]
    assert [b.label for b in mine.sections[1].buttons] == ["They called back", "Still waiting"]

    # Jo presses Called back from the list: the call back is closed and leaves it.
    await chat.press("sw.jo", mine.sections[3].buttons[0])
    again = await chat.say("sw.jo", "mine")
    assert "TI-0002" not in " ".join(s.title for s in again.sections)


async def test_mine_for_the_person_waiting_shows_each_kind_with_its_buttons(chat: Chat) -> None:
    await owed_to_the_front_door(chat)
    mine = await chat.say("hv.amy", "mine")
    assert mine.text == "You're waiting on 3 items."
    by_ref = {s.title.split(" · ")[0]: s for s in mine.sections}
    assert [b.label for b in by_ref["TI-0002"].buttons] == ["They called back", "Still waiting"]
    assert [b.label for b in by_ref["TI-0003"].buttons] == ["I tried again", "They sent it", "Withdraw"]
