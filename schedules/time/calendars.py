"""The one place a WorkingCalendar is built: for a team, a person, or a nation, with the configured working hours.

Deadlines, chases, escalation levels and quiet hours all count in the same working hours, so they all take
their calendar from here. A team's own opening hours would be switched on in `hours_for_team` alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Protocol

from schedules.time.calendar import WorkingCalendar, parse_clock_time
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


def hours_for_team(*, team: Team | None, settings: WorkingHours) -> tuple[time, time]:
    """Return the working hours a team's clocks count in.

    Today every team counts in the configured working day. This is the one function that would use a
    team's own opening hours from the directory instead.
    """
    return configured_hours(settings)


def calendar_for_nation(
    *, nation: str, settings: WorkingHours, closure_days: Iterable[str | date] = ()
) -> WorkingCalendar:
    """Return the calendar of a nation (its bank holidays) with the configured working hours and any closure days."""
    starts, ends = configured_hours(settings)
    return WorkingCalendar(nation, day_starts=starts, day_ends=ends, closure_days=_closures(closure_days))


def calendar_for_team(*, team: Team, settings: WorkingHours) -> WorkingCalendar:
    """Return the calendar a team's response times count in: its nation's holidays, its hours and its closures."""
    starts, ends = hours_for_team(team=team, settings=settings)
    return WorkingCalendar(
        team.nation, day_starts=starts, day_ends=ends, closure_days=_closures(team.closure_days)
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
