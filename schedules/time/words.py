"""Dates and times the way people read them, GOV.UK style, in London time: the one place that words them.

"9:30am", "5pm", "Tuesday 1 December", and a moment as "5pm on Tuesday 1 December". The year is added only
where the caller asks for it (records, web pages), never guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from schedules.time.calendar import LONDON

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def date_in_words(day: date, *, with_year: bool = False, with_weekday: bool = True) -> str:
    """Return a date like "Tuesday 1 December", "Tuesday 1 December 2026" or "1 December 2026"."""
    text = f"{day.day} {_MONTHS[day.month - 1]}"
    if with_weekday:
        text = f"{_WEEKDAYS[day.weekday()]} {text}"
    return f"{text} {day.year}" if with_year else text


def month_in_words(day: date, *, with_year: bool = True) -> str:
    """Return the month of `day` like "December 2026" (or "December")."""
    month = _MONTHS[day.month - 1]
    return f"{month} {day.year}" if with_year else month


def day_in_words(at: datetime, *, with_year: bool = False) -> str:
    """Return the London day of `at` like "Tuesday 1 December" (or "Tuesday 1 December 2026")."""
    return date_in_words(at.astimezone(LONDON).date(), with_year=with_year)


def time_in_words(at: datetime) -> str:
    """Return the London time of `at` like "9:30am", "10am" or "5:15pm"."""
    local = at.astimezone(LONDON)
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{hour}{minutes}{'am' if local.hour < 12 else 'pm'}"


def moment_in_words(at: datetime, *, with_year: bool = False) -> str:
    """Return `at` like "5pm on Tuesday 1 December" (or "5pm on Tuesday 1 December 2026")."""
    return f"{time_in_words(at)} on {day_in_words(at, with_year=with_year)}"


def join_words(words: Sequence[str]) -> str:
    """Join words as "a", "a and b" or "a, b and c"."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def list_days(days: Sequence[date]) -> str:
    """Write dates compactly: "25 and 28 December and 1 January"."""
    groups: list[tuple[tuple[int, int], list[int]]] = []
    for day in sorted(days):
        if groups and groups[-1][0] == (day.year, day.month):
            groups[-1][1].append(day.day)
        else:
            groups.append(((day.year, day.month), [day.day]))
    return join_words(
        [f"{join_words([str(d) for d in numbers])} {_MONTHS[month - 1]}" for (_, month), numbers in groups]
    )
