"""The chronology tells call backs and information requests in their own words: expected and returned,
asked, received and sent, on time or late, once each."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from schedules.chronology.timeline import build
from schedules.time.clock import FakeClock
from tests.test_tracking_chat import Chat, button, utc


@pytest.fixture
def chat(sessions: sessionmaker[Session], clock: FakeClock) -> Chat:
    return Chat(sessions, clock)


async def test_a_call_back_and_a_request_in_the_chronology(chat: Chat) -> None:
    waiting = await chat.say("hv.amy", "callback front door case NB-204519 by 11am")
    asked = await chat.say("hv.amy", "ask front door case NB-204519 for a chronology by icpc on 12/01/2027")
    await chat.sweep()
    (request,) = [r for r in chat.inbox("mgr.tom") if "asks your team" in r.text]
    chat.clock.set(utc(11, 25, 13))
    await chat.press("mgr.tom", button(request, "request_received"))
    await chat.press("hv.amy", button(waiting, "called_back"))
    await chat.press("mgr.tom", button(asked, "request_sent"))
    with chat.sessions() as session:
        chronology = build(session=session, clock=chat.clock, case_ref="NB-204519")
    events = [(e.event, e.who, e.detail) for e in chronology.entries]
    assert events[:2] == [
        (
            "Waiting for a call back from Children's front door (MASH)",
            "Amy Hughes",
            "Expected by 11am on Wednesday 25 November.",
        ),
        (
            "Information requested from Children's front door (MASH): a chronology",
            "Amy Hughes",
            "Information due Thursday 7 January. For the ICPC on Tuesday 12 January.",
        ),
    ]
    assert ("Called back by Children's front door (MASH)", "Amy Hughes", "Later than expected.") in events
    assert any(
        e[0] == "Information requested from Children's front door (MASH): a chronology" for e in events
    )
    assert ("Request received by Children's front door (MASH)", "Tom Rahman", "") in events
    assert ("Information sent by Children's front door (MASH)", "Tom Rahman", "On time.") in events
    # Told once each: the audit log adds no second line for what the tables already say.
    assert len(events) == len(set(events)) == 5
