"""Callbacks end to end in the console: expected from a team or a joinup user, chased once each side when
missed, then the next step; a bare time read on the team's hours; refusals store nothing."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, func, select

from schedules.time.clock import FakeClock
from storage.models import AuditEvent, TrackedItem
from tests.test_tracking_chat import Chat, button, fields, utc


@pytest.fixture
def chat(sessions: sessionmaker[Session], clock: FakeClock) -> Chat:
    return Chat(sessions, clock)


def _count(chat: Chat) -> int:
    with chat.sessions() as session:
        return int(session.exec(select(func.count()).select_from(TrackedItem)).one())


async def test_callback_from_a_team_tells_them_and_chases_each_side_once_then_the_next_step(
    chat: Chat, clock: FakeClock
) -> None:
    reply = await chat.say("hv.amy", "callback from front door case NB-204519 by 3pm")
    assert reply.text.startswith(
        "Logged TI-0001: you're waiting for a call back from Children's front door (MASH) about NB-204519 by 3pm"
    )
    assert "I've told Tom Rahman" in reply.text
    assert [b.label for b in reply.buttons] == ["They called back", "Still waiting"]
    await chat.sweep()
    asked = chat.inbox("mgr.tom")
    assert len(asked) == 1
    assert asked[0].text.startswith(
        "NB-204519: Health visiting (Amy Hughes, Health visitor) is waiting for a call back from you by 3pm"
    )
    assert [b.label for b in asked[0].buttons] == ["Called back", "Can't today, by …"]

    await chat.advance_to(utc(11, 25, 16))
    (missed,) = chat.inbox("hv.amy")
    assert missed.text.startswith("Did Children's front door (MASH) call you back about NB-204519 (TI-0001)?")
    assert fields(missed)["Front door duty line"] == "0161 496 0100"
    (owed,) = chat.inbox("mgr.tom")
    assert "still waiting for a call back from you" in owed.text

    await chat.advance_to(utc(11, 26, 17))
    (step,) = chat.inbox("hv.amy")
    assert step.text.startswith("Still no call back from Children's front door (MASH) about NB-204519")
    assert fields(step)["MASH secure mailbox"] == "mash@northbrook.example.org"  # not the line already tried
    assert button(step, "escalate").value == "TI-0001"
    assert chat.inbox("mgr.tom") == []

    # Nothing more: one chase each side, then the next step, within the policy's limit.
    await chat.advance_to(utc(12, 4, 17))
    assert chat.inbox("hv.amy") == [] and chat.inbox("mgr.tom") == []


async def test_called_back_closes_it_and_tells_the_other_side(chat: Chat) -> None:
    reply = await chat.say("hv.amy", "callback front door case NB-204519 by 3pm")
    await chat.sweep()
    (asked,) = chat.inbox("mgr.tom")
    done = await chat.press("mgr.tom", button(asked, "called_back"))
    assert (
        done.text == "Recorded: Children's front door (MASH) called back about NB-204519 (TI-0001). Closed."
    )
    await chat.sweep()
    (news,) = chat.inbox("hv.amy")
    assert news.text == "Tom Rahman recorded that the call back about NB-204519 (TI-0001) came. Closed."
    assert chat.pending("TI-0001") == []
    assert reply.buttons


async def test_a_bare_time_already_past_means_the_teams_next_working_day(
    chat: Chat, clock: FakeClock
) -> None:
    clock.set(utc(11, 25, 16))
    reply = await chat.say("hv.amy", "callback front door case NB-204519 by 3pm")
    assert "by 3pm on Thursday 26 November" in reply.text
    assert "3pm today has passed, so that is their next working day open then." in reply.text


async def test_cant_today_moves_the_time_and_tells_the_person_waiting(chat: Chat) -> None:
    await chat.say("hv.amy", "callback front door case NB-204519 by 3pm")
    await chat.sweep()
    (asked,) = chat.inbox("mgr.tom")
    question = await chat.press("mgr.tom", button(asked, "callback_later"))
    assert question.text.startswith("By when can you call back about NB-204519 (TI-0001)?")
    moved = await chat.say("mgr.tom", "10am tomorrow")
    assert moved.text.startswith(
        "OK: you'll call back about NB-204519 (TI-0001) by 10am on Thursday 26 November."
    )
    await chat.sweep()
    (news,) = chat.inbox("hv.amy")
    assert "can't call back today" in news.text and "10am on Thursday 26 November" in news.text


async def test_a_team_nobody_is_on_joinup_in_gets_the_route_to_chase_instead(chat: Chat) -> None:
    reply = await chat.say("sw.jo", "callback GP safeguarding case NB-204519 by 4pm")
    assert "Nobody at" in reply.text and "is on joinup" in reply.text
    assert reply.fields, "the route to chase by phone or e-mail"


async def test_a_joinup_user_by_handle(chat: Chat) -> None:
    reply = await chat.say("hv.amy", "callback @sw.jo case NB-204519 by 4pm")
    assert "from Jo Bennett at Children's front door (MASH)" in reply.text
    await chat.sweep()
    (asked,) = chat.inbox("sw.jo")
    assert asked.text.startswith("NB-204519: Health visiting")
    assert chat.inbox("mgr.tom") == []


async def test_refusals_store_nothing(chat: Chat) -> None:
    for text, said in (
        ("callback front door case NB-204519 by 9am today", "That time has passed"),
        ("callback front door case NB-204519 by 1/11/2026", "That date has passed"),
        ("callback Jane Smith case NB-204519 by 3pm", "joinup doesn't keep people's names"),
        ("callback the flower shop case NB-204519", "I can't find a team called"),
        ("callback @nobody.here case NB-204519", "person on joinup"),
        ("callback front door case NB-204519 by 25:00", "isn't a time"),
    ):
        reply = await chat.say("hv.amy", text)
        assert said in reply.text, (text, reply.text)
    assert _count(chat) == 0
    with chat.sessions() as session:
        assert not session.exec(
            select(AuditEvent).where(col(AuditEvent.action) == "item.callback_expected")
        ).first()


async def test_a_left_message_offers_a_callback_expectation_from_the_routes_promise(chat: Chat) -> None:
    await chat.say("hv.amy", "refer front door case NB-204519 by phone")
    tried = await chat.say("hv.amy", "tried TI-0001 left message")
    assert (
        "Expect a call back by 2pm on Wednesday 25 November? Front door duty line aims to answer within 4 working hours."
        in tried.text
    )
    offer = button(tried, "callback")
    assert offer.label == "Expect a call back by 2pm on Wednesday 25 November"
    accepted = await chat.press("hv.amy", offer)
    assert accepted.text.startswith(
        "Logged TI-0002: you're waiting for a call back from Children's front door (MASH) about NB-204519 "
        "by 2pm on Wednesday 25 November."
    )
    typed = await chat.say("hv.amy", "tried lado case NB-204520 left message")
    assert "type callback lado case NB-204520 by <time>" in typed.text
    own_time = await chat.say("hv.amy", "callback lado case NB-204520 by 4pm")
    assert "by 4pm on Wednesday 25 November" in own_time.text
