"""Callbacks through Slack: signed DMs and button presses, asserting what the fake Slack Web API received.

A message left on the front door's line becomes a call back expected by the line's own promise, with one
press; a call back owed by a joinup user reaches them by DM, and when it is missed each side is chased once,
then the person waiting is offered another route and escalating.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select

from storage.models import TrackedItem
from tests.fakes.slack import Call
from tests.slack import payloads
from tests.slack.conftest import AMY, JO, Joinup

AMY_DM, JO_DM = "D0AMYHUGHES", "D0JOBENNETT"


def _buttons(call: Call) -> dict[str, dict[str, Any]]:
    return {
        element["action_id"]: element
        for block in call.args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


def _to(joinup: Joinup, channel: str) -> list[Call]:
    return [c for c in joinup.fake.calls_to("chat.postMessage") if c.args["channel"] == channel]


async def _press(joinup: Joinup, call: Call, action_id: str, *, user: str) -> None:
    block = next(b for b in call.args["blocks"] if b["type"] == "actions")
    press = payloads.block_action(
        user=user,
        action_id=action_id,
        value=_buttons(call)[action_id]["value"],
        block_id=block["block_id"],
        message={
            "type": "message",
            "ts": "1764064800.000111",
            "text": call.args["text"],
            "blocks": call.args["blocks"],
        },
        channel=call.args["channel"],
    )
    assert (await joinup.interact(press)).status_code == 200


async def test_a_left_message_becomes_a_callback_expected_by_the_lines_promise(joinup: Joinup) -> None:
    await joinup.dm("refer front door case NB-204519 by phone", user=AMY)
    await joinup.fake.wait_for("chat.postMessage")
    await joinup.dm("tried TI-0001 left message", user=AMY)
    (_, tried) = await joinup.fake.wait_for("chat.postMessage", count=2)
    offer = _buttons(tried)["joinup:callback"]
    assert offer["text"]["text"] == "Expect a call back by 2pm on Wednesday 25 November"
    await _press(joinup, tried, "joinup:callback", user=AMY)
    (update,) = await joinup.fake.wait_for("chat.update")
    logged = update.args["text"]
    assert "you're waiting for a call back from Children's front door (MASH) about NB-204519" in logged
    assert "by 2pm on Wednesday 25 November" in logged
    with joinup.runtime.sessions() as session:
        callback = session.exec(select(TrackedItem).where(col(TrackedItem.kind) == "callback")).one()
    assert callback.case_ref == "NB-204519"


async def test_a_missed_callback_chases_both_sides_once_then_offers_another_route(joinup: Joinup) -> None:
    await joinup.dm("hello", user=JO)  # Jo is linked to joinup on first contact
    await joinup.fake.wait_for("chat.postMessage")
    await joinup.dm(f"callback <@{JO}> case NB-204519 by 3pm", user=AMY)
    (_, logged) = await joinup.fake.wait_for("chat.postMessage", count=2)
    assert "you're waiting for a call back from Jo Bennett" in logged.args["text"]
    await joinup.runtime.advance_to(joinup.clock, datetime(2026, 11, 25, 12, tzinfo=UTC))
    asked = [c for c in _to(joinup, JO_DM) if "waiting for a call back from you" in c.args["text"]]
    assert len(asked) == 1
    assert asked[0].args["text"].startswith("NB-204519: Health visiting (Amy Hughes, Health visitor)")
    assert set(_buttons(asked[0])) >= {"joinup:called_back", "joinup:callback_later"}

    await joinup.runtime.advance_to(joinup.clock, datetime(2026, 12, 4, 17, tzinfo=UTC))
    missed = [
        c
        for c in _to(joinup, AMY_DM)
        if c.args["text"].startswith("Did Jo Bennett (Children's front door (MASH)) call you back")
    ]
    assert len(missed) == 1
    chased = [c for c in _to(joinup, JO_DM) if "still waiting for a call back from you" in c.args["text"]]
    assert len(chased) == 1
    steps = [c for c in _to(joinup, AMY_DM) if c.args["text"].startswith("Still no call back")]
    assert len(steps) == 1
    assert "joinup:escalate" in _buttons(steps[0])
    assert "0161 496 0101" in str(steps[0].args["blocks"])  # the consultation line, not the one tried

    # Jo presses Called back on the chase: it closes, and Amy hears.
    await _press(joinup, chased[0], "joinup:called_back", user=JO)
    (update,) = await joinup.fake.wait_for("chat.update")
    assert (
        "Recorded: Children's front door (MASH) called back about NB-204519 (TI-0001)" in update.args["text"]
    )
    with joinup.runtime.sessions() as session:
        item = session.exec(select(TrackedItem).where(col(TrackedItem.kind) == "callback")).one()
    assert item.status == "closed" and item.outcome == "called_back"


TOM = "U0TOMRAHMAN"  # mgr.tom, the front door's contact person


async def test_a_request_for_an_icpc_warns_both_sides_the_working_day_before(joinup: Joinup) -> None:
    joinup.fake.add_user(TOM, email="mgr.tom@example.org", name="Tom Rahman")
    await joinup.dm("hello", user=TOM)  # Tom is linked to joinup on first contact
    await joinup.fake.wait_for("chat.postMessage")
    await joinup.dm("ask front door case NB-204519 for a chronology by icpc on 12/01/2027", user=AMY)
    (_, logged) = await joinup.fake.wait_for("chat.postMessage", count=2)
    assert "due by 5:15pm on Thursday 7 January 2027: 3 working days before the ICPC" in logged.args["text"]
    assert "request_withdraw" in str(logged.args["blocks"])

    joinup.clock.set(datetime(2027, 1, 11, 12, tzinfo=UTC))
    await joinup.runtime.jobs["outbox-sweep"].run(joinup.runtime)
    warned = [
        c
        for c in joinup.fake.calls_to("chat.postMessage")
        if "the ICPC is on Tuesday 12 January 2027" in c.args["text"]
    ]
    assert sorted(c.args["channel"] for c in warned) == ["D0AMYHUGHES", "D0TOMRAHMAN"]
    to_tom = next(c for c in warned if c.args["channel"] == "D0TOMRAHMAN")
    assert {"joinup:request_received", "joinup:request_sent"} <= set(_buttons(to_tom))


async def test_the_home_tab_shows_both_lists_with_the_buttons_to_act(joinup: Joinup) -> None:
    await joinup.dm("hello", user=JO)
    await joinup.fake.wait_for("chat.postMessage")
    said = [
        (AMY, "refer front door case NB-204518 by phone"),
        (AMY, "callback front door case NB-204519 by 11am"),
        (AMY, "ask front door case NB-204520 for a chronology by 14/01/2027"),
        (JO, "callback lado case NB-204521 by 4pm"),
    ]
    for count, (user, text) in enumerate(said, start=2):
        await joinup.dm(text, user=user)
        await joinup.fake.wait_for("chat.postMessage", count=count)
    joinup.clock.set(datetime(2026, 11, 25, 12, tzinfo=UTC))
    assert (await joinup.event(payloads.home_opened(user=JO))).status_code == 200
    (published,) = await joinup.fake.wait_for("views.publish")
    blocks = published.args["view"]["blocks"]
    text = str(blocks)
    assert text.index("Waiting on others") < text.index("TI-0004") < text.index("Others waiting on you")
    # Overdue first within the list of what others wait on: the call back owed by 11am.
    assert (
        text.index("Others waiting on you")
        < text.index("TI-0002")
        < text.index("TI-0001")
        < text.index("TI-0003")
    )
    actions = {e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]}
    assert {"joinup:called_back", "joinup:callback_later", "joinup:ack", "joinup:request_sent"} <= actions
