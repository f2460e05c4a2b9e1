"""The referral and feedback modals go through the one privacy guard, in the acknowledgement of a signed
view_submission: a colleague's name is allowed as it is typed; a child's name keeps the modal open with
the kind of data named under the input, a preview of the note without it and a "Save without the
flagged part" checkbox, and a second submit with the box ticked saves only the cleaned note."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import select

from bot.slack import modal_checks, modals
from storage.models import AuditEvent, InboxItem, TrackedItem
from tests.slack import payloads
from tests.slack.conftest import AMY, Joinup

CHILD = "Jayden"
NOTE = f"child {CHILD} Smith, seen at school"


def _refer_values(*, about: str, case_ref: str = "NB-204518", team: str = "front-door") -> dict[str, Any]:
    return {
        "team": {"team": {"type": "external_select", "selected_option": {"value": team}}},
        "case_ref": {"case_ref": {"type": "plain_text_input", "value": case_ref}},
        "method": {"method": {"type": "static_select", "selected_option": {"value": "phone"}}},
        "about": {"about": {"type": "plain_text_input", "value": about}},
    }


def _submission(values: dict[str, Any], *, callback_id: str = modals.REFER_VIEW) -> dict[str, Any]:
    """A view_submission as Slack sends it: with the modal's own blocks and title."""
    payload = payloads.view_submission(user=AMY, callback_id=callback_id, values=values)
    built = modals.refer_modal() if callback_id == modals.REFER_VIEW else modals.feedback_modal()
    payload["view"].update({key: built[key] for key in ("title", "submit", "close", "blocks")})
    return payload


def _stored(joinup: Joinup) -> tuple[list[str], str, str]:
    with joinup.runtime.sessions() as session:
        abouts = [item.about for item in session.exec(select(TrackedItem)).all()]
        audit = json.dumps([e.model_dump(mode="json") for e in session.exec(select(AuditEvent)).all()])
        inbox = json.dumps([row.model_dump(mode="json") for row in session.exec(select(InboxItem)).all()])
    return abouts, audit, inbox


async def test_a_colleagues_name_in_the_modal_is_allowed_as_the_typed_command_allows_it(
    joinup: Joinup,
) -> None:
    note = "spoke to Kate Morris at the front door, duty social worker"
    response = await joinup.interact(_submission(_refer_values(about=note)))

    assert response.status_code == 200 and response.content in (b"", b"null", b"{}")
    (answer,) = await joinup.fake.wait_for("chat.postMessage")
    assert "Logged TI-" in answer.args["text"]
    assert _stored(joinup)[0] == [note]


async def test_a_childs_name_keeps_the_modal_open_and_save_without_it_stores_only_the_cleaned_note(
    joinup: Joinup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    response = await joinup.interact(_submission(_refer_values(about=NOTE)))

    answer = response.json()
    assert answer["response_action"] == "update"
    view = answer["view"]
    assert view["callback_id"] == modals.REFER_VIEW and view["title"]["text"] == "Log a referral"
    blocks = {block["block_id"]: block for block in view["blocks"]}
    assert list(blocks) == ["team", "case_ref", "method", "about", "save_without_preview", "save_without"]
    assert blocks["about"]["hint"]["text"] == (
        "Remove a person's name from what it's about. Nothing was saved: joinup stores case references, "
        "not personal details"
    )
    assert blocks["save_without_preview"]["text"] == {
        "type": "plain_text",
        "text": "Without it, what it's about would read: \u201cchild [removed], seen at school\u201d",
        "emoji": True,
    }
    option = blocks["save_without"]["element"]["options"][0]
    assert option["text"]["text"] == "Save without the flagged part"
    assert CHILD not in json.dumps(answer)  # the typed value is never sent back
    assert _stored(joinup)[0] == [] and joinup.fake.calls_to("chat.postMessage") == []

    # Submitted again with the box ticked: the cleaned note is filed and saved, never what was typed.
    values = _refer_values(about=NOTE)
    values["save_without"] = {"save_without": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}}
    submit = _submission(values)
    submit["view"]["blocks"] = view["blocks"]
    second = await joinup.interact(submit)
    assert second.status_code == 200 and "response_action" not in second.text
    (logged,) = await joinup.fake.wait_for("chat.postMessage")
    assert "Logged TI-" in logged.args["text"]
    abouts, audit, inbox = _stored(joinup)
    assert abouts == ["child [removed], seen at school"]
    assert CHILD not in audit and CHILD not in inbox
    assert not any(CHILD in record.getMessage() for record in caplog.records)


async def test_a_note_that_is_only_personal_data_is_an_error_beside_the_input(joinup: Joinup) -> None:
    response = await joinup.interact(_submission(_refer_values(about="943 476 5919")))

    assert response.json() == {
        "response_action": "errors",
        "errors": {
            "about": "Remove an NHS number from what it's about. Nothing was saved: joinup stores case "
            "references, not personal details"
        },
    }
    abouts, _, inbox = _stored(joinup)
    assert abouts == [] and "5919" not in inbox


async def test_a_flagged_feedback_reason_offers_save_without_it_too(joinup: Joinup) -> None:
    values = {
        "item": {"item": {"type": "plain_text_input", "value": "TI-0042"}},
        "outcome": {"outcome": {"type": "static_select", "selected_option": {"value": "no_further_action"}}},
        "reason": {"reason": {"type": "plain_text_input", "value": "mum Kelly Smith said no"}},
    }
    response = await joinup.interact(_submission(values, callback_id=modals.FEEDBACK_VIEW))

    view = response.json()["view"]
    blocks = {block["block_id"]: block for block in view["blocks"]}
    assert blocks["reason"]["hint"]["text"].startswith("Remove a person's name from reasons or next steps.")
    assert "save_without" in blocks and "Kelly" not in json.dumps(view)


async def test_a_missing_team_in_the_modal_says_choose(joinup: Joinup) -> None:
    response = await joinup.interact(_submission(_refer_values(about="", team="")))

    assert response.json()["errors"]["team"] == "Choose the team you referred to"


def test_only_the_cleaned_text_goes_into_the_inbox_row() -> None:
    content = {"view": {"state": {"values": _refer_values(about=NOTE)}}}

    stored = modal_checks.cleaned_content(content, {"about": "child [removed], seen at school"})

    assert CHILD not in json.dumps(stored) and CHILD in json.dumps(content)
