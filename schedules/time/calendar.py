"""Working days and working hours per UK nation: bank holidays, weekends, closure days, clock changes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
NATIONS = ("ENG", "WLS", "SCT", "NIR")


@lru_cache(maxsize=8)
def _bank_holidays(nation: str) -> holidays.HolidayBase:
    if nation not in NATIONS:
        raise ValueError(f"unknown nation {nation!r}; use one of {', '.join(NATIONS)}")
    # Always the nation's subdivision: bare GB would miss (or add) nation-specific days.
    return holidays.country_holidays("GB", subdiv=nation, years=range(2020, 2041))


def parse_clock_time(value: str) -> time:
    """Parse '09:00' or '17:15' into a time.

    Raises:
        ValueError: not HH:MM on the 24-hour clock.
    """
    hours, _, minutes = value.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"{value!r} is not a time like 09:00")
    return time(int(hours), int(minutes))


# Minutes after local midnight; 24 * 60 is the following midnight.
DAY_MINUTES = 24 * 60
# A week of working hours: weekday (Monday 0) to (start, end) in minutes after local midnight.
WeekHours = Mapping[int, tuple[int, int]]


def _minutes_of(moment: time) -> int:
    return moment.hour * 60 + moment.minute


class WorkingCalendar:
    """Monday to Friday, less the nation's bank holidays and any closure days, 9 to 5 London time by default.

    `week` gives each weekday its own hours (a team closing at 16:30 on Fridays); a weekday it leaves out is
    not a working day. `plain_hours` is for services that never close (24/7 and out-of-hours teams): every
    moment counts, so "4 hours" is four hours on the clock and a day is a calendar day.
    """

    def __init__(
        self,
        nation: str = "ENG",
        *,
        day_starts: time = time(9),
        day_ends: time = time(17),
        closure_days: Iterable[date] = (),
        tz: ZoneInfo = LONDON,
        week: WeekHours | None = None,
        plain_hours: bool = False,
    ) -> None:
        self.nation = nation
        self._holidays = _bank_holidays(nation)
        self.day_starts = day_starts
        self.day_ends = day_ends
        self.closure_days = frozenset(closure_days)
        self.tz = tz
        self.plain_hours = plain_hours
        default = (_minutes_of(day_starts), _minutes_of(day_ends))
        if plain_hours:
            self._week: dict[int, tuple[int, int]] = {d: (0, DAY_MINUTES) for d in range(7)}
        elif week is None:
            self._week = {d: default for d in range(5)}
        else:
            for start, end in week.values():
                if not 0 <= start < end <= DAY_MINUTES:
                    raise ValueError(f"working hours must start before they end, not {start}-{end} minutes")
            # Working days are Monday to Friday: weekend opening does not make a weekend day a working day.
            self._week = {d: span for d, span in week.items() if 0 <= d < 5}
        self._default = default

    # --- days ------------------------------------------------------------------------------
    def holiday_name(self, day: date) -> str | None:
        """Return the bank holiday's name on `day`, or None."""
        name = self._holidays.get(day)
        return str(name) if name else None

    def is_bank_holiday(self, day: date) -> bool:
        """Tell whether `day` is a bank holiday in this nation."""
        return day in self._holidays

    def is_working_day(self, day: date) -> bool:
        """Tell whether `day` is a working day."""
        if self.plain_hours:
            return True
        return day.weekday() in self._week and day not in self._holidays and day not in self.closure_days

    def hours_on(self, day: date) -> tuple[int, int]:
        """Return the (start, end) minutes after local midnight of the working hours on `day`.

        A day that is not a working day gets the calendar's default hours, so a deadline never lands at
        an undefined moment.
        """
        return self._week.get(day.weekday(), self._default)

    def add_working_days_to_date(self, day: date, days: int) -> date:
        """Return the `days`-th working day after `day` (the day itself is day 0)."""
        if days < 0:
            raise ValueError("days must not be negative")
        if not self._week:
            raise ValueError("this calendar has no working days")
        current = day
        while days > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                days -= 1
        return current

    def next_working_day(self, day: date) -> date:
        """Return `day` if it is a working day, else the next one."""
        if not self._week:
            raise ValueError("this calendar has no working days")
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Count working days after `start` up to and including `end` (negative if `end` is earlier)."""
        if end < start:
            return -self.working_days_between(end, start)
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            count += self.is_working_day(current)
        return count

    # --- moments ---------------------------------------------------------------------------
    def local(self, at: datetime) -> datetime:
        """Return `at` in London time."""
        return at.astimezone(self.tz)

    def _at(self, day: date, minutes: int) -> datetime:
        if minutes >= DAY_MINUTES:
            day, minutes = day + timedelta(days=1), minutes - DAY_MINUTES
        moment = time(minutes // 60, minutes % 60)
        return datetime.combine(day, moment, tzinfo=self.tz).astimezone(UTC)

    def end_of_day(self, day: date) -> datetime:
        """Return the end of the working day on `day`, in UTC."""
        return self._at(day, self.hours_on(day)[1])

    def start_of_day(self, day: date) -> datetime:
        """Return the start of the working day on `day`, in UTC."""
        return self._at(day, self.hours_on(day)[0])

    def add_working_days(self, at: datetime, days: int) -> datetime:
        """Return the end of the `days`-th working day after `at` (a deadline), in UTC."""
        return self.end_of_day(self.add_working_days_to_date(self.local(at).date(), days))

    def is_working_time(self, at: datetime) -> bool:
        """Tell whether `at` falls inside working hours on a working day."""
        if self.plain_hours:
            return True
        local = self.local(at)
        start, end = self.hours_on(local.date())
        return self.is_working_day(local.date()) and start <= _minutes_of(local.time()) < end

    def next_working_time(self, at: datetime) -> datetime:
        """Return `at` if it is within working hours, else the start of the next working hours."""
        if self.plain_hours:
            return at.astimezone(UTC)
        local = self.local(at)
        day = local.date()
        if self.is_working_day(day) and local < self.end_of_day(day):
            return max(at, self.start_of_day(day)).astimezone(UTC)
        return self.start_of_day(self.next_working_day(day + timedelta(days=1)))

    def add_working_minutes(self, at: datetime, minutes: int) -> datetime:
        """Return the moment `minutes` of working time after `at`, in UTC."""
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        if self.plain_hours:
            return (at + timedelta(minutes=minutes)).astimezone(UTC)
        current = self.next_working_time(at)
        remaining = timedelta(minutes=minutes)
        while True:
            day_end = self.end_of_day(self.local(current).date())
            if current + remaining <= day_end:
                return current + remaining
            remaining -= day_end - current
            current = self.next_working_time(day_end)

    def add_working_hours(self, at: datetime, hours: float) -> datetime:
        """Return the moment `hours` of working time after `at`, in UTC."""
        return self.add_working_minutes(at, round(hours * 60))

    def working_minutes_between(self, start: datetime, end: datetime) -> int:
        """Count working minutes from `start` to `end` (0 if `end` is not later)."""
        if self.plain_hours:
            return max(int((end - start).total_seconds() // 60), 0)
        total = timedelta(0)
        current = self.next_working_time(start)
        while current < end:
            day_end = self.end_of_day(self.local(current).date())
            total += min(day_end, end) - current
            current = self.next_working_time(day_end)
        return int(total.total_seconds() // 60)
