"""Dates in chat: read the forgiving ways people type them (schedules/time/words.py writes them)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from dateutil import parser as date_parser

from schedules.time.words import date_in_words
from storage.errors import InvalidInput

DATE_EXAMPLE = "17/12/2026, 17 Dec, today, or next Monday"
NATION_NAMES = {"ENG": "England", "WLS": "Wales", "SCT": "Scotland", "NIR": "Northern Ireland"}
# How far from today a typed date may be before it is more likely a typo than a real date.
MAX_YEARS_AWAY = 10

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = re.compile(
    r"^(?:(?P<which>next|last|this|coming|on)\s+)?(?P<day>mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)"
    r"(?:day)?$"
)
_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_HAS_YEAR = re.compile(r"\b\d{4}\b|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}")
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


def _weekday(text: str, today: date) -> date | None:
    match = _WEEKDAY.match(text)
    if match is None:
        return None
    target = next(i for i, name in enumerate(_WEEKDAYS) if name.startswith(match.group("day")[:3]))
    which = match.group("which")
    ahead = (target - today.weekday()) % 7
    if which == "last":
        return today - timedelta(days=(today.weekday() - target) % 7 or 7)
    if which == "next":
        return today + timedelta(days=ahead or 7)
    return today + timedelta(days=ahead)  # 'monday', 'this monday': the coming one, today included


def _nearest_year(parsed: date, today: date) -> date:
    """Without a year, '21 Dec' typed in January means last December: take the closest candidate."""
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(parsed.replace(year=year))
        except ValueError:  # 29 February in a year without one
            continue
    return min(candidates, key=lambda d: abs((d - today).days))


def _unknown(text: str) -> InvalidInput:
    return InvalidInput(
        "date", f"I don't understand the date '{text}'. Try a date like {DATE_EXAMPLE}.", example=""
    )


def _out_of_range(text: str, error: Exception) -> InvalidInput:
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    if len(numbers) >= 2 and 1 <= numbers[1] <= 12 and numbers[0] >= 1:
        month = _MONTHS[numbers[1] - 1].capitalize()
        return InvalidInput(
            "date", f"There's no {numbers[0]} {month}. Check the date and try again, like {DATE_EXAMPLE}."
        )
    return InvalidInput("date", f"'{text}' isn't a real date. Try a date like {DATE_EXAMPLE}.")


def parse_day(text: str, *, today: date) -> date:
    """Read a date typed in chat: '17/12/2026', '2026-12-17', '17 Dec', 'today', 'tomorrow', 'next monday'.

    Day first, as in the UK. Without a year, the date closest to today is meant.

    Raises:
        InvalidInput: not a date, not a real date (31/02), or more than 10 years from today.
    """
    cleaned = " ".join(text.lower().replace(",", " ").split()).strip(" .")
    cleaned = re.sub(r"^(on|the)\s+", "", cleaned)
    if not cleaned:
        raise InvalidInput("date", f"Say which date, like {DATE_EXAMPLE}.")
    relative = {"today": 0, "now": 0, "tomorrow": 1, "yesterday": -1}
    if cleaned in relative:
        return today + timedelta(days=relative[cleaned])
    day = _weekday(cleaned, today)
    if day is not None:
        return day
    if len(cleaned) > 40 or not re.search(r"\d", cleaned):
        raise _unknown(text.strip())
    try:
        if _ISO.match(cleaned):
            parsed = date.fromisoformat("-".join(part.zfill(2) for part in cleaned.split("-")))
        else:
            # Parse with two different defaults: if the results differ, the text had no day or month.
            first = date_parser.parse(cleaned, dayfirst=True, default=datetime(2000, 1, 1, tzinfo=UTC)).date()
            second = date_parser.parse(
                cleaned, dayfirst=True, default=datetime(2000, 2, 2, tzinfo=UTC)
            ).date()
            if (first.day, first.month) != (second.day, second.month):
                raise _unknown(text.strip())
            parsed = first if _HAS_YEAR.search(cleaned) else _nearest_year(first, today)
    except InvalidInput:
        raise
    except (ValueError, OverflowError) as error:
        if "out of range" in str(error) or "must be in" in str(error):
            raise _out_of_range(cleaned, error) from None
        raise _unknown(text.strip()) from None
    if abs(parsed.year - today.year) > MAX_YEARS_AWAY:
        raise InvalidInput(
            "date",
            f"{date_in_words(parsed, with_year=True)} is a long way from today. Check the year and try again.",
        )
    return parsed
