"""The typed-intent examples through signed Slack requests: what the fake Slack Web API received."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.slack import modals
from storage.models import TrackedItem
from tests.slack import payloads
from tests.slack.conftest import AMY, Joinup


def _refer_values(*, team: str, case_ref: str, method: str = "phone") -> dict[str, Any]:
    return {
        "team": {"team": {"type": "external_select", "selected_option": {"value": team}}},
        "case_ref": {"case_ref": {"type": "plain_text_input", "value": case_ref}},
        "method": {"method": {"type": "static_select", "selected_option": {"value": method}}},
        "about": {"about": {"type": "plain_text_input", "value": None}},
    }


def _items(joinup: Joinup) -> list[TrackedItem]:
    with joinup.runtime.sessions() as session:
        return list(session.exec(select(TrackedItem)).all())


async def _said(joinup: Joinup, text: str, count: int) -> str:
    await joinup.dm(text, user=AMY)
    calls = await joinup.fake.wait_for("chat.postMessage", count=count)
    return str(calls[count - 1].args["text"])


async def test_a_name_in_the_referral_modal_is_shown_beside_the_case_reference(joinup: Joinup) -> None:
    submit = payloads.view_submission(
        user=AMY, callback_id=modals.REFER_VIEW, values=_refer_values(team="front-door", case_ref="Jane Doe")
    )
    response = await joinup.interact(submit)
    body = response.json()
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == ["case_ref"]
    assert body["errors"]["case_ref"].startswith("That looks like a name.")
    assert "Case references look like NB-204518" in body["errors"]["case_ref"]
    assert _items(joinup) == []


async def test_an_empty_item_in_the_feedback_modal_asks_for_the_item(joinup: Joinup) -> None:
    submit = payloads.view_submission(
        user=AMY,
        callback_id=modals.FEEDBACK_VIEW,
        values={
            "item": {"item": {"type": "plain_text_input", "value": None}},
            "outcome": {"outcome": {"type": "static_select", "selected_option": {"value": "early_help"}}},
            "reason": {"reason": {"type": "plain_text_input", "value": "Early help"}},
        },
    )
    body = (await joinup.interact(submit)).json()
    assert body == {"response_action": "errors", "errors": {"item": "Enter the item reference, like TI-0042"}}


async def test_please_refer_and_a_command_during_a_typo_question(joinup: Joinup) -> None:
    logged = await _said(joinup, "please refer front door case NB-204519 by phone", 1)
    assert logged.startswith("Logged TI-0001: your referral about NB-204519")
    asked = await _said(joinup, "refer nowhere case NB-204520", 2)
    assert "Which team did you mean by 'nowhere'?" in asked
    acked = await _said(joinup, "ack TI-0001", 3)
    assert acked.startswith("Left the referral questions; type continue to go back to them.")
    assert "TI-0001 (NB-204519) is marked as acknowledged" in acked
    back = await _said(joinup, "continue", 4)
    assert "Which team did you mean by 'nowhere'?" in back
    assert [i.case_ref for i in _items(joinup)] == ["NB-204519"]


async def test_the_feedback_modal_during_a_pending_question_records_feedback(joinup: Joinup) -> None:
    await _said(joinup, "refer front door case NB-204518 by phone", 1)
    await _said(joinup, "refer front door", 2)  # "What is your case reference ...?"
    submit = payloads.view_submission(
        user=AMY,
        callback_id=modals.FEEDBACK_VIEW,
        values={
            "item": {"item": {"type": "plain_text_input", "value": "TI-0001"}},
            "outcome": {"outcome": {"type": "static_select", "selected_option": {"value": "early_help"}}},
            "reason": {"reason": {"type": "plain_text_input", "value": None}},
        },
    )
    assert (await joinup.interact(submit)).status_code == 200
    (*_, answer) = await joinup.fake.wait_for("chat.postMessage", count=3)
    assert answer.args["text"].startswith("Left the referral questions")
    assert "Recorded the outcome of TI-0001" in answer.args["text"]
    assert [(i.case_ref, i.outcome) for i in _items(joinup)] == [("NB-204518", "early_help")]


async def test_escalate_case_takes_case_as_a_word(joinup: Joinup) -> None:
    reply = await _said(joinup, "escalate case NB-2026-0999", 1)
    assert "I can't find case NB-2026-0999" in reply


async def test_log_a_referral_opens_the_form_with_the_team_chosen(joinup: Joinup) -> None:
    press = payloads.block_action(user=AMY, action_id="joinup:refer", value="front-door", block_id="result-1")
    assert (await joinup.interact(press)).status_code == 200
    (opened,) = await joinup.fake.wait_for("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == modals.REFER_VIEW
    assert view["blocks"][0]["element"]["initial_option"]["value"] == "front-door"
    submit = payloads.view_submission(
        user=AMY, callback_id=modals.REFER_VIEW, values=_refer_values(team="front-door", case_ref="NB-204531")
    )
    await joinup.interact(submit)
    (answer,) = await joinup.fake.wait_for("chat.postMessage")
    assert answer.args["text"].startswith("Logged TI-0001: your referral about NB-204531")
