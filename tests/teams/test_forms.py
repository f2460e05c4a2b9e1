"""Where Slack opens a modal, Teams answers with a card form: log a referral, record feedback."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, func, select

from bot.teams import forms
from storage.models import AuditEvent, TrackedItem
from tests.fakes.teams import Sent
from tests.teams.conftest import TeamsJoinup
from tests.teams.test_cards import schema_errors


def inputs_of(sent: Sent) -> dict[str, dict[str, Any]]:
    return {element["id"]: element for element in sent.card["body"] if element["type"].startswith("Input.")}


def submit_of(sent: Sent) -> dict[str, str]:
    data: dict[str, str] = sent.card["body"][-1]["actions"][0]["data"]
    return data


async def test_typing_refer_alone_answers_with_the_referral_form(joinup: TeamsJoinup) -> None:
    await joinup.say("refer")

    sent = joinup.fake.sent[-1]
    assert schema_errors(sent.card) == []
    assert list(inputs_of(sent)) == ["team_key", "case_ref", "method", "about"]
    assert inputs_of(sent)["team_key"]["type"] == "Input.ChoiceSet"
    assert [c["value"] for c in inputs_of(sent)["method"]["choices"]] == [
        "phone",
        "secure_email",
        "email",
        "portal",
    ]
    assert submit_of(sent) == {"action": forms.REFER_FORM, "value": ""}


async def test_a_submitted_referral_form_logs_the_referral_like_typing_it(joinup: TeamsJoinup) -> None:
    await joinup.say("refer")
    data = submit_of(joinup.fake.sent[-1])

    await joinup.press(
        {**data, "team": "front door", "case_ref": " NB-204518 ", "method": "email", "about": ""}
    )

    assert joinup.replies()[-1].startswith("Logged TI-")
    with joinup.runtime.sessions() as session:
        item = session.exec(select(TrackedItem)).one()
    assert (item.case_ref, item.method) == ("NB-204518", "email")


async def test_an_nhs_number_in_the_form_is_refused_and_nothing_is_stored(joinup: TeamsJoinup) -> None:
    await joinup.say("help")
    with joinup.runtime.sessions() as session:
        before = session.exec(select(func.count()).select_from(TrackedItem)).one()

    await joinup.press(
        {
            "action": forms.REFER_FORM,
            "value": "",
            "team": "front door",
            "case_ref": "NB-1",
            "about": "nhs 943 476 5919",
        }
    )

    # The method is missing too: the card comes back with both errors, the number cut out of the note.
    sent = joinup.fake.sent[-1]
    body = sent.card["body"]
    position = next(i for i, e in enumerate(body) if e.get("id") == "about")
    assert body[position + 1]["text"].startswith("Remove an NHS number from what it's about.")
    assert "5919" not in str(sent.card)
    with joinup.runtime.sessions() as session:
        assert session.exec(select(func.count()).select_from(TrackedItem)).one() == before
        refused = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "privacy.refused")).all()
    assert len(refused) == 1


async def test_feedback_with_an_item_answers_with_the_feedback_form_filled_in(joinup: TeamsJoinup) -> None:
    await joinup.say("feedback TI-42")

    sent = joinup.fake.sent[-1]
    assert schema_errors(sent.card) == []
    fields = inputs_of(sent)
    assert fields["item"]["value"] == "TI-0042"
    assert "no_further_action" in [c["value"] for c in fields["outcome"]["choices"]]


async def test_a_refused_field_comes_back_as_the_card_with_the_error_beside_it(joinup: TeamsJoinup) -> None:
    await joinup.say("refer")
    data = submit_of(joinup.fake.sent[-1])

    await joinup.press(
        {**data, "team_key": "front-door", "case_ref": "Jane Doe", "method": "phone", "about": ""}
    )

    sent = joinup.fake.sent[-1]
    assert schema_errors(sent.card) == []
    body = sent.card["body"]
    position = next(i for i, e in enumerate(body) if e.get("id") == "case_ref")
    assert body[position + 1]["type"] == "TextBlock" and body[position + 1]["color"] == "Attention"
    assert body[position + 1]["text"].startswith("That looks like a name.")
    assert inputs_of(sent)["team_key"]["value"] == "front-door"  # the other answers are kept
    with joinup.runtime.sessions() as session:
        assert session.exec(select(TrackedItem)).all() == []


@pytest.mark.parametrize(
    ("text", "is_form"),
    [
        ("refer", True),
        ("Refer.", True),
        ("feedback", True),
        ("feedback TI-0042", True),
        ("feedback NB-1", False),
        ("refer front door case NB-1", False),
        ("feedback TI-0042 nfa", False),
        ("referral", False),
    ],
)
def test_only_a_bare_command_becomes_a_form(text: str, is_form: bool) -> None:
    assert (forms.form_for(text) is not None) is is_form
