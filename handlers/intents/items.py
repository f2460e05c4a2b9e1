"""The commands about one tracked item as typed intents: ack, tried, snooze, pause, resume and close.

Each is a frozen dataclass. `<kind>_from_text` parses what followed the command word (the grammar has
already taken the politeness and the command word away); a button's value, or a form's inputs, fill the
same fields through `<kind>_from_fields`. Item references are checked once, here, by the one item rule
in `storage.references`. Fields declared with `free_text()` are the only ones the privacy guard checks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from handlers.intents.fields import free_text
from handlers.intents.tracking import Feedback, method_of, one_line, split_case_ref
from handlers.tracking.words import RESULT_WORDS, find_phrase, parse_outcome
from storage.errors import InvalidInput
from storage.references import parse_item_ref

ITEM_EXAMPLE = "TI-0042"
ENTER_ITEM = f"Enter the item reference, like {ITEM_EXAMPLE}"
NO_ITEM_HINT = "Type mine to see your open items."
_BY = re.compile(
    r"\bby\s+(secure\s+e-?mail|e-?mail|phone|portal|form|chat|post|in\s+person)\b", re.IGNORECASE
)
_ABOUT = re.compile(r"\s+(?:about|re:?|note:?)\s+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Ack:
    """The other team acknowledged a referral."""

    item: str


@dataclass(frozen=True, slots=True)
class Tried:
    """An attempt to reach the other team: about an item, or a team and case; how it went; a note."""

    item: str = ""  # a canonical item reference, or empty when a team and case are named instead
    team: str = ""  # words naming the team, resolved against the directory
    case_ref: str = ""  # checked by the one case-reference rule where it is used
    result: str = ""  # spoke, left_message, no_answer; empty: ask how it went
    method: str = "phone"
    note: str = free_text(label="note")


@dataclass(frozen=True, slots=True)
class Snooze:
    """Put off reminders about an item, for a number of working days or until a day."""

    item: str
    until: str = ""  # "2wd", "until 30/11/2026": read against the person's working calendar


@dataclass(frozen=True, slots=True)
class Pause:
    """Stop an item's clocks, with why."""

    item: str
    reason: str = free_text(label="reason")


@dataclass(frozen=True, slots=True)
class Resume:
    """Restart a paused item's clocks."""

    item: str


@dataclass(frozen=True, slots=True)
class Close:
    """Close an item without an outcome (logged by mistake, or no further action to track), with why."""

    item: str
    reason: str = free_text(label="reason")


def item_field(text: str, *, usage: str) -> str:
    """Return the canonical item reference `text` is ("ti-42" → "TI-0042").

    Raises:
        InvalidInput: it is empty, or not an item reference (a case reference, a typo); names the field.
    """
    ref = parse_item_ref(text.strip())
    if ref is not None:
        return ref
    example = usage.replace("<item>", ITEM_EXAMPLE)
    if not text.strip():
        raise InvalidInput("item", f"{ENTER_ITEM}. {NO_ITEM_HINT}", example=example)
    # Something was given but it isn't an item reference: say so (briefly), and what one looks like.
    shown = text.strip().split()[0][:40]
    raise InvalidInput(
        "item", f"{shown} isn't an item reference. {ENTER_ITEM}. {NO_ITEM_HINT}", example=example
    )


def _item_and_rest(text: str, usage: str) -> tuple[str, str]:
    first, _, rest = text.strip().partition(" ")
    return item_field(first, usage=usage), rest.strip()


def ack_from_text(text: str) -> Ack:
    """Parse `<item>`."""
    return Ack(item=_item_and_rest(text, "ack <item>")[0])


def snooze_from_text(text: str) -> Snooze:
    """Parse `<item> [1wd | 3 working days | until 30/11/2026]`."""
    item, until = _item_and_rest(text, "snooze <item> [1wd | until 30/11/2026]")
    return Snooze(item=item, until=until)


def pause_from_text(text: str) -> Pause:
    """Parse `<item> [reason]`."""
    item, reason = _item_and_rest(text, "pause <item> [reason]")
    return Pause(item=item, reason=reason)


def resume_from_text(text: str) -> Resume:
    """Parse `<item>`."""
    return Resume(item=_item_and_rest(text, "resume <item>")[0])


def close_from_text(text: str) -> Close:
    """Parse `<item> [reason]`."""
    item, reason = _item_and_rest(text, "close <item> [reason]")
    return Close(item=item, reason=reason)


def feedback_from_text(text: str) -> Feedback:
    """Parse `<item> [outcome] [reason]` ("TI-0042 nfa below threshold")."""
    item, rest = _item_and_rest(text, "feedback <item> <outcome> [reason]")
    outcome, reason = parse_outcome(rest) if rest else ("", "")
    return Feedback(item=item, outcome=outcome, reason=reason)


TRIED_USAGE = "tried <item> [spoke|left message|no answer] [about <note>]"


def tried_from_text(text: str) -> Tried:
    """Parse `<item | team case <ref>> [spoke|left message|no answer] [by <method>] [about <note>]`.

    Raises:
        InvalidInput: neither an item nor a team, or a team without a case reference.
    """
    parts = _ABOUT.split(" " + text, maxsplit=1)
    head, note = parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")
    result, head = find_phrase(head, RESULT_WORDS)
    method = "phone"
    by = _BY.search(head)
    if by:
        method = method_of(by.group(1)) or "phone"
        head = " ".join((head[: by.start()] + " " + head[by.end() :]).split())
    words = head.split()
    if not words:
        raise InvalidInput(
            "item",
            f"Say which item or team you tried. Type: {TRIED_USAGE}",
            example="tried TI-0042 no answer",
        )
    item = parse_item_ref(words[0])
    if item is not None:
        return Tried(item=item, result=result or "", method=method, note=note)
    case_ref, team = split_case_ref(" ".join(words))
    if not case_ref or not team.strip():
        raise InvalidInput(
            "case_ref",
            "Give the item reference, or the team and the case reference.",
            example="tried front door case NB-204518 no answer",
        )
    return Tried(team=team.strip(" ,.-"), case_ref=case_ref, result=result or "", method=method, note=note)


def tried_from_fields(form: Mapping[str, str]) -> Tried:
    """Fill a Tried from a button's or form's fields, each into its own field (no text in between).

    Raises:
        InvalidInput: the item is not an item reference, or the result is not one joinup knows.
    """
    result = form.get("result", "").strip().replace(" ", "_")
    if result and result not in set(RESULT_WORDS.values()):
        raise InvalidInput("result", "Choose how it went: spoke, left message or no answer")
    method = form.get("method", "").strip()
    return Tried(
        item=item_field(form.get("item", ""), usage=TRIED_USAGE),
        result=result,
        method=(method_of(method) or "phone") if method else "phone",
        note=one_line(form.get("note", "")),
    )


def pause_from_fields(form: Mapping[str, str]) -> Pause:
    """Fill a Pause from a button's or form's fields."""
    return Pause(
        item=item_field(form.get("item", ""), usage="pause <item>"), reason=one_line(form.get("reason", ""))
    )


def close_from_fields(form: Mapping[str, str]) -> Close:
    """Fill a Close from a button's or form's fields."""
    return Close(
        item=item_field(form.get("item", ""), usage="close <item>"), reason=one_line(form.get("reason", ""))
    )


def snooze_from_fields(form: Mapping[str, str]) -> Snooze:
    """Fill a Snooze from a button's or form's fields."""
    return Snooze(
        item=item_field(form.get("item", ""), usage="snooze <item>"), until=one_line(form.get("until", ""))
    )
