"""Escalation through Slack: the walkthrough's buttons, and a step's outcome and rationale in a modal."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlmodel import col, select

from schedules.escalation import policy
from storage.models import Escalation, EscalationStep, TrackedItem
from tests.fakes.slack import Call
from tests.slack import payloads
from tests.slack.conftest import AMY, JO, Joinup


def _buttons(call: Call) -> dict[str, dict[str, Any]]:
    return {
        element["action_id"]: {**element, "block_id": block["block_id"]}
        for block in call.args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


async def _until(joinup: Joinup, predicate: Callable[[Call], bool]) -> Call:
    """Wait for a call to the fake Slack that matches (listeners run after the ack)."""
    async with asyncio.timeout(10):
        while True:
            found = next((c for c in joinup.fake.calls if predicate(c)), None)
            if found is not None:
                return found
            await asyncio.sleep(0.02)


async def _press(joinup: Joinup, call: Call, action_id: str, user: str = AMY) -> None:
    button = _buttons(call)[action_id]
    message = {
        "type": "message",
        "ts": call.response["ts"] if call.response else "1.1",
        "text": call.args["text"],
        "blocks": call.args["blocks"],
    }
    press = payloads.block_action(
        user=user,
        action_id=action_id,
        value=button.get("value"),
        block_id=button["block_id"],
        message=message,
        channel=call.args["channel"],
    )
    assert (await joinup.interact(press)).status_code == 200


async def test_an_escalation_step_is_resolved_through_a_modal(joinup: Joinup) -> None:
    with joinup.runtime.sessions.begin() as session:
        policy.seed(session, joinup.clock)  # the shipped escalation ladders
    await joinup.dm("refer front door case NB-204518 by phone", user=AMY)
    await joinup.fake.wait_for("chat.postMessage")
    await joinup.dm("escalate NB-204518", user=AMY)
    (_, risk) = await joinup.fake.wait_for("chat.postMessage", count=2)
    await _press(joinup, risk, "joinup:escalate_risk_no")
    (card,) = await joinup.fake.wait_for("chat.update")
    resolved = _buttons(card)["joinup:escalation_resolved"]
    message_call = Call("chat.postMessage", {**card.args}, {}, {"ts": card.args["ts"]})
    await _press(joinup, message_call, "joinup:escalation_resolved")

    # "Resolved" asks for the outcome and the rationale together: Slack shows the handler's form as a modal.
    (opened,) = await joinup.fake.wait_for("views.open")
    view = opened.args["view"]
    assert view["callback_id"].startswith("joinup:")
    inputs = {b["block_id"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs == {"outcome", "why"}
    submit = payloads.view_submission(
        user=AMY,
        callback_id=view["callback_id"],
        private_metadata=view["private_metadata"],
        values={
            "outcome": {
                "outcome": {"type": "plain_text_input", "value": "Accepted for a child and family assessment"}
            },
            "why": {"why": {"type": "plain_text_input", "value": "New information from the health visitor"}},
        },
    )
    assert (await joinup.interact(submit)).status_code == 200
    answers = (await joinup.fake.wait_for("chat.postMessage", count=3))[2:]
    assert any(resolved["value"] in c.args["text"] and c.args["channel"] == "D0AMYHUGHES" for c in answers)
    with joinup.runtime.sessions() as session:
        escalation = session.exec(select(Escalation).where(col(Escalation.case_ref) == "NB-204518")).one()
        steps = session.exec(
            select(EscalationStep).where(col(EscalationStep.escalation_id) == escalation.id)
        ).all()
    assert escalation.status == "resolved"
    assert escalation.outcome == "Accepted for a child and family assessment"
    assert escalation.rationale == "New information from the health visitor"
    assert [s.action for s in steps][-1] == "resolved"


async def test_the_front_door_cannot_resolve_it_and_responds_through_a_modal_instead(joinup: Joinup) -> None:
    with joinup.runtime.sessions.begin() as session:
        policy.seed(session, joinup.clock)
    await joinup.dm("refer front door case NB-204518 by phone", user=AMY)
    await joinup.fake.wait_for("chat.postMessage")
    await joinup.dm("escalate NB-204518", user=AMY)
    (_, risk) = await joinup.fake.wait_for("chat.postMessage", count=2)
    await _press(joinup, risk, "joinup:escalate_risk_no")
    await joinup.fake.wait_for("chat.update")

    # A front-door social worker presses Resolved (a forwarded card): refused, and it stays open.
    forged = payloads.block_action(
        user=JO, action_id="joinup:escalation_resolved", value="ES-0001", block_id="b1", channel="D0JOBENNETT"
    )
    assert (await joinup.interact(forged)).status_code == 200
    await _until(joinup, lambda c: "You can't change ES-0001" in str(c.args))

    # Her own card offers Record our response; the modal takes the decision and the reason together.
    await joinup.dm("escalations ES-0001", user=JO)
    card = await _until(joinup, lambda c: "disagrees with your team" in str(c.args.get("text", "")))
    assert list(_buttons(card)) == ["joinup:escalation_respond"]
    await _press(joinup, card, "joinup:escalation_respond", user=JO)
    (opened,) = await joinup.fake.wait_for("views.open")
    view = opened.args["view"]
    submit = payloads.view_submission(
        user=JO,
        callback_id=view["callback_id"],
        private_metadata=view["private_metadata"],
        values={
            "decision": {"decision": {"type": "static_select", "selected_option": {"value": "maintained"}}},
            "why": {"why": {"type": "plain_text_input", "value": "Early help is already in place"}},
        },
    )
    assert (await joinup.interact(submit)).status_code == 200
    told = await _until(
        joinup,
        lambda c: (
            c.method == "chat.postMessage"
            and c.args.get("channel") == "D0AMYHUGHES"
            and "responded to ES-0001" in str(c.args.get("text", ""))
        ),
    )
    assert "decision maintained" in told.args["text"]
    assert list(_buttons(told))[:2] == ["joinup:escalation_resolved", "joinup:escalation_next"]
    with joinup.runtime.sessions() as session:
        escalation = session.exec(select(Escalation).where(col(Escalation.case_ref) == "NB-204518")).one()
        steps = session.exec(
            select(EscalationStep).where(col(EscalationStep.escalation_id) == escalation.id)
        ).all()
    assert escalation.status == "open"
    assert [(s.action, s.outcome) for s in steps][-1] == ("response", "maintained")


async def test_a_second_referral_about_the_same_case_is_questioned_in_slack(joinup: Joinup) -> None:
    await joinup.dm("refer front door case NB-204518 by phone", user=AMY)
    await joinup.fake.wait_for("chat.postMessage")
    await joinup.dm("refer front door case NB-204518 by phone", user=AMY)
    (_, question) = await joinup.fake.wait_for("chat.postMessage", count=2)
    assert (
        "You referred NB-204518 to Children's front door (MASH) on Wednesday 25 November"
        in question.args["text"]
    )
    assert list(_buttons(question)) == ["joinup:refer_repeat_chasing", "joinup:refer_repeat_new"]
    await _press(joinup, question, "joinup:refer_repeat_chasing")
    answer = await _until(joinup, lambda c: "I haven't logged a new referral" in str(c.args.get("text", "")))
    assert "How did chasing TI-0001 go?" in answer.args["text"]
    with joinup.runtime.sessions() as session:
        assert len(session.exec(select(TrackedItem)).all()) == 1
