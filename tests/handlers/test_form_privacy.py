"""A form and the typed command agree exactly on what the privacy guard refuses: the same notes, through
`refer … about <note>`, the referral form (Teams card, console form) and the Slack modal's check."""

from __future__ import annotations

import itertools

import pytest

from bot.slack import modal_checks, modals
from handlers.intents.tracking import TEAM_CHOSEN, TEAM_TYPED, Refer, check_refer
from handlers.messages import InboundMessage
from handlers.tracking.forms import REFER_FORM
from storage.errors import DomainError
from tests.handlers.conftest import World

_refs = itertools.count(204600)

NOTES = [
    # Professionals, directory contacts, places and teams: allowed everywhere.
    ("left a message with Priya Shah, duty social worker", False),
    ("spoke to Kate Morris at the front door", False),
    ("called 0161 496 0100 and left a message", False),
    ("emailed mash@northbrook.example.org", False),
    ("worried about a baby at Ashgrove", False),
    ("health visiting to follow up next week", False),
    ("", False),
    # Children, parents and their details: refused everywhere.
    ("child Jayden Smith seen at school", True),
    ("mum Kelly Smith, DOB 2019/04/03", True),
    ("nhs 943 476 5919", True),
    ("lives at 12 Acacia Avenue", True),
    ("mum's mobile 07700 900987", True),
    ("email kelly.smith@gmail.com", True),
]


def _refused(text: str) -> bool:
    return text.startswith("That looks like")


async def _typed_verdict(world: World, note: str) -> bool:
    about = f" about {note}" if note else ""
    reply = await world.say(f"refer front door case NB-{next(_refs)} by phone{about}")
    assert _refused(reply.text) or reply.text.startswith("Logged TI-"), reply.text
    await world.say("cancel")  # drop a waiting "Save without it"
    return _refused(reply.text)


async def _form_verdict(world: World, note: str) -> bool:
    form = {"team": "front door", "case_ref": f"NB-{next(_refs)}", "method": "phone", "about": note}
    reply = await world.dispatcher.handle(
        InboundMessage(platform="console", sender_key="hv.amy", action=REFER_FORM, form=form)
    )
    refused = reply.form is not None and any(i.error for i in reply.form.inputs if i.id == "about")
    assert refused or reply.text.startswith("Logged TI-"), reply.text
    await world.say("cancel")
    return refused


def _modal_verdict(world: World, note: str) -> bool:
    values = {
        "team": {"team": {"type": "external_select", "selected_option": {"value": "front-door"}}},
        "case_ref": {"case_ref": {"type": "plain_text_input", "value": f"NB-{next(_refs)}"}},
        "method": {"method": {"type": "static_select", "selected_option": {"value": "phone"}}},
        "about": {"about": {"type": "plain_text_input", "value": note}},
    }
    view = {"callback_id": modals.REFER_VIEW, "state": {"values": values}}
    with world.sessions() as session:
        verdict = modal_checks.check_modal(view, session=session, prefixes=("NB",), reserved_words=())
    return bool(verdict.ack)


@pytest.mark.parametrize(("note", "personal"), NOTES)
async def test_the_form_refuses_exactly_what_the_typed_command_refuses(
    world: World, note: str, personal: bool
) -> None:
    typed = await _typed_verdict(world, note)
    form = await _form_verdict(world, note)
    modal = _modal_verdict(world, note)

    assert typed == form == modal == personal


async def test_save_without_it_on_the_form_saves_the_cleaned_note(world: World) -> None:
    form = {
        "team": "front door",
        "case_ref": "NB-204518",
        "method": "phone",
        "about": "child Jayden Smith seen at school",
    }
    reply = await world.dispatcher.handle(
        InboundMessage(platform="console", sender_key="hv.amy", action=REFER_FORM, form=form)
    )

    assert reply.form is not None
    errors = {i.id: i.error for i in reply.form.inputs if i.error}
    assert errors == {
        "about": "Remove a person's name from what it's about. Nothing was saved: joinup stores case "
        "references, not personal details"
    }
    assert "\u201cchild [removed] seen at school\u201d" in reply.text and "Jayden" not in reply.text
    saved = await world.press("Save without it", reply=reply)
    assert saved.text.startswith("Logged TI-")


def test_a_typed_team_says_enter_and_a_chosen_team_says_choose() -> None:
    def team_error(*, team_is_choice: bool) -> str:
        intent = Refer(case_ref="NB-204518", method="phone")
        with pytest.raises(DomainError) as raised:
            check_refer(intent, team_is_choice=team_is_choice)
        return str(getattr(raised.value, "errors", {}).get("team"))

    assert team_error(team_is_choice=False) == TEAM_TYPED == "Enter the team you referred to, like front door"
    assert team_error(team_is_choice=True) == TEAM_CHOSEN == "Choose the team you referred to"


async def test_the_typed_refer_without_a_team_keeps_enter(world: World) -> None:
    reply = await world.say("refer case NB-204518 by phone")

    assert "Choose the team" not in reply.text
