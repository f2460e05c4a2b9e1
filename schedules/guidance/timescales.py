"""Statutory timescales (Working Together to Safeguard Children 2023) as data, and the date arithmetic.

The day of the event is day 0; N working days later is the Nth following working day, skipping weekends
and the bank holidays of the person's nation. Calendar-month timescales use dateutil's relativedelta, so
3 months after 30 November is 28 February (or 29th), not 2 March.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

from dateutil.relativedelta import relativedelta

from schedules.time.calendar import WorkingCalendar
from schedules.time.calendars import day_calendar

Unit = Literal["working_days", "months"]
SOURCE = "Working Together to Safeguard Children 2023"


class Event(StrEnum):
    """A statutory deadline joinup can work out."""

    REFERRAL_DECISION = "referral_decision"
    ASSESSMENT = "assessment"
    ICPC = "icpc"
    CORE_GROUP = "core_group"
    FIRST_REVIEW = "first_review"
    LATER_REVIEW = "later_review"
    LADO = "lado"


@dataclass(frozen=True, slots=True)
class Timescale:
    """How long an event may take and what the clock counts from."""

    event: Event
    amount: int
    unit: Unit
    counted_from: Event | Literal["referral", "strategy_discussion", "allegation"]


TIMESCALES: dict[Event, Timescale] = {
    Event.REFERRAL_DECISION: Timescale(Event.REFERRAL_DECISION, 1, "working_days", "referral"),
    Event.ASSESSMENT: Timescale(Event.ASSESSMENT, 45, "working_days", "referral"),
    Event.ICPC: Timescale(Event.ICPC, 15, "working_days", "strategy_discussion"),
    Event.CORE_GROUP: Timescale(Event.CORE_GROUP, 10, "working_days", Event.ICPC),
    Event.FIRST_REVIEW: Timescale(Event.FIRST_REVIEW, 3, "months", Event.ICPC),
    Event.LATER_REVIEW: Timescale(Event.LATER_REVIEW, 6, "months", Event.FIRST_REVIEW),
    Event.LADO: Timescale(Event.LADO, 1, "working_days", "allegation"),
}


@dataclass(frozen=True, slots=True)
class Deadline:
    """When an event is due, and what the count went through to get there."""

    timescale: Timescale
    start: date
    due: date
    nation: str
    # Bank holidays on weekdays between the start and the due date: the days the count skipped.
    holidays_skipped: tuple[date, ...]
    # For calendar-month timescales that end on a weekend or bank holiday: the last working day before.
    last_working_day: date | None = None


def due_date(*, event: Event, start: date, nation: str = "ENG") -> Deadline:
    """Work out when `event` is due if the clock started on `start`, in `nation`'s working days.

    Raises:
        ValueError: `nation` is not ENG, WLS, SCT or NIR.
    """
    timescale = TIMESCALES[event]
    calendar = day_calendar(nation=nation)
    if timescale.unit == "working_days":
        due = calendar.add_working_days_to_date(start, timescale.amount)
        last_working_day = None
    else:
        due = start + relativedelta(months=timescale.amount)
        last_working_day = None if calendar.is_working_day(due) else _previous_working_day(calendar, due)
    skipped: tuple[date, ...] = ()
    if timescale.unit == "working_days":
        days = (start + timedelta(days=n) for n in range(1, (due - start).days + 1))
        skipped = tuple(day for day in days if day.weekday() < 5 and calendar.is_bank_holiday(day))
    return Deadline(
        timescale=timescale,
        start=start,
        due=due,
        nation=nation,
        holidays_skipped=skipped,
        last_working_day=last_working_day,
    )


def _previous_working_day(calendar: WorkingCalendar, day: date) -> date:
    day -= timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day
