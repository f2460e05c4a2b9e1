"""Escalation through Slack: the walkthrough's buttons, and a step's outcome and rationale in a modal."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from schedules.escalation import policy
from storage.models import Escalation, EscalationStep
from tests.fakes.slack import Call
from tests.slack import payloads
from tests.slack.conftest import AMY, Joinup


def _buttons(call: Call) -> dict[str, dict[str, Any]]:
    return {
        element["action_id"]: {**element, "block_id": block["block_id"]}
        for block in call.args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


async def _press(joinup: Joinup, call: Call, action_id: str) -> None:
    button = _buttons(call)[action_id]
    message = {
        "type": "message",
        "ts": call.response["ts"] if call.response else "1.1",
        "text": call.args["text"],
        "blocks": call.args["blocks"],
    }
    press = payloads.block_action(
        user=AMY,
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
