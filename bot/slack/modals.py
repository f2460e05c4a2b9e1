"""Slack-only modals for the longer forms: log a referral (team picker fed by directory search), record
feedback. A submitted modal is the same form submission a Teams card or the console sends: its inputs fill
the typed intent field by field (never turned into a line of text), and a refused field is shown beside its
input through `response_action: errors` before the modal closes."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.slack.parse import VIEW_PREFIX
from directory.offered import offered
from directory.search import search
from handlers.intents.tracking import MAX_NOTE
from handlers.messages import InboundMessage
from handlers.tracking.forms import FEEDBACK_FORM, METHOD_CHOICES, REFER_FORM, form_errors
from handlers.tracking.words import OUTCOME_WORDS
from schedules.time.clock import Clock
from storage.errors import DomainError
from storage.models import Team

REFER_VIEW = "joinup-modal:refer"
FEEDBACK_VIEW = "joinup-modal:feedback"
OPEN_REFER = "joinup-home:refer"  # the Home tab button that opens the referral modal
OPEN_FEEDBACK = "joinup-home:feedback"
TEAM_PICKER = "team"  # action id of the external select; Slack asks us for its options as the person types
MAX_OPTIONS = 20


def plain(text: str) -> dict[str, Any]:
    """A Block Kit plain_text object (never read as mrkdwn, so typed text can't become a link)."""
    return {"type": "plain_text", "text": text, "emoji": True}


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": plain(label[:75]), "value": value[:150]}


def _text_input(
    block_id: str, label: str, *, placeholder: str = "", optional: bool = False, **extra: Any
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": block_id, **extra}
    if placeholder:
        element["placeholder"] = plain(placeholder)
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "optional": optional,
        "element": element,
    }


def _select(block_id: str, label: str, options: list[dict[str, Any]]) -> dict[str, Any]:
    element = {
        "type": "static_select",
        "action_id": block_id,
        "options": options,
        "initial_option": options[0],
    }
    return {"type": "input", "block_id": block_id, "label": plain(label), "element": element}


def _modal(callback_id: str, title: str, submit: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title),
        "submit": plain(submit),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def refer_modal(*, team: tuple[str, str] | None = None) -> dict[str, Any]:
    """The referral form: which team (searched as you type, or already chosen as (name, key)), the case
    reference, how, and a short note."""
    team_input: dict[str, Any] = {
        "type": "input",
        "block_id": TEAM_PICKER,
        "label": plain("Which team did you refer to?"),
        "element": {
            "type": "external_select",
            "action_id": TEAM_PICKER,
            "min_query_length": 2,
            "placeholder": plain("Type what they do, e.g. front door or health visiting"),
        },
    }
    if team is not None:
        team_input["element"]["initial_option"] = _option(*team)
    return _modal(
        REFER_VIEW,
        "Log a referral",
        "Log it",
        [
            team_input,
            _text_input("case_ref", "Case reference", placeholder="Your agency's reference, e.g. NB-204518"),
            _select(
                "method", "How did you refer?", [_option(label, value) for label, value in METHOD_CHOICES]
            ),
            _text_input(
                "about",
                "What it's about (optional)",
                placeholder="A few words; no names, dates of birth or NHS numbers",
                optional=True,
                max_length=MAX_NOTE,
            ),
        ],
    )


def feedback_modal(*, item: str = "") -> dict[str, Any]:
    """The feedback form: which item, what came back, and why (needed for no further action)."""
    outcomes = [_option(words.capitalize(), key) for key, words in OUTCOME_WORDS.items()]
    extra: dict[str, Any] = {"initial_value": item} if item else {}
    return _modal(
        FEEDBACK_VIEW,
        "Record feedback",
        "Record it",
        [
            _text_input("item", "Which item?", placeholder="e.g. TI-0042", **extra),
            _select("outcome", "What came back?", outcomes),
            _text_input(
                "reason",
                "Reasons or next steps (optional)",
                placeholder="Needed for no further action",
                optional=True,
                multiline=True,
                max_length=MAX_NOTE,
            ),
        ],
    )


def team_options(*, sessions: sessionmaker[Session], clock: Clock, query: str) -> list[dict[str, Any]]:
    """Options for the team picker: directory search results for what the person typed, best first."""
    with sessions() as session:
        try:
            found = [
                (r.team.name, r.team.key) for r in search(session, query, at=clock.now(), limit=MAX_OPTIONS)
            ]
        except DomainError:
            found = []
        if not found:  # a name rather than a need: match it directly
            like = f"%{query.strip()[:50]}%"
            rows = session.exec(
                select(Team).where(col(Team.name).ilike(like), offered()).limit(MAX_OPTIONS)
            ).all()
            found = [(team.name, team.key) for team in rows]
    return [_option(name, key) for name, key in found]


def view_for_command(text: str) -> dict[str, Any] | None:
    """The modal a bare slash command stands for: `refer` alone, or `feedback` with at most an item."""
    words = text.split()
    if [w.lower() for w in words] == ["refer"]:
        return refer_modal()
    if words and words[0].lower() == "feedback" and len(words) <= 2:
        return feedback_modal(item=words[1] if len(words) == 2 else "")
    return None


ACTION_FOR_VIEW = {REFER_VIEW: REFER_FORM, FEEDBACK_VIEW: FEEDBACK_FORM}


def modal_inputs(callback_id: str, form: Mapping[str, str]) -> dict[str, str]:
    """Name a submitted modal's inputs as the intent's form does (the team picker gives a team key)."""
    inputs = dict(form)
    if callback_id == REFER_VIEW:
        inputs["team_key"] = inputs.pop(TEAM_PICKER, "")
    return inputs


def modal_errors(
    callback_id: str, form: Mapping[str, str], *, prefixes: Collection[str], reserved_words: Collection[str]
) -> dict[str, str]:
    """Return {block id: GOV.UK-style error} for a submitted modal, for `response_action: errors`."""
    action = ACTION_FOR_VIEW.get(callback_id, callback_id.removeprefix(VIEW_PREFIX))
    inputs = modal_inputs(callback_id, form) if callback_id in ACTION_FOR_VIEW else dict(form)
    # The referral modal's team is a picker, so a missing team reads "Choose the team you referred to".
    errors = form_errors(
        action,
        inputs,
        prefixes=prefixes,
        reserved_words=reserved_words,
        team_is_choice=callback_id == REFER_VIEW,
    )
    return {("team" if key == "team_key" else key): message for key, message in errors.items()}


def modal_message(
    *, callback_id: str, user_id: str, team_id: str | None, form: Mapping[str, str]
) -> InboundMessage:
    """Turn a submitted Slack-only modal into the form submission it is: its action, its inputs."""
    address = {"user_id": user_id, **({"team_id": team_id} if team_id else {})}
    return InboundMessage(
        platform="slack",
        sender_key=user_id,
        action=ACTION_FOR_VIEW[callback_id],
        form=modal_inputs(callback_id, form),
        address=address,
    )


def team_named(*, sessions: sessionmaker[Session], key: str) -> tuple[str, str] | None:
    """Return (name, key) for a directory team key, or None when there is no such team."""
    with sessions() as session:
        found = session.exec(select(Team).where(col(Team.key) == key)).first()
    return (found.name, found.key) if found is not None else None
