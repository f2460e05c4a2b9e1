"""Every Adaptive Card joinup sends validates against the Adaptive Card 1.5 schema Teams renders.

Two sources: a scripted conversation through /api/messages (every handler's replies, every button pressed
once, the reminders the sweep then sends), and replies built by hand for what no handler sends yet (forms).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.teams.render import card_json, plain_text, to_card
from handlers.messages import Button, Choice, Field, Form, FormInput, Reply, Section
from tests.fakes.teams import Sent
from tests.teams.conftest import AMY, STRANGER, TeamsJoinup

SCHEMA = json.loads(Path("/work/shared/teams/adaptive-card-1.5.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft6Validator(SCHEMA)
SCRIPT = [
    "help",
    "help refer",
    "find health visitor",
    "worried about a baby",
    "parent hearing voices",
    "role lead professional",
    "due icpc from 2026-12-17",
    "share?",
    "refer front door case NB-204518 by phone",
    "tried TI-0001 no answer",
    "mine",
    "escalate NB-204518",
    "cancel",
    "digest preview",
    "stats",
    "ack TI-9999",
    "something nobody would ever search for",
]
FORM = Form(
    title="Log a referral",
    submit_action="refer_form",
    value="NB-204518",
    inputs=(
        FormInput("case_ref", "Case reference", placeholder="NB-204518"),
        FormInput(
            "team", "Team", "choice", (Choice("Front door", "front-door"), Choice("Health visiting", "hv"))
        ),
        FormInput("sent_on", "Sent on", "date", is_required=False),
        FormInput("note", "Short note", "multiline", is_required=False, initial="Called, left a message"),
    ),
)
HAND_MADE = [
    Reply(text="Plain"),
    Reply(text="Facts", fields=(Field("Acknowledgement due", "2pm on Wednesday 25 November"),)),
    Reply(
        text="Results",
        sections=(
            Section(
                "Health visiting",
                "0-19 service",
                (Field("Phone", "0161 496 0100"),),
                (Button("Refer", "refer"),),
            ),
        ),
        buttons=(Button("Yes", "ok", "1", "primary"), Button("No", "no", "1", "danger")),
    ),
    Reply(text="A form", form=FORM),
]


def schema_errors(card: dict[str, Any]) -> list[str]:
    return [f"{list(error.path)}: {error.message}" for error in VALIDATOR.iter_errors(card)]


def buttons_of(sent: Sent) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []

    def walk(elements: list[dict[str, Any]]) -> None:
        for element in elements:
            found.extend(action["data"] for action in element.get("actions", []))
            walk(element.get("items", []))

    walk(sent.card["body"])
    return found


async def test_every_card_from_a_whole_conversation_validates(joinup: TeamsJoinup) -> None:
    await joinup.install(user=STRANGER)  # welcome card and onboarding questions
    for text in SCRIPT:
        await joinup.say(text)
    pressed = 0
    for sent in list(joinup.fake.sent):
        for data in buttons_of(sent):
            await joinup.press(data, user=AMY)
            pressed += 1
    sweep = joinup.runtime.jobs["outbox-sweep"]
    for _ in range(6):  # reminders and chases, as the scheduler would send them over three days
        joinup.clock.advance(timedelta(hours=12))
        await sweep.run(joinup.runtime)

    cards = [sent.card for sent in joinup.fake.sent]
    assert len(cards) >= len(SCRIPT) + pressed
    for sent in joinup.fake.sent:
        assert schema_errors(sent.card) == [], sent.text[:200]
        assert sent.card["version"] == "1.5"
        assert sent.text  # every card carries its plain-text fallback


@pytest.mark.parametrize("reply", HAND_MADE, ids=["plain", "facts", "sections-and-styles", "form"])
def test_every_reply_shape_validates(reply: Reply) -> None:
    assert schema_errors(card_json(reply)) == []


def test_a_form_becomes_inputs_with_labels_and_a_submit_carrying_its_action() -> None:
    card = card_json(Reply(text="A form", form=FORM))

    inputs = {element["id"]: element for element in card["body"] if element["type"].startswith("Input.")}
    assert [inputs[key]["type"] for key in ("case_ref", "team", "sent_on", "note")] == [
        "Input.Text",
        "Input.ChoiceSet",
        "Input.Date",
        "Input.Text",
    ]
    assert inputs["case_ref"]["isRequired"] is True
    assert inputs["case_ref"]["errorMessage"] == "Enter case reference"
    assert inputs["note"]["isMultiline"] is True
    assert inputs["note"]["value"] == "Called, left a message"
    [submit] = card["body"][-1]["actions"]
    assert submit == {
        "type": "Action.Submit",
        "title": "Submit",
        "style": "positive",
        "data": {"action": "refer_form", "value": "NB-204518"},
    }


def test_the_fallback_text_carries_everything_a_card_says() -> None:
    reply = HAND_MADE[2]

    text = plain_text(reply)

    assert text.splitlines() == ["Results", "- Health visiting", "  0-19 service", "  Phone: 0161 496 0100"]
    assert to_card(reply).fallback_text == text


def test_a_form_input_cannot_take_a_reserved_id() -> None:
    form = Form(title="Bad", submit_action="x", inputs=(FormInput("action", "Action"),))

    with pytest.raises(ValueError, match="reserved"):
        to_card(Reply(text="x", form=form))


def test_the_schema_catches_a_broken_card() -> None:
    assert schema_errors({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock"}]})
