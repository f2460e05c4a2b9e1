"""Information requests end to end in the console: asked by a date or a meeting (a conference's reports
due the working days before it that the area's policy sets), warned the working day before the meeting,
received, sent and withdrawn; refusals store nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, func, select

from schedules.time.clock import FakeClock
from storage.models import TrackedItem
from tests.test_tracking_chat import Chat, button


@pytest.fixture
def chat(sessions: sessionmaker[Session], clock: FakeClock) -> Chat:
    return Chat(sessions, clock)


def _count(chat: Chat) -> int:
    with chat.sessions() as session:
        return int(session.exec(select(func.count()).select_from(TrackedItem)).one())


async def test_a_request_for_an_icpc_is_due_by_the_policy_and_warns_both_sides_the_day_before(
    chat: Chat,
) -> None:
    reply = await chat.say("hv.amy", "ask front door case NB-204519 for a chronology by icpc on 12/01/2027")
    assert reply.text.startswith(
        "Logged TI-0001: you asked Children's front door (MASH) for a chronology about NB-204519, due by "
        "5:15pm on Thursday 7 January 2027: 3 working days before the ICPC on Tuesday 12 January 2027 "
        "(check your local procedures"
    ), reply.text
    assert "I'll warn you both the working day before the ICPC" in reply.text
    assert [b.label for b in reply.buttons] == ["They sent it", "Withdraw"]
    await chat.sweep()
    (asked,) = chat.inbox("mgr.tom")
    assert asked.text.startswith("NB-204519: Amy Hughes (Health visiting) asks your team for a chronology by")
    assert "It's for the ICPC on Tuesday 12 January 2027." in asked.text
    await chat.press("mgr.tom", button(asked, "request_received"))

    await chat.advance_to(datetime(2027, 1, 10, 12, tzinfo=UTC))
    chat.inbox("hv.amy"), chat.inbox("mgr.tom")  # the chases after the due date, covered elsewhere
    await chat.advance_to(datetime(2027, 1, 11, 12, tzinfo=UTC))
    warned_amy = [r for r in chat.inbox("hv.amy") if "the ICPC is on Tuesday 12 January 2027" in r.text]
    warned_tom = [r for r in chat.inbox("mgr.tom") if "the ICPC is on Tuesday 12 January 2027" in r.text]
    assert len(warned_amy) == 1 and warned_amy[0].text.startswith("Nothing has come back yet")
    assert len(warned_tom) == 1
    sent = await chat.press("mgr.tom", button(warned_tom[0], "request_sent"))
    assert sent.text == "TI-0001 (a chronology about NB-204519) marked as sent. Closed."
    assert [r.kind for r in chat.pending("TI-0001")] == ["request_update"]  # Amy hears it came


async def test_a_sent_request_warns_nobody(chat: Chat) -> None:
    await chat.say("hv.amy", "ask front door case NB-204519 for a chronology by icpc on 12/01/2027")
    await chat.sweep()
    (asked,) = chat.inbox("mgr.tom")
    await chat.press("mgr.tom", button(asked, "request_sent"))
    await chat.advance_to(datetime(2027, 1, 12, 12, tzinfo=UTC))
    assert not [r for r in chat.inbox("hv.amy") if "ICPC" in r.text and "Nothing has come back" in r.text]


async def test_withdrawn_by_the_person_who_asked(chat: Chat) -> None:
    reply = await chat.say("hv.amy", "ask GP safeguarding case NB-204519 for a health report by 14/01/2027")
    assert "due by" in reply.text and "Thursday 14 January 2027" in reply.text
    assert "Nobody at" in reply.text and reply.fields
    done = await chat.press("hv.amy", button(reply, "request_withdraw"))
    assert done.text.endswith("withdrawn. Closed.")


async def test_refusals_store_nothing(chat: Chat) -> None:
    for text, said in (
        ("ask front door case NB-204519 for a report by 20/11/2026", "due before you asked"),
        ("ask front door case NB-204519 for a report by icpc on 20/11/2026", "already happened"),
        ("ask the flower shop case NB-204519 for a report by 14/01/2027", "I can't find a team called"),
        ("ask front door case NB-204519 for a report", "Say when you need it by"),
        ("ask front door case NB-204519 for a report by the picnic on 14/01/2027", "I don't know"),
    ):
        reply = await chat.say("hv.amy", text)
        assert said in reply.text, (text, reply.text)
    assert _count(chat) == 0
