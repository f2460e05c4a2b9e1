"""The one place a WorkingCalendar is built: for a team, a person, or a nation, with the configured working hours.

Deadlines, chases, escalation levels and quiet hours all take their calendar from here. A team's clocks count
in its own opening hours from the directory (`hours_for_team`), on its nation's working days; a service that
never closes (24/7, or out of hours through the night) counts plain hours; a team with no hours given counts
the configured working day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Protocol

from schedules.time.calendar import DAY_MINUTES, WorkingCalendar, parse_clock_time
from storage.models import Person, Team


class WorkingHours(Protocol):
    """The configured working day, as "09:00" / "17:00" strings (schedules.settings.ReminderSettings)."""

    @property
    def working_day_starts(self) -> str: ...

    @property
    def working_day_ends(self) -> str: ...


def _closures(days: Iterable[str | date]) -> list[date]:
    return [d if isinstance(d, date) else date.fromisoformat(d) for d in days]


def configured_hours(settings: WorkingHours) -> tuple[time, time]:
    """Return the configured start and end of the working day."""
    return parse_clock_time(settings.working_day_starts), parse_clock_time(settings.working_day_ends)


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class TeamHours:
    """The hours a team's clocks count in: per weekday (start, end) minutes, or plain hours."""

    week: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    plain_hours: bool = False
    own: bool = False  # True: the team's own opening hours; False: the configured working day


def _clock_minutes(text: Any) -> int:
    hours, _, minutes = str(text).partition(":")
    return int(hours) * 60 + int(minutes)


def _spans(value: Any) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for span in value or []:
        start, end = span.split("-") if isinstance(span, str) else span
        if _clock_minutes(start) < _clock_minutes(end):
            spans.append((_clock_minutes(start), _clock_minutes(end)))
    return spans


class HasHours(Protocol):
    """A team as stored (storage.models.Team) or as the directory index holds it (directory.cards.TeamInfo)."""

    @property
    def hours(self) -> Mapping[str, Any]: ...

    @property
    def is_open_bank_holidays(self) -> bool: ...


def counts_plain_hours(team: HasHours) -> bool:
    """Tell whether a team never closes (24/7, or out of hours through the night), so its clocks run in plain hours."""
    return hours_for_team(team=team, settings=None).plain_hours


def hours_for_team(*, team: HasHours | None, settings: WorkingHours | None) -> TeamHours:
    """Return the working hours a team's clocks count in.

    Its own opening hours from the directory, Monday to Friday (weekend opening does not make a working
    day; a lunch break is counted as open). A team open round the clock (no hours and open on bank
    holidays) or through the night (a span from 00:00 or to 24:00, as an emergency duty team) counts plain
    hours. A team with no hours given, and no team, counts the configured working day.
    """
    hours = team.hours if team is not None else {}
    if not hours:
        if team is not None and team.is_open_bank_holidays:
            return TeamHours(plain_hours=True, own=True)
        return _configured(settings)
    by_day = {key: _spans(hours.get(key)) for key in _WEEKDAYS}
    if any(start == 0 or end >= DAY_MINUTES for spans in by_day.values() for start, end in spans):
        return TeamHours(plain_hours=True, own=True)
    week = {
        index: (min(s for s, _ in spans), max(e for _, e in spans))
        for index, spans in enumerate(by_day[key] for key in _WEEKDAYS[:5])
        if spans
    }
    if not week:  # open only at weekends: a weekend service, counted on the clock
        return TeamHours(plain_hours=True, own=True)
    return TeamHours(week=week, own=True)


def _configured(settings: WorkingHours | None) -> TeamHours:
    starts, ends = configured_hours(settings) if settings is not None else (time(9), time(17))
    span = (starts.hour * 60 + starts.minute, ends.hour * 60 + ends.minute)
    return TeamHours(week=dict.fromkeys(range(5), span))


def calendar_for_nation(
    *, nation: str, settings: WorkingHours, closure_days: Iterable[str | date] = ()
) -> WorkingCalendar:
    """Return the calendar of a nation (its bank holidays) with the configured working hours and any closure days."""
    starts, ends = configured_hours(settings)
    return WorkingCalendar(nation, day_starts=starts, day_ends=ends, closure_days=_closures(closure_days))


def calendar_for_team(*, team: Team, settings: WorkingHours) -> WorkingCalendar:
    """Return the calendar a team's response times count in: its nation's holidays, its hours and its closures."""
    starts, ends = configured_hours(settings)
    hours = hours_for_team(team=team, settings=settings)
    return WorkingCalendar(
        team.nation,
        day_starts=starts,
        day_ends=ends,
        closure_days=_closures(team.closure_days),
        week=hours.week,
        plain_hours=hours.plain_hours,
    )


def calendar_for_person(*, person: Person, settings: WorkingHours) -> WorkingCalendar:
    """Return the calendar a person's own clocks and quiet hours count in: their nation, the configured hours."""
    return calendar_for_nation(nation=person.nation, settings=settings)


def day_calendar(*, nation: str, closure_days: Iterable[str | date] = ()) -> WorkingCalendar:
    """Return a nation's calendar for questions about whole days only: bank holidays, working days, day counts.

    Its hours are the 9-to-5 fallback, so never use it for a deadline, a chase or quiet hours: use
    `calendar_for_team`, `calendar_for_person` or `calendar_for_nation` for those.
    """
    return WorkingCalendar(nation, closure_days=_closures(closure_days))


def delivery_time(*, person: Person, at: datetime, settings: WorkingHours) -> datetime:
    """Return when a reminder due at `at` may reach `person`: their next working time, unless they opted out."""
    if person.quiet_hours_ok:
        return at
    return calendar_for_person(person=person, settings=settings).next_working_time(at)
