"""Callbacks through Teams: real activities in, the cards the fake Bot Connector received out.

A message left on the front door's line becomes a call back expected by the line's own promise, with one
press; a missed call back owed by a joinup user chases each side once, then offers another route.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from storage.models import TrackedItem
from tests.fakes.teams import Sent, conversation_id
from tests.teams.conftest import AMY, JO, KATE, TeamsJoinup
from tests.teams.test_scenarios import actions, sweep


def _texts(sent: list[Sent], start: str) -> list[Sent]:
    return [s for s in sent if s.method == "POST" and s.text.startswith(start)]


async def _advance(joinup: TeamsJoinup, to: datetime) -> None:
    joinup.clock.set(to)
    await sweep(joinup.runtime)


async def test_a_left_message_becomes_a_callback_expected_by_the_lines_promise(joinup: TeamsJoinup) -> None:
    await joinup.say("refer front door case NB-204519 by phone")
    await joinup.say("tried TI-0001 left message")
    tried = joinup.fake.to(conversation_id(AMY))[-1]
    assert "Expect a call back by 2pm on Wednesday 25 November?" in tried.text
    offer = {"action": "callback", "value": "TI-0001"}
    assert offer in actions(tried)
    await joinup.press(offer)
    logged = joinup.fake.to(conversation_id(AMY))[-1]
    assert "you're waiting for a call back from Children's front door (MASH) about NB-204519" in logged.text
    assert {"action": "still_waiting", "value": "TI-0002"} in actions(logged)


async def test_a_missed_callback_chases_both_sides_once_then_offers_another_route(
    joinup: TeamsJoinup,
) -> None:
    await joinup.say("hello", user=JO)  # Jo's conversation with joinup, for proactive cards
    await joinup.say("callback @sw.jo case NB-204519 by 3pm")
    await _advance(joinup, datetime(2026, 11, 25, 12, tzinfo=UTC))
    (asked,) = _texts(joinup.fake.to(conversation_id(JO)), "NB-204519: Health visiting")
    assert {"action": "called_back", "value": "TI-0001"} in actions(asked)
    assert {"action": "callback_later", "value": "TI-0001"} in actions(asked)

    for day, hour in ((25, 15), (25, 17), (26, 9), (26, 15), (27, 15), (30, 15), (1, 15)):
        await _advance(joinup, datetime(2026, 11 if day > 20 else 12, day, hour, tzinfo=UTC))
    to_amy, to_jo = joinup.fake.to(conversation_id(AMY)), joinup.fake.to(conversation_id(JO))
    assert len(_texts(to_amy, "Did Jo Bennett")) == 1
    assert len([s for s in to_jo if "still waiting for a call back from you" in s.text]) == 1
    (step,) = _texts(to_amy, "Still no call back")
    assert {"action": "escalate", "value": "TI-0001"} in actions(step)
    assert "0161 496 0101" in step.text  # another route: the consultation line

    await joinup.press({"action": "called_back", "value": "TI-0001"}, user=JO)
    with joinup.runtime.sessions() as session:
        item = session.exec(select(TrackedItem).where(col(TrackedItem.ref) == "TI-0001")).one()
    assert item.status == "closed" and item.outcome == "called_back"


async def test_a_request_for_an_icpc_warns_both_sides_the_working_day_before(joinup: TeamsJoinup) -> None:
    await joinup.say("hello", user=KATE)  # Kate, health visiting's manager: her conversation with joinup
    await joinup.say("ask health visiting case NB-204519 for a health report by icpc on 12/01/2027", user=JO)
    logged = joinup.fake.to(conversation_id(JO))[-1]
    assert "you asked Health visiting for a health report about NB-204519" in logged.text
    assert "3 working days before the ICPC on Tuesday 12 January 2027" in logged.text
    await _advance(joinup, datetime(2027, 1, 11, 12, tzinfo=UTC))
    to_jo = [
        s for s in joinup.fake.to(conversation_id(JO)) if "the ICPC is on Tuesday 12 January 2027" in s.text
    ]
    to_kate = [
        s for s in joinup.fake.to(conversation_id(KATE)) if "the ICPC is on Tuesday 12 January 2027" in s.text
    ]
    assert len(to_jo) == 1 and len(to_kate) == 1
    assert {"action": "request_sent", "value": "TI-0001"} in actions(to_kate[0])
    await joinup.press({"action": "request_sent", "value": "TI-0001"}, user=KATE)
    with joinup.runtime.sessions() as session:
        item = session.exec(select(TrackedItem).where(col(TrackedItem.ref) == "TI-0001")).one()
    assert item.status == "closed" and item.outcome == "information_sent"


async def test_mine_is_a_card_with_both_lists_and_the_buttons_to_act(joinup: TeamsJoinup) -> None:
    await joinup.say("refer front door case NB-204518 by phone")
    await joinup.say("callback front door case NB-204519 by 11am")
    await joinup.say("ask front door case NB-204520 for a chronology by 14/01/2027")
    await joinup.say("callback lado case NB-204521 by 4pm", user=JO)
    joinup.clock.set(datetime(2026, 11, 25, 12, tzinfo=UTC))
    await joinup.say("mine", user=JO)
    card = joinup.fake.to(conversation_id(JO))[-1]
    text = card.text
    assert text.index("Waiting on others") < text.index("TI-0004") < text.index("Others waiting on you")
    assert (
        text.index("Others waiting on you")
        < text.index("TI-0002")
        < text.index("TI-0001")
        < text.index("TI-0003")
    )
    pressable = actions(card)
    assert {"action": "called_back", "value": "TI-0002"} in pressable
    assert {"action": "request_sent", "value": "TI-0003"} in pressable
    assert {"action": "ack", "value": "TI-0001"} in pressable
