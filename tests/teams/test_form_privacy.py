"""Teams card forms go through the one privacy guard: a colleague's name is allowed as typed, a child's
name comes back as the card with the kind of data beside the input, the cleaned preview and a
"Save without it" action (Action.Submit activities), and the flagged value is never stored, audited or
logged, not even by the Teams SDK's DEBUG dump of every activity."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlmodel import select

from bot.config import TeamsSettings
from bot.teams import forms
from bot.teams.app import RouterAdapter, app_options
from bot.teams.sdk_logging import ACTIVITY_DUMP_LOGGER
from storage.models import AuditEvent, TrackedItem
from tests.teams.conftest import TeamsJoinup
from tests.teams.test_cards import schema_errors
from tests.teams.test_forms import inputs_of, submit_of

CHILD = "Jayden"
NOTE = f"child {CHILD} Smith, seen at school"


def _stored(joinup: TeamsJoinup) -> tuple[list[str], str]:
    with joinup.runtime.sessions() as session:
        abouts = [item.about for item in session.exec(select(TrackedItem)).all()]
        audit = json.dumps([e.model_dump(mode="json") for e in session.exec(select(AuditEvent)).all()])
    return abouts, audit


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        action for element in card["body"] if element["type"] == "ActionSet" for action in element["actions"]
    ]


async def test_a_colleagues_name_in_the_card_is_allowed_as_typed(joinup: TeamsJoinup) -> None:
    await joinup.say("refer")
    data = submit_of(joinup.fake.sent[-1])
    note = "spoke to Kate Morris at the front door, duty social worker"

    await joinup.press(
        {**data, "team_key": "front-door", "case_ref": "NB-204518", "method": "phone", "about": note}
    )

    assert joinup.replies()[-1].startswith("Logged TI-")
    assert _stored(joinup)[0] == [note]


async def test_a_childs_name_comes_back_as_the_card_with_save_without_it(
    joinup: TeamsJoinup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await joinup.say("refer")
    data = submit_of(joinup.fake.sent[-1])
    answers = {**data, "team_key": "front-door", "case_ref": "NB-204518", "method": "phone", "about": NOTE}

    await joinup.press(answers)

    sent = joinup.fake.sent[-1]
    assert schema_errors(sent.card) == []
    body = sent.card["body"]
    position = next(i for i, element in enumerate(body) if element.get("id") == "about")
    assert body[position + 1]["color"] == "Attention"
    assert body[position + 1]["text"] == (
        "Remove a person's name from what it's about. Nothing was saved: joinup stores case references, "
        "not personal details"
    )
    assert "\u201cchild [removed], seen at school\u201d" in json.dumps(sent.card, ensure_ascii=False)
    assert inputs_of(sent)["team_key"]["value"] == "front-door"  # the other answers are kept
    assert inputs_of(sent)["about"]["value"] == "child [removed], seen at school"
    assert CHILD not in json.dumps(sent.card)  # the flagged value is never sent back out
    save = [a for a in _actions(sent.card) if a["title"] == "Save without it"]
    assert save and save[0]["data"]["action"] == "save_without"
    assert _stored(joinup)[0] == []

    # Teams sends the card's inputs with every Action.Submit: the typed note comes back, and is ignored.
    await joinup.press({**answers, **save[0]["data"]})

    assert joinup.replies()[-1].startswith("Logged TI-")
    abouts, audit = _stored(joinup)
    assert abouts == ["child [removed], seen at school"] and CHILD not in audit
    assert caplog.records and not any(CHILD in record.getMessage() for record in caplog.records)


async def test_a_flagged_feedback_reason_comes_back_beside_its_input(joinup: TeamsJoinup) -> None:
    await joinup.say("feedback TI-42")
    data = submit_of(joinup.fake.sent[-1])

    await joinup.press(
        {**data, "item": "TI-0042", "outcome": "no_further_action", "reason": "mum Kelly Smith said no"}
    )

    sent = joinup.fake.sent[-1]
    body = sent.card["body"]
    position = next(i for i, element in enumerate(body) if element.get("id") == "reason")
    assert body[position + 1]["text"].startswith("Remove a person's name from reasons or next steps.")
    assert any(a["title"] == "Save without it" for a in _actions(sent.card))


async def test_a_missing_team_on_the_card_says_choose(joinup: TeamsJoinup) -> None:
    await joinup.say("refer")
    data = submit_of(joinup.fake.sent[-1])

    await joinup.press({**data, "team_key": "", "case_ref": "NB-204518", "method": "phone", "about": ""})

    sent = joinup.fake.sent[-1]
    body = sent.card["body"]
    position = next(i for i, element in enumerate(body) if element.get("id") == "team_key")
    assert body[position + 1]["text"] == "Choose the team you referred to"
    assert forms.required_messages(forms.REFER_FORM)["team_key"] == "Choose the team you referred to"


def test_building_the_teams_app_holds_the_sdk_activity_dump_above_debug() -> None:
    dump = logging.getLogger(ACTIVITY_DUMP_LOGGER)
    before = dump.level
    dump.setLevel(logging.NOTSET)  # as a fresh process starts
    try:
        app_options(TeamsSettings(allow_unauthenticated=True), adapter=RouterAdapter())
        assert not dump.isEnabledFor(logging.DEBUG) and dump.isEnabledFor(logging.WARNING)
    finally:
        dump.setLevel(before)
