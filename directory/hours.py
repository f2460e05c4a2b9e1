"""Opening hours: is a team open at a moment, when does it next open, and when does it close.

Hours are London wall-clock times per weekday ({"mon": [["09:00", "17:15"]], ...}); an empty mapping
means open all day every day. On a bank holiday in the team's nation (or one of its closure days) a team
is closed unless it opens on bank holidays, when it keeps its "bank_holiday" hours if it gives any, or
else its usual hours for that weekday. Clock changes need no special care: spans are wall-clock times.
A team whose hours are not published (a pulled service whose feed gives none) is never taken to be open:
it has no spans, and its hours read "opening hours not published".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from schedules.time.calendar import LONDON, WorkingCalendar
from schedules.time.calendars import day_calendar

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BANK_HOLIDAY_KEY = "bank_holiday"
HOURS_NOT_PUBLISHED = "opening hours not published"
_DAY_MINUTES = 24 * 60
_ALL_DAY: tuple[tuple[int, int], ...] = ((0, _DAY_MINUTES),)
# How far ahead to look for the next opening (a team shut for a long closure still answers).
_HORIZON_DAYS = 400


class HasHours(Protocol):
    """Anything with a team's opening-hours fields (a stored Team or a search snapshot)."""

    @property
    def hours(self) -> Mapping[str, Any]: ...

    @property
    def is_open_bank_holidays(self) -> bool: ...

    @property
    def closure_days(self) -> Sequence[str]: ...

    @property
    def nation(self) -> str: ...

    @property
    def hours_published(self) -> bool: ...


def _minutes(text: str) -> int:
    hours, _, minutes = str(text).partition(":")
    return int(hours) * 60 + int(minutes)


def _calendar_for(team: HasHours, calendar: WorkingCalendar | None) -> WorkingCalendar:
    if calendar is not None and calendar.nation == team.nation:
        return calendar
    return day_calendar(nation=team.nation)


def spans_on(
    team: HasHours, day: date, *, calendar: WorkingCalendar | None = None
) -> tuple[tuple[int, int], ...]:
    """Return the team's opening spans on `day` as (start, end) minutes after local midnight."""
    if not team.hours_published:
        return ()
    cal = _calendar_for(team, calendar)
    hours = team.hours
    if day.isoformat() in team.closure_days:
        return ()
    if cal.is_bank_holiday(day):
        if not team.is_open_bank_holidays:
            return ()
        if BANK_HOLIDAY_KEY in hours:
            return tuple((_minutes(s), _minutes(e)) for s, e in hours[BANK_HOLIDAY_KEY])
    if not hours:
        return _ALL_DAY
    return tuple((_minutes(s), _minutes(e)) for s, e in hours.get(WEEKDAY_KEYS[day.weekday()], []))


def _moment(day: date, minutes: int) -> datetime:
    if minutes >= _DAY_MINUTES:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON).astimezone(UTC)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=LONDON).astimezone(UTC)


def is_open(team: HasHours, at: datetime, *, calendar: WorkingCalendar | None = None) -> bool:
    """Tell whether the team is open at `at` (any aware datetime)."""
    local = at.astimezone(LONDON)
    now = local.hour * 60 + local.minute
    return any(start <= now < end for start, end in spans_on(team, local.date(), calendar=calendar))


def next_open(team: HasHours, at: datetime, *, calendar: WorkingCalendar | None = None) -> datetime | None:
    """Return `at` if the team is open then, else when it next opens (UTC); None if never within a year."""
    if is_open(team, at, calendar=calendar):
        return at.astimezone(UTC)
    day = at.astimezone(LONDON).date()
    for offset in range(_HORIZON_DAYS):
        current = day + timedelta(days=offset)
        for start, _end in spans_on(team, current, calendar=calendar):
            opening = _moment(current, start)
            if opening > at:
                return opening
    return None


def closes_at(team: HasHours, at: datetime, *, calendar: WorkingCalendar | None = None) -> datetime | None:
    """Return when the team next closes if it is open at `at` (following spans that run past midnight).

    None when it is closed at `at`, or open without a break for the next week (e.g. a 24/7 line).
    """
    if not is_open(team, at, calendar=calendar):
        return None
    local = at.astimezone(LONDON)
    current, now = local.date(), local.hour * 60 + local.minute
    end = next(e for s, e in spans_on(team, current, calendar=calendar) if s <= now < e)
    for _ in range(7):
        if end < _DAY_MINUTES:
            return _moment(current, end)
        following = current + timedelta(days=1)
        carry_on = [e for s, e in spans_on(team, following, calendar=calendar) if s == 0]
        if not carry_on:
            return _moment(current, _DAY_MINUTES)
        current, end = following, carry_on[0]
    return None


_DAY_NAMES = {
    "mon": "Mon",
    "tue": "Tue",
    "wed": "Wed",
    "thu": "Thu",
    "fri": "Fri",
    "sat": "Sat",
    "sun": "Sun",
}


def describe_hours(team: HasHours) -> str:
    """Say the opening hours in one line, e.g. 'Mon–Thu 09:00–17:15; Fri 09:00–17:00'."""
    hours = team.hours
    if not team.hours_published:
        return HOURS_NOT_PUBLISHED
    if not hours:
        return "open 24 hours, every day" + (
            "" if team.is_open_bank_holidays else " (closed on bank holidays)"
        )
    groups: list[tuple[list[str], str]] = []
    for key in WEEKDAY_KEYS:
        spans = hours.get(key)
        if not spans:
            continue
        text = ", ".join(f"{s}–{e}" for s, e in spans)
        if (
            groups
            and groups[-1][1] == text
            and WEEKDAY_KEYS.index(groups[-1][0][-1]) == WEEKDAY_KEYS.index(key) - 1
        ):
            groups[-1][0].append(key)
        else:
            groups.append(([key], text))
    parts = [
        f"{_DAY_NAMES[days[0]]}{'–' + _DAY_NAMES[days[-1]] if len(days) > 1 else ''} {text}"
        for days, text in groups
    ]
    if BANK_HOLIDAY_KEY in hours and team.is_open_bank_holidays:
        parts.append("bank holidays " + ", ".join(f"{s}–{e}" for s, e in hours[BANK_HOLIDAY_KEY]))
    elif not team.is_open_bank_holidays:
        parts.append("closed on bank holidays")
    return "; ".join(parts)
