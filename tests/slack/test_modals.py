"""The referral and feedback modals: opened from App Home or /joinup refer, the team picker fed by the
directory search, and each submission run as the command it stands for."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.slack import modals
from storage.models import TrackedItem
from tests.slack import payloads
from tests.slack.conftest import AMY, Joinup


def _refer_values(
    *, team: str, case_ref: str, method: str = "phone", about: str | None = None
) -> dict[str, Any]:
    return {
        "team": {"team": {"type": "external_select", "selected_option": {"value": team}}},
        "case_ref": {"case_ref": {"type": "plain_text_input", "value": case_ref}},
        "method": {"method": {"type": "static_select", "selected_option": {"value": method}}},
        "about": {"about": {"type": "plain_text_input", "value": about}},
    }


async def test_log_a_referral_from_the_home_tab(joinup: Joinup) -> None:
    press = payloads.block_action(
        user=AMY, action_id=modals.OPEN_REFER, value=None, block_id="joinup-home-search"
    )
    assert (await joinup.interact(press)).status_code == 200
    (opened,) = await joinup.fake.wait_for("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == modals.REFER_VIEW
    assert [b["block_id"] for b in view["blocks"]] == ["team", "case_ref", "method", "about"]
    assert view["blocks"][0]["element"]["type"] == "external_select"

    # As Amy types in the team picker, Slack asks for options; they come from the directory search.
    suggestion = {
        "type": "block_suggestion",
        "user": {"id": AMY, "team_id": "T0NORTHBRK"},
        "team": {"id": "T0NORTHBRK"},
        "action_id": "team",
        "block_id": "team",
        "value": "front door",
        "view": {"id": view.get("id", "V1"), "type": "modal", "callback_id": modals.REFER_VIEW},
    }
    options = (await joinup.interact(suggestion)).json()["options"]
    assert "front-door" in [option["value"] for option in options]

    submit = payloads.view_submission(
        user=AMY,
        callback_id=modals.REFER_VIEW,
        values=_refer_values(team="front-door", case_ref="NB-204518", about="worried about a baby"),
    )
    assert (await joinup.interact(submit)).status_code == 200
    (answer,) = await joinup.fake.wait_for("chat.postMessage")
    assert answer.args["channel"] == "D0AMYHUGHES"
    with joinup.runtime.sessions() as session:
        item = session.exec(select(TrackedItem)).one()
    assert item.case_ref == "NB-204518"
    assert item.ref in answer.args["text"] or item.ref in str(answer.args["blocks"])


async def test_a_bare_slash_refer_opens_the_referral_modal(joinup: Joinup) -> None:
    assert (await joinup.command("refer")).status_code == 200
    (opened,) = await joinup.fake.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == modals.REFER_VIEW
    assert opened.args["trigger_id"]


async def test_a_slash_feedback_with_just_an_item_opens_the_feedback_modal(joinup: Joinup) -> None:
    assert (await joinup.command("feedback TI-0042")).status_code == 200
    (opened,) = await joinup.fake.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == modals.FEEDBACK_VIEW
    assert opened.args["view"]["blocks"][0]["element"]["initial_value"] == "TI-0042"


def test_only_bare_commands_open_a_modal() -> None:
    assert modals.view_for_command(" Refer ") is not None
    assert modals.view_for_command("feedback") is not None
    assert modals.view_for_command("refer front door case NB-1") is None
    assert modals.view_for_command("feedback TI-0001 early help") is None
    assert modals.view_for_command("find refer") is None


async def test_team_options_match_names_too(joinup: Joinup) -> None:
    options = modals.team_options(
        sessions=joinup.runtime.sessions, clock=joinup.clock, query="health visiting"
    )
    assert options and all(len(o["text"]["text"]) <= 75 for o in options)
    assert modals.team_options(sessions=joinup.runtime.sessions, clock=joinup.clock, query="zzzzqqq") == []


async def test_record_feedback_from_the_home_tab(joinup: Joinup) -> None:
    submit = payloads.view_submission(
        user=AMY, callback_id=modals.REFER_VIEW, values=_refer_values(team="front-door", case_ref="NB-204518")
    )
    await joinup.interact(submit)
    await joinup.fake.wait_for("chat.postMessage")
    with joinup.runtime.sessions() as session:
        ref = session.exec(select(TrackedItem)).one().ref

    press = payloads.block_action(
        user=AMY, action_id=modals.OPEN_FEEDBACK, value=ref, block_id="joinup-home-search"
    )
    await joinup.interact(press)
    (opened,) = await joinup.fake.wait_for("views.open")
    assert opened.args["view"]["blocks"][0]["element"]["initial_value"] == ref

    feedback = payloads.view_submission(
        user=AMY,
        callback_id=modals.FEEDBACK_VIEW,
        values={
            "item": {"item": {"type": "plain_text_input", "value": ref}},
            "outcome": {"outcome": {"type": "static_select", "selected_option": {"value": "early_help"}}},
            "reason": {
                "reason": {"type": "plain_text_input", "value": "Early help hub will contact the family"}
            },
        },
    )
    assert (await joinup.interact(feedback)).status_code == 200
    await joinup.fake.wait_for("chat.postMessage", count=2)
    with joinup.runtime.sessions() as session:
        item = session.exec(select(TrackedItem)).one()
    assert item.outcome == "early_help"


def test_a_modal_is_a_form_submission_never_a_line_of_text() -> None:
    form = {
        "team": "front-door",
        "case_ref": " NB-204518 ",
        "method": "email",
        "about": "parent hearing\nvoices",
    }
    msg = modals.modal_message(callback_id=modals.REFER_VIEW, user_id=AMY, team_id=None, form=form)
    assert (msg.action, msg.text) == ("refer.form", "")
    assert msg.form == {
        "team_key": "front-door",
        "case_ref": " NB-204518 ",
        "method": "email",
        "about": form["about"],
    }
