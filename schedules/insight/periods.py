"""Reporting periods for insight: this month, last quarter and so on, in London time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from schedules.time.words import date_in_words, month_in_words
from storage.errors import InvalidInput

LONDON = ZoneInfo("Europe/London")
PERIOD_NAMES = ("this month", "last month", "this quarter", "last quarter", "last 6 months")
_PERIOD_WORDS = re.compile(
    r"\b(this|last|previous|past)\s+(month|quarter|6\s+months|six\s+months)\b", re.IGNORECASE
)

# "last fortnight", "this year": not a period we know, but clearly meant as one, so period_named can say so.
_ANY_PERIOD_WORDS = re.compile(r"\b(this|last|previous|past)\s+(\d+\s+)?[a-z]+\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting window: from `start_at` (inclusive) to `end_at` (exclusive), both aware UTC."""

    start_at: datetime
    end_at: datetime
    label: str

    @property
    def key(self) -> str:
        """Return a stable key for links and file names, e.g. 2026-10-01_2026-11-01."""
        first = self.start_at.astimezone(LONDON).date().isoformat()
        after = self.end_at.astimezone(LONDON).date().isoformat()
        return f"{first}_{after}"


def london_midnight(day: date) -> datetime:
    """Return the start of `day` in London, as UTC."""
    return datetime.combine(day, datetime.min.time(), tzinfo=LONDON).astimezone(UTC)


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _quarter_start(day: date, quarters_back: int = 0) -> date:
    first_month = (day.month - 1) // 3 * 3 + 1
    return _month_start(date(day.year, first_month, 1), quarters_back * 3)


def period_named(name: str, *, now: datetime) -> Period:
    """Return the period a person asked for ("this month", "last quarter", "last 6 months").

    Raises:
        InvalidInput: the name is not one of PERIOD_NAMES.
    """
    wanted = " ".join(name.lower().replace("previous", "last").replace("past", "last").split())
    wanted = wanted.replace("six months", "6 months")
    today = now.astimezone(LONDON).date()
    tomorrow = london_midnight(today + timedelta(days=1))
    if wanted == "this month":
        start = _month_start(today)
        return Period(london_midnight(start), tomorrow, f"{month_in_words(start)} so far")
    if wanted == "last month":
        start, end = _month_start(today, 1), _month_start(today)
        return Period(london_midnight(start), london_midnight(end), month_in_words(start))
    if wanted == "this quarter":
        start = _quarter_start(today)
        return Period(
            london_midnight(start),
            tomorrow,
            f"this quarter (from {date_in_words(start, with_year=True, with_weekday=False)})",
        )
    if wanted == "last quarter":
        start, end = _quarter_start(today, 1), _quarter_start(today)
        last_day = end - timedelta(days=1)
        return Period(
            london_midnight(start),
            london_midnight(end),
            f"{month_in_words(start, with_year=False)} to {month_in_words(last_day)}",
        )
    if wanted == "last 6 months":
        start = _month_start(today, 6)
        return Period(
            london_midnight(start),
            tomorrow,
            f"the 6 months from {date_in_words(start, with_year=True, with_weekday=False)}",
        )
    raise InvalidInput(
        "period", "I know these periods: " + ", ".join(PERIOD_NAMES) + ".", example="stats last quarter"
    )


def split_period_words(text: str) -> tuple[str, str | None]:
    """Split "front door last quarter" into ("front door", "last quarter")."""
    match = _PERIOD_WORDS.search(text) or _ANY_PERIOD_WORDS.search(text)
    if match is None:
        return text.strip(), None
    rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    return " ".join(rest.split()), " ".join(match.group(0).lower().split())


def weeks_in(period: Period, *, limit: int = 27) -> list[tuple[date, datetime, datetime]]:
    """Return (Monday, start, end) for each London week overlapping `period`, the last `limit` at most."""
    first = period.start_at.astimezone(LONDON).date()
    monday = first - timedelta(days=first.weekday())
    weeks: list[tuple[date, datetime, datetime]] = []
    while london_midnight(monday) < period.end_at:
        start = max(london_midnight(monday), period.start_at)
        end = min(london_midnight(monday + timedelta(days=7)), period.end_at)
        weeks.append((monday, start, end))
        monday += timedelta(days=7)
    return weeks[-limit:]
