"""Refer and Feedback as typed intents: parsed from a typed line, or filled in field by field from a form.

A form (Slack modal, Teams card, console questions) never becomes a line of text: each input fills its own
field, so nothing typed in one field can reach another ("front door case NB-999999 by portal" in the team
field stays the team's name). Checks run once, on the intent, and name the field they are about, in the
words of the GOV.UK error message pattern, so a form can show each beside its input.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

from handlers.intents.fields import free_text
from handlers.intents.grammar import split_case_word
from schedules.tracking.items import METHODS, OUTCOMES
from storage.errors import DomainError, InvalidInput, PersonalDataRefused
from storage.references import (
    CASE_REF_EXAMPLE,
    DEFAULT_REFERENCE_PREFIXES,
    CaseRef,
    case_ref_problem,
    parse_case_ref,
    parse_item_ref,
)

MAX_NOTE = 200
# The team's error in the GOV.UK pattern: "Enter" for a typed name, "Choose" where the team is a choice list
# (Slack's team picker, a Teams card's directory choices).
TEAM_TYPED = "Enter the team you referred to, like front door"
TEAM_CHOSEN = "Choose the team you referred to"
# Each free-text field of a form's intent: the form input it is typed into, and that input's label.
REFER_FREE_TEXT_INPUTS = {"note": ("about", "What it's about")}
FEEDBACK_FREE_TEXT_INPUTS = {"reason": ("reason", "Reasons or next steps")}
REFER_EXAMPLE = "refer front door case NB-204518 by phone"
METHOD_WORDS: dict[str, str] = {
    "phone": "phone",
    "call": "phone",
    "called": "phone",
    "rang": "phone",
    "email": "email",
    "e-mail": "email",
    "emailed": "email",
    "secure email": "secure_email",
    "secure e-mail": "secure_email",
    "portal": "portal",
    "form": "portal",
    "online": "portal",
    "chat": "chat",
    "in person": "in_person",
    "visit": "in_person",
}
_BY = re.compile(
    r"\bby\s+(secure\s+e-?mail|e-?mail|phone|portal|form|chat|post|in\s+person)\b", re.IGNORECASE
)
# "by <word>" left over once a known way of sending is taken out: a way joinup doesn't know.
_UNKNOWN_BY = re.compile(r"\bby\s+([\w-]+)\s*$", re.IGNORECASE)
_ABOUT = re.compile(r"\s+(?:about|re:?)\s+", re.IGNORECASE)


class FieldErrors(DomainError):
    """One or more fields of an intent can't be used; each message is about its own field."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True, slots=True)
class Refer:
    """Log a referral or call: to which team, about which case, how, and a short note."""

    team: str = ""  # what the person called the team ("front door")
    team_key: str = ""  # a team chosen from the directory (a picker, a button)
    case_ref: str = ""
    method: str = "phone"
    note: str = free_text(label="note")


@dataclass(frozen=True, slots=True)
class Feedback:
    """Record what came of a referral: which item, the outcome, and why."""

    item: str = ""
    outcome: str = ""
    reason: str = free_text(label="reason")


def one_line(text: str) -> str:
    """Collapse a form field to one line."""
    return " ".join(text.split())


def method_of(words: str) -> str | None:
    """Return the method a phrase names ("secure e-mail" → "secure_email"), or None."""
    key = " ".join(words.lower().replace("_", " ").split())
    if key.replace(" ", "_") in METHODS:
        return key.replace(" ", "_")
    return METHOD_WORDS.get(key)


def split_case_ref(text: str) -> tuple[str | None, str]:
    """Take the case reference out of `text`: after the word "case", else the last word with a digit in it."""
    after_case, rest = split_case_word(text)
    if after_case is not None:
        return after_case, rest
    words = text.split()
    for index in range(len(words) - 1, -1, -1):
        if any(ch.isdigit() for ch in words[index]):
            return words[index], " ".join(words[:index] + words[index + 1 :])
    return None, text


def refer_from_text(text: str) -> Refer:
    """Parse refer's arguments: `<team> case <ref> [by phone|email|portal] [about <note>]`.

    Raises:
        InvalidInput: "by" names a way of sending joinup doesn't know.
    """
    parts = _ABOUT.split(" " + text, maxsplit=1)
    head, note = parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")
    method = "phone"
    by = _BY.search(head)
    if by:
        method = method_of(by.group(1)) or "phone"  # "by post": logged as a call, as it always was
        head = " ".join((head[: by.start()] + " " + head[by.end() :]).split())
    unknown = _UNKNOWN_BY.search(head)
    if unknown:
        raise InvalidInput(
            "method",
            f"I don't know how to send by {unknown.group(1)}. Say by phone, email, secure email, portal, form, "
            "chat, post or in person.",
            example=REFER_EXAMPLE,
        )
    case_ref, team = split_case_ref(head)
    return Refer(team=team.strip(" ,.-"), case_ref=case_ref or "", method=method, note=note)


def refer_from_form(form: Mapping[str, str]) -> Refer:
    """Fill a Refer from a submitted referral form, each input into its own field."""
    return Refer(
        team=one_line(form.get("team", "")),
        team_key=form.get("team_key", "").strip(),
        case_ref=form.get("case_ref", "").strip(),
        method=form.get("method", "").strip(),  # a form's choice must be made: no silent default
        note=one_line(form.get("about", form.get("note", ""))),
    )


def feedback_from_form(form: Mapping[str, str]) -> Feedback:
    """Fill a Feedback from a submitted feedback form, each input into its own field."""
    return Feedback(
        item=form.get("item", "").strip(),
        outcome=form.get("outcome", "").strip(),
        reason=one_line(form.get("reason", "")),
    )


def _note_problem(note: str, *, what: str) -> str | None:
    # Personal data is not checked here: typed commands and forms alike go through the one privacy guard
    # (`handlers.intents.guard.check_free_text`, with its allow-lists), which shows a form's refusal beside
    # the input and offers "Save without it".
    if len(note) > MAX_NOTE:
        return f"{what} must be {MAX_NOTE} characters or fewer"
    return None


def check_refer(
    intent: Refer,
    *,
    prefixes: Collection[str] = DEFAULT_REFERENCE_PREFIXES,
    reserved_words: Collection[str] = (),
    needs_case_ref: bool = True,
    team_is_choice: bool = False,
) -> Refer:
    """Return the intent with a checked `CaseRef`, or raise the problems, one per field.

    Raises:
        FieldErrors: fields named "team", "case_ref", "method" and "about".
    """
    errors: dict[str, str] = {}
    if not intent.team and not intent.team_key:
        errors["team"] = TEAM_CHOSEN if team_is_choice else TEAM_TYPED
    case_ref: str = intent.case_ref
    if intent.case_ref or needs_case_ref:
        try:
            problem = case_ref_problem(intent.case_ref, prefixes=prefixes, reserved_words=reserved_words)
        except PersonalDataRefused as refused:
            problem = f"Enter your case reference, not {refused.what}, like {CASE_REF_EXAMPLE}"
        if problem is not None:
            errors["case_ref"] = problem
        else:
            case_ref = parse_case_ref(intent.case_ref, prefixes=prefixes)
    if intent.method not in METHODS:
        errors["method"] = "Choose how you referred"
    note_problem = _note_problem(intent.note, what="What it's about")
    if note_problem:
        errors["about"] = note_problem
    if errors:
        raise FieldErrors(errors)
    return replace(intent, case_ref=CaseRef(case_ref) if case_ref else "")


def check_feedback(intent: Feedback) -> Feedback:
    """Return the intent with a canonical item reference, or raise the problems, one per field.

    Raises:
        FieldErrors: fields named "item", "outcome" and "reason".
    """
    errors: dict[str, str] = {}
    item = parse_item_ref(intent.item)
    if item is None:
        errors["item"] = "Enter the item reference, like TI-0042"
    if intent.outcome not in OUTCOMES:
        errors["outcome"] = "Choose what came back"
    elif intent.outcome == "no_further_action" and not intent.reason:
        errors["reason"] = "Enter why there was no further action, like below threshold"
    reason_problem = _note_problem(intent.reason, what="Reasons or next steps")
    if reason_problem:
        errors["reason"] = reason_problem
    if errors:
        raise FieldErrors(errors)
    assert item is not None
    return replace(intent, item=item)
