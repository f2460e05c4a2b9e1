"""Whole journeys through Slack: search, refer, a reminder after time passes, acknowledging it, App Home.

Every request is signed and posted to /slack/events on the FastAPI app; every assertion is about what the
fake Slack Web API received, or what the database now holds. The handlers are the real ones.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import col, select

from handlers.context import HandlerContext
from handlers.messages import Choice, Form, FormInput, InboundMessage, Reply
from schedules.outbox import rows as outbox
from storage.models import Reminder, TrackedItem
from tests.fakes.slack import Call
from tests.slack import payloads
from tests.slack.conftest import AMY, Joinup

REFERENCE = re.compile(r"\bTI-\d{4,}\b")


def _all_text(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in some Block Kit blocks, joined (for 'does it mention X' checks)."""
    parts: list[str] = []
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text.get("text", ""))
        parts += [field.get("text", "") for field in block.get("fields", [])]
        parts += [element.get("text", {}).get("text", "") for element in block.get("elements", [])]
    return "\n".join(parts)


def _buttons(call: Call) -> dict[str, dict[str, Any]]:
    """The buttons in a posted message, by their action_id."""
    return {
        element["action_id"]: element
        for block in call.args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


async def _refer(joinup: Joinup) -> str:
    await joinup.dm("refer front door case NB-204518 by phone", user=AMY)
    (answer,) = await joinup.fake.wait_for("chat.postMessage")
    found = REFERENCE.search(answer.args["text"]) or REFERENCE.search(_all_text(answer.args["blocks"]))
    assert found, answer.args["text"]
    return found.group(0)


async def test_a_referral_is_chased_by_dm_after_time_passes_and_acknowledging_updates_the_message(
    joinup: Joinup,
) -> None:
    ref = await _refer(joinup)
    with joinup.runtime.sessions() as session:
        item = session.exec(select(TrackedItem).where(col(TrackedItem.case_ref) == "NB-204518")).one()
        assert outbox.pending_for(session=session, subject_kind="item", subject_id=item.id or 0)

    # Two working days later the acknowledgement is overdue: the sweep sends Amy a chase as a DM.
    await joinup.runtime.advance_to(joinup.clock, joinup.clock.now() + timedelta(days=2))
    chases = [c for c in joinup.fake.calls_to("chat.postMessage")[1:] if ref in c.args["text"]]
    assert chases, [c.args["text"] for c in joinup.fake.calls_to("chat.postMessage")]
    chase = chases[0]
    assert chase.args["channel"] == "D0AMYHUGHES"
    buttons = _buttons(chase)
    assert "joinup:ack" in buttons and buttons["joinup:ack"]["value"] == ref

    # Amy presses "They acknowledged" on the chase: the item is acknowledged and that message is rewritten.
    message = {
        "type": "message",
        "ts": "1764064800.000999",
        "text": chase.args["text"],
        "blocks": chase.args["blocks"],
    }
    ack_block = next(b for b in chase.args["blocks"] if b["type"] == "actions")
    press = payloads.block_action(
        user=AMY,
        action_id="joinup:ack",
        value=ref,
        block_id=ack_block["block_id"],
        message=message,
        channel=chase.args["channel"],
    )
    assert (await joinup.interact(press)).status_code == 200  # the ack; the work happens after it

    # Every chase she had been sent with an Acknowledge button is edited so the stale button goes, and the
    # message she pressed on is rewritten: that row of buttons gone, the answer appended.
    with_ack = {c.response["ts"] for c in chases if c.response and "joinup:ack" in _buttons(c)}
    updates = await joinup.fake.wait_for("chat.update", count=len(with_ack) + 1)
    pressed = [u for u in updates if u.args["ts"] == "1764064800.000999"]
    assert len(pressed) == 1 and pressed[0].args["channel"] == "D0AMYHUGHES"
    kept = pressed[0].args["blocks"][: len(message["blocks"])]
    assert all(b.get("block_id") != ack_block["block_id"] for b in kept)
    assert ref in pressed[0].args["text"]
    stale = [u for u in updates if u.args["ts"] in with_ack]
    assert {u.args["ts"] for u in stale} == with_ack
    assert all("joinup:ack" not in str(u.args["blocks"]) for u in stale)
    with joinup.runtime.sessions() as session:
        item = session.exec(select(TrackedItem).where(col(TrackedItem.case_ref) == "NB-204518")).one()
    assert item.acknowledged_at is not None


async def test_a_chase_that_meets_a_429_arrives_once_after_the_wait(joinup: Joinup) -> None:
    ref = await _refer(joinup)
    joinup.fake.fail("chat.postMessage", status=429, retry_after=1)
    await joinup.runtime.advance_to(joinup.clock, joinup.clock.now() + timedelta(days=2))
    chases = [c for c in joinup.fake.calls_to("chat.postMessage")[1:] if ref in c.args["text"]]
    # The first attempt met the 429; the client waited for Retry-After and sent the same message once more.
    assert chases[0].args == chases[1].args
    with joinup.runtime.sessions() as session:
        amy = joinup.person("hv.amy").id
        sent = session.exec(
            select(Reminder).where(col(Reminder.recipient_person_id) == amy, col(Reminder.status) == "sent")
        ).all()
    # Every other chase went out exactly once: one call per sent reminder, plus the one refused with 429.
    assert len(chases) == len(sent) + 1
    assert all(r.attempts == 1 and r.message_ref["platform"] == "slack" for r in sent)


async def test_the_home_tab_lists_my_items_overdue_first(joinup: Joinup) -> None:
    ref = await _refer(joinup)
    await joinup.runtime.advance_to(joinup.clock, joinup.clock.now() + timedelta(days=2))
    assert (await joinup.event(payloads.home_opened(user=AMY))).status_code == 200
    (published,) = await joinup.fake.wait_for("views.publish")
    view = published.args["view"]
    assert view["type"] == "home"
    text = _all_text(view["blocks"])
    assert ref in text
    assert "overdue" in text.lower()


FORM = Form(
    title="Record feedback",
    submit_action="test-feedback",
    value="TI-0001",
    inputs=(
        FormInput("outcome", "Outcome", kind="choice", choices=(Choice("No further action", "nfa"),)),
        FormInput("why", "Why", kind="multiline"),
    ),
)


async def test_a_reply_with_a_form_opens_a_modal_and_its_submission_reaches_the_handler(
    joinup: Joinup,
) -> None:
    received: list[InboundMessage] = []

    async def ask(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        return Reply(text="Tell me what came back.", form=FORM)

    async def submitted(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        received.append(msg)
        return Reply(text=f"Recorded {msg.form['outcome']} on {msg.action_value}.")

    joinup.runtime.router.action("test-ask", ask)
    joinup.runtime.router.action("test-feedback", submitted)
    press = payloads.block_action(user=AMY, action_id="joinup:test-ask", value="TI-0001", block_id="b")
    assert (await joinup.interact(press)).status_code == 200
    (opened,) = await joinup.fake.wait_for("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == "joinup:test-feedback"
    submit = payloads.view_submission(
        user=AMY,
        callback_id=view["callback_id"],
        private_metadata=view["private_metadata"],
        values={
            "outcome": {"outcome": {"type": "static_select", "selected_option": {"value": "nfa"}}},
            "why": {"why": {"type": "plain_text_input", "value": "Below threshold; early help offered"}},
        },
    )
    assert (await joinup.interact(submit)).status_code == 200
    (posted,) = await joinup.fake.wait_for("chat.postMessage")
    assert posted.args["text"] == "Recorded nfa on TI-0001."
    assert dict(received[0].form) == {"outcome": "nfa", "why": "Below threshold; early help offered"}


async def test_a_chase_that_meets_500_twice_arrives_once(joinup: Joinup) -> None:
    ref = await _refer(joinup)
    joinup.fake.fail("chat.postMessage", status=500, times=2)
    await joinup.runtime.advance_to(joinup.clock, joinup.clock.now() + timedelta(days=1))
    chases = [c for c in joinup.fake.calls_to("chat.postMessage")[1:] if ref in c.args["text"]]
    assert chases[0].args == chases[1].args == chases[2].args
    with joinup.runtime.sessions() as session:
        amy = joinup.person("hv.amy").id
        sent = session.exec(
            select(Reminder).where(col(Reminder.recipient_person_id) == amy, col(Reminder.status) == "sent")
        ).all()
    assert len(chases) == len(sent) + 2


async def test_a_referral_dm_that_slack_retries_is_logged_once(joinup: Joinup) -> None:
    event = payloads.dm_event("refer front door case NB-770001 by phone", user=AMY, event_id="Ev0REFERTWICE")
    responses = [await joinup.event(event), await joinup.event(event, retry_num=1)]
    responses.append(await joinup.event(event, retry_num=2))
    assert [r.status_code for r in responses] == [200, 200, 200]
    await joinup.fake.wait_for("chat.postMessage")
    await asyncio.sleep(0.3)  # time for a duplicate to have run, had one been let through
    assert len(joinup.fake.calls_to("chat.postMessage")) == 1
    with joinup.runtime.sessions() as session:
        items = session.exec(select(TrackedItem).where(col(TrackedItem.case_ref) == "NB-770001")).all()
    assert len(items) == 1


async def test_a_referral_to_the_front_door_counts_its_own_hours_over_christmas(joinup: Joinup) -> None:
    joinup.clock.set(datetime(2026, 12, 24, 15, 0, tzinfo=UTC))  # Christmas Eve; London is on GMT
    await joinup.dm("refer front door case NB-204518 by phone", user=AMY)
    (answer,) = await joinup.fake.wait_for("chat.postMessage")
    text = answer.args["text"] + _all_text(answer.args["blocks"])
    # 4 working hours: 2h15 to the front door's 17:15 close, then 1h45 from 09:00 after the holidays.
    assert "10:45am on Tuesday 29 December" in text, text
