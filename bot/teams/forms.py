"""Teams cards for the longer forms, where Slack opens a modal: log a referral, record feedback.

Typing just `refer` (or `feedback`, or `feedback TI-0042`), or pressing a directory result's "Log a referral",
answers with the form. A submitted card sends the form's own action ("refer.form") with its inputs, and the
Dispatcher fills the same typed intent a typed command fills, field by field; a refused field comes back as
the card again, with the error beside it, and the answer replaces the submitted card.

In Teams the referral form's team is a choice from the directory, as Slack's team picker is: the
partnership's own teams (not services pulled from neighbours' feeds) that cover the person's area.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping

from sqlmodel import Session, col, select

from handlers.intents.tracking import TEAM_CHOSEN, TEAM_TYPED
from handlers.messages import Choice, FormInput, Reply
from handlers.tracking.forms import FEEDBACK_FORM, REFER_FORM, feedback_form, form_errors, refer_form
from storage.models import Person, Team
from storage.references import parse_item_ref

__all__ = [
    "FEEDBACK_FORM",
    "FORM_ACTIONS",
    "REFER_BUTTON",
    "REFER_FORM",
    "TEAM_PICKER",
    "feedback_form",
    "form_for",
    "refer_form",
    "required_messages",
    "team_choices",
    "with_team_picker",
]

_BARE_REFER = re.compile(r"^/?refer[.!?]?$", re.IGNORECASE)
_BARE_FEEDBACK = re.compile(r"^/?feedback(?:\s+(?P<item>\S+))?[.!?]?$", re.IGNORECASE)
FORM_ACTIONS = frozenset({REFER_FORM, FEEDBACK_FORM})
REFER_BUTTON = "refer"  # a directory result's "Log a referral" (its value is the team's key)
TEAM_PICKER = "team_key"  # the referral form's input when the team is chosen from the directory
# A card over Teams' 28 KB message limit is refused; past this many teams, the team is typed instead.
MAX_TEAM_CHOICES = 150


def form_for(text: str) -> Reply | None:
    """Return the form a bare `refer` or `feedback [item]` stands for, else None."""
    if _BARE_REFER.match(text):
        return refer_form()
    match = _BARE_FEEDBACK.match(text)
    if match and (match["item"] is None or parse_item_ref(match["item"])):
        return feedback_form(parse_item_ref(match["item"] or "") or "")
    return None


def team_choices(session: Session, person: Person | None) -> tuple[Choice, ...]:
    """The teams a person can log a referral to, by name: local teams that cover the person's area.

    The person's area is their own team's; a team naming no area covers everywhere, and a person whose
    team names none (or who has no team yet) sees every local team.
    """
    own = session.get(Team, person.team_id) if person is not None and person.team_id else None
    areas = set(own.areas) if own is not None else set()
    teams = session.exec(select(Team).where(col(Team.source) == "").order_by(col(Team.name))).all()
    return tuple(
        Choice(team.name, team.key)
        for team in teams
        if not areas or not team.areas or areas & set(team.areas)
    )


def with_team_picker(reply: Reply, choices: tuple[Choice, ...], submitted: Mapping[str, str]) -> Reply:
    """Return a referral form with its typed team swapped for a choice from `choices`; other replies as they are.

    `submitted` is what came back with a refused card, so the team chosen stays chosen.
    """
    form = reply.form
    if form is None or form.submit_action != REFER_FORM or not choices or len(choices) > MAX_TEAM_CHOICES:
        return reply
    chosen = submitted.get(TEAM_PICKER, "")
    initial = chosen if any(choice.value == chosen for choice in choices) else ""
    inputs = tuple(
        FormInput(TEAM_PICKER, field.label, "choice", choices, initial=initial, error=_chosen(field.error))
        if field.id == "team"
        else field
        for field in form.inputs
    )
    return dataclasses.replace(reply, form=dataclasses.replace(form, inputs=inputs))


def _chosen(error: str) -> str:
    """A missing team's error for a choice list says "Choose", not "Enter" (the GOV.UK select pattern)."""
    return TEAM_CHOSEN if error == TEAM_TYPED else error


@functools.cache
def required_messages(action: str) -> Mapping[str, str]:
    """What Teams says under a required input left empty, in the intent's own words ("Choose how you
    referred"), by input id; empty for a form that isn't a referral or feedback form."""
    if action not in FORM_ACTIONS:
        return {}
    missing = form_errors(action, {}, prefixes=())
    if "team" in missing:
        missing[TEAM_PICKER] = _chosen(missing["team"])
    return missing
