"""The words tracking replies use: outcomes, methods, results, and due dates said the way people say them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from schedules.time.calendar import WorkingCalendar
from schedules.time.words import day_in_words, time_in_words
from storage.errors import InvalidInput
from storage.models import TrackedItem

OUTCOME_WORDS: dict[str, str] = {
    "accepted_for_assessment": "accepted for assessment",
    "early_help": "early help",
    "signposted": "signposted",
    "no_further_action": "no further action",
    "information_only": "information only",
    "withdrawn": "withdrawn",
}
# What people type for each outcome, longest first so "no further action" wins over "no".
_OUTCOME_PHRASES: tuple[tuple[str, str], ...] = tuple(
    sorted(
        {
            "accepted for assessment": "accepted_for_assessment",
            "accepted": "accepted_for_assessment",
            "assessment": "accepted_for_assessment",
            "early help": "early_help",
            "early-help": "early_help",
            "eh": "early_help",
            "signposted": "signposted",
            "signpost": "signposted",
            "no further action": "no_further_action",
            "nfa": "no_further_action",
            "information only": "information_only",
            "info only": "information_only",
            "information": "information_only",
            "withdrawn": "withdrawn",
            "withdraw": "withdrawn",
            **{key: key for key in OUTCOME_WORDS},
        }.items(),
        key=lambda pair: -len(pair[0]),
    )
)
RESULT_WORDS: dict[str, str] = {
    "spoke": "spoke",
    "spoke to them": "spoke",
    "talked": "spoke",
    "answered": "spoke",
    "left message": "left_message",
    "left a message": "left_message",
    "voicemail": "left_message",
    "message": "left_message",
    "no answer": "no_answer",
    "no reply": "no_answer",
    "engaged": "no_answer",
    "busy": "no_answer",
}
RESULT_LABELS = {"spoke": "spoke to them", "left_message": "left a message", "no_answer": "no answer"}
OUTCOMES_HELP = "accepted, early help, signposted, nfa (with a reason), information only or withdrawn"


def parse_outcome(text: str) -> tuple[str, str]:
    """Split "nfa below threshold" into ("no_further_action", "below threshold").

    Raises:
        InvalidInput: no known outcome at the start.
    """
    lowered = text.strip().lower()
    for phrase, outcome in _OUTCOME_PHRASES:
        if lowered == phrase or lowered.startswith(phrase + " "):
            return outcome, text.strip()[len(phrase) :].strip(" -:,")
    raise InvalidInput(
        "outcome", f"Say what happened: {OUTCOMES_HELP}.", example="feedback TI-0042 early help"
    )


def find_phrase(text: str, words: dict[str, str]) -> tuple[str | None, str]:
    """Find one of `words` as whole words in `text`; return its value and the text without it."""
    for phrase in sorted(words, key=len, reverse=True):
        match = re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text, re.IGNORECASE)
        if match:
            rest = (text[: match.start()] + " " + text[match.end() :]).strip()
            return words[phrase], " ".join(rest.split())
    return None, text


def due_words(due_at: datetime, *, now: datetime, calendar: WorkingCalendar) -> str:
    """Say when something is due: "due today by 5pm", "due tomorrow", "2 working days overdue"."""
    today, due_day = calendar.local(now).date(), calendar.local(due_at).date()
    if due_at < now:
        late = calendar.working_days_between(due_day, today)
        if late <= 0:
            return f"overdue since {time_in_words(due_at)} today"
        day = "day" if calendar.plain_hours else "working day"
        return f"{late} {day}{'s' if late > 1 else ''} overdue"
    days = (due_day - today).days
    if days == 0:
        return f"due today by {time_in_words(due_at)}"
    if days == 1:
        return "due tomorrow"
    return f"due {day_in_words(due_at)}"


# The two lists of `mine` (the Slack App Home and the Teams card keep each list's items under its heading).
WAITING_ON_OTHERS = "Waiting on others"
WAITING_ON_YOU = "Others waiting on you"
KIND_WORDS = {"referral": "", "callback": "call back", "information_request": "information request"}


def owed_words(items: Sequence[TrackedItem]) -> str:
    """Say what a team owes, by kind: "1 referral to acknowledge, 2 call backs, 1 information request"."""
    to_ack = sum(1 for i in items if i.kind == "referral" and i.acknowledged_at is None)
    feedback = sum(1 for i in items if i.kind == "referral" and i.acknowledged_at is not None)
    callbacks = sum(1 for i in items if i.kind == "callback")
    asked = sum(1 for i in items if i.kind == "information_request")
    parts = [
        (to_ack, "referral to acknowledge", "referrals to acknowledge"),
        (feedback, "referral to give feedback on", "referrals to give feedback on"),
        (callbacks, "call back", "call backs"),
        (asked, "information request", "information requests"),
    ]
    return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in parts if n)
