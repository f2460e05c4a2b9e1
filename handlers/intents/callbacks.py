"""Callback as a typed intent: who is to call back (a team, or a joinup user by @mention or handle), about
which case, and by when.

`callback [from] <team | @person> case <ref> [by <time or day>]`, or `callback <item> [by <time>]` to expect
a call back after a message left on a tracked item (the "Expect a call back by …" button fills the same
fields). Nothing here is free text: the team, the person, the case reference and the time are each parsed
into their own field and checked where they are used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time

from handlers.intents.tracking import one_line, split_case_ref
from storage.errors import InvalidInput
from storage.references import parse_item_ref

CALLBACK_USAGE = "callback <team or @person> case <case ref> [by <time>]"
CALLBACK_EXAMPLE = "callback front door case NB-204519 by 3pm"
# "3pm", "3.30pm", "15:00", "noon": a clock time in what followed "by".
_CLOCK = re.compile(
    r"\b(?:(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ampm>am|pm)"
    r"|(?P<h24>\d{1,2})[:.](?P<m24>\d{2})|(?P<noon>noon|midday))(?!\w)",
    re.IGNORECASE,
)
_BY = re.compile(r"(?:^|\s)by\s+(?P<by>.+)$", re.IGNORECASE)
_PERSON = re.compile(r"^(?:<@(?P<slack>[A-Z0-9]+)(?:\|[^>]*)?>|@(?P<handle>[\w.\-]+))$")
_LEADING = re.compile(r"^(?:(?:a\s+)?call\s*back\s+)?(?:from\s+)?(?:the\s+)?", re.IGNORECASE)
_TRAILING = re.compile(r"\s+(?:about|re:?|for)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Callback:
    """Someone is waiting for a call back: from which team or joinup user, about which case, by when."""

    team: str = ""  # words naming the team, resolved against the directory
    person: str = ""  # a joinup user: their handle, or "slack:U123" from a Slack mention
    case_ref: str = ""  # checked by the one case-reference rule where it is used
    by: str = ""  # what followed "by": a time, a day or both; empty: the route's own promise
    item: str = ""  # a tracked item the call back is expected on (after a message was left)


def split_by(text: str) -> tuple[time | None, str]:
    """Take a clock time out of what followed "by": (15:00, "tomorrow") for "3pm tomorrow".

    Raises:
        InvalidInput: the clock time isn't a real one ("by 25:00", "by 13pm").
    """
    match = _CLOCK.search(text)
    if match is None:
        return None, " ".join(text.split())
    rest = " ".join((text[: match.start()] + " " + text[match.end() :]).split())
    rest = re.sub(r"^(?:on|at)\s+|\s+(?:on|at)$", "", rest, flags=re.IGNORECASE).strip()
    if match.group("noon"):
        return time(12), rest
    if match.group("h24") is not None:
        hour, minute = int(match.group("h24")), int(match.group("m24"))
    else:
        hour, minute = int(match.group("h")), int(match.group("m") or 0)
        pm = match.group("ampm").lower() == "pm"
        hour = 99 if not 1 <= hour <= 12 else (hour % 12) + (12 if pm else 0)
    if hour > 23 or minute > 59:
        raise InvalidInput("by", f"{match.group(0)} isn't a time. Enter a time like 3pm or 15:30.")
    return time(hour, minute), rest


def person_field(word: str) -> str:
    """Return the joinup user a word names ("@sw.sam" → "sw.sam", "<@U0123>" → "slack:U0123"), or ""."""
    match = _PERSON.match(word.strip())
    if match is None:
        return ""
    return f"slack:{match.group('slack')}" if match.group("slack") else match.group("handle")


def callback_from_text(text: str) -> Callback:
    """Parse `[from] <team | @person> case <ref> [by <time>]`, or `<item> [by <time>]`.

    Raises:
        InvalidInput: nothing was named, or no case reference was given.
    """
    text = one_line(text)
    by = ""
    found = _BY.search(text)
    if found:
        by, text = found.group("by").strip(" .,"), text[: found.start()].strip()
    if by:
        split_by(by)  # a clock time that isn't one is refused here, naming the field
    words = text.split()
    if words:
        item = parse_item_ref(words[0])
        if item is not None:
            return Callback(item=item, by=by)
    case_ref, who = split_case_ref(text)
    who = _TRAILING.sub("", _LEADING.sub("", who.strip(" ,.-"))).strip(" ,.-")
    if not who:
        raise InvalidInput(
            "team",
            f"Say who is to call you back: a team, or someone on joinup by their @handle. Type: {CALLBACK_USAGE}",
            example=CALLBACK_EXAMPLE,
        )
    if not case_ref:
        raise InvalidInput(
            "case_ref",
            f"Enter the case reference the call back is about. Type: {CALLBACK_USAGE}",
            example=CALLBACK_EXAMPLE,
        )
    person = person_field(who)
    return Callback(team="" if person else who, person=person, case_ref=case_ref, by=by)


def callback_from_fields(form: Mapping[str, str]) -> Callback:
    """Fill a Callback from a button's or form's fields, each input into its own field."""
    item = form.get("item", "").strip()
    return Callback(
        team=one_line(form.get("team", "")),
        person=person_field(form.get("person", "").strip()) if form.get("person") else "",
        case_ref=form.get("case_ref", "").strip(),
        by=one_line(form.get("by", "")),
        item=(parse_item_ref(item) or item) if item else "",
    )
