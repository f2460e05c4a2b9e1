"""Ask as a typed intent: which team, about which case, for what, and by when (a date or a meeting).

`ask <team> case <ref> for <what> by <date | meeting on <date>>` ("ask GP practice case NB-204519 for a
health report by icpc on 12/01/2027"). What is asked for is the one free-text field (the privacy guard
checks it); the team, case reference and date are each parsed into their own field and checked where used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from handlers.intents.fields import free_text
from handlers.intents.tracking import one_line, split_case_ref
from storage.errors import InvalidInput

ASK_USAGE = "ask <team> case <case ref> for <what> by <date, or meeting on date>"
ASK_EXAMPLE = "ask GP safeguarding case NB-204519 for a health report by icpc on 12/01/2027"
_BY = re.compile(r"\s+by\s+(?P<by>.+)$", re.IGNORECASE)
_FOR = re.compile(r"\s+for\s+", re.IGNORECASE)
_ON = re.compile(r"^(?P<meeting>.+?)\s+on\s+(?P<day>.+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Ask:
    """An information request: of which team, about which case, for what, by a date or a meeting's."""

    team: str = ""
    case_ref: str = ""
    what: str = free_text(label="what you asked for")
    by: str = ""  # a date ("14/01/2027", "Thursday"), or empty when a meeting is given
    meeting: str = ""  # the meeting's words ("icpc", "the strategy discussion"), checked against the policy
    meeting_on: str = ""  # the meeting's date as typed


def split_when(text: str) -> tuple[str, str, str]:
    """Split what followed "by" into (date, meeting, meeting date): "icpc on 12/01/2027" is a meeting."""
    text = one_line(text).strip(" .")
    found = _ON.match(text)
    if found and not any(ch.isdigit() for ch in found.group("meeting")):
        return "", found.group("meeting").strip(), found.group("day").strip()
    return text, "", ""


def ask_from_text(text: str) -> Ask:
    """Parse `<team> case <ref> for <what> by <date | meeting on date>`.

    Raises:
        InvalidInput: the team, the case reference, what is asked for or when is missing (naming that field).
    """
    text = " " + one_line(text)
    by = ""
    found = _BY.search(text)
    if found:
        by, text = found.group("by"), text[: found.start()]
    parts = _FOR.split(text, maxsplit=1)
    head, what = parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")
    case_ref, team = split_case_ref(head)
    team = team.strip(" ,.-")
    for field, value, problem in (
        ("team", team, "Say which team you asked"),
        ("case_ref", case_ref, "Enter the case reference the request is about"),
        ("what", what, "Say what you asked for, after the word for"),
        ("by", by, "Say when you need it by: a date, or a meeting and its date"),
    ):
        if not value:
            raise InvalidInput(field, f"{problem}. Type: {ASK_USAGE}", example=ASK_EXAMPLE)
    day, meeting, meeting_on = split_when(by)
    return Ask(team=team, case_ref=case_ref or "", what=what, by=day, meeting=meeting, meeting_on=meeting_on)


def ask_from_fields(form: Mapping[str, str]) -> Ask:
    """Fill an Ask from a form's inputs, each into its own field."""
    return Ask(
        team=one_line(form.get("team", "")),
        case_ref=form.get("case_ref", "").strip(),
        what=one_line(form.get("what", "")),
        by=one_line(form.get("by", "")),
        meeting=one_line(form.get("meeting", "")),
        meeting_on=one_line(form.get("meeting_on", "")),
    )
