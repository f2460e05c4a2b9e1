"""Dates and times the way people read them: "Tuesday 14 May", "9:30am" (GOV.UK style), in London time."""

from __future__ import annotations

from datetime import datetime

from schedules.time.calendar import LONDON


def day_in_words(at: datetime, *, with_year: bool = False) -> str:
    """Return the day of `at` like "Tuesday 14 May" (or "Tuesday 14 May 2026")."""
    local = at.astimezone(LONDON)
    text = f"{local:%A} {local.day} {local:%B}"
    return f"{text} {local.year}" if with_year else text


def time_in_words(at: datetime) -> str:
    """Return the time of `at` like "9:30am", "10am" or "5:15pm"."""
    local = at.astimezone(LONDON)
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{hour}{minutes}{'am' if local.hour < 12 else 'pm'}"


def moment_in_words(at: datetime, *, with_year: bool = False) -> str:
    """Return `at` like "Tuesday 14 May at 9:30am"."""
    return f"{day_in_words(at, with_year=with_year)} at {time_in_words(at)}"
