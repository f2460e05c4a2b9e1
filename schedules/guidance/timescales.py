"""Statutory timescales per nation, as policy data (schedules/guidance/nations/*.yaml), and the date arithmetic.

Each nation has its own framework, terms and clocks: England counts Working Together 2023, Scotland the
National Guidance 2021 (a CPPM within 28 calendar days), Wales its Safeguarding Procedures, Northern Ireland
Co-operating to Safeguard (unconfirmed timescales, marked so). Another set is a file to edit, not code.

The day of the event is day 0; N working days later is the Nth following working day, skipping weekends
and the bank holidays of the person's nation. Calendar-month timescales use dateutil's relativedelta, so
3 months after 30 November is 28 February (or 29th), not 2 March.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field

from schedules.time.calendar import WorkingCalendar
from schedules.time.calendars import day_calendar

Unit = Literal["working_days", "calendar_days", "months"]
NATIONS_DIR = Path(__file__).resolve().parent / "nations"


class Event(StrEnum):
    """The events joinup knows a clock for in at least one nation (each nation's file names its own)."""

    REFERRAL_DECISION = "referral_decision"
    ASSESSMENT = "assessment"
    ICPC = "icpc"  # the initial conference: ICPC, CPPM in Scotland, case conference in Northern Ireland
    CORE_GROUP = "core_group"
    FIRST_REVIEW = "first_review"
    LATER_REVIEW = "later_review"
    LADO = "lado"  # an allegation against someone who works with children
    CPPM_RECORD = "cppm_record"
    OUTLINE_PLAN = "outline_plan"


class Timescale(BaseModel):
    """How long an event may take in one nation, and what the clock counts from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Event
    name: str  # "The child protection planning meeting (CPPM)"
    short: str  # "CPPM"
    amount: int | None = Field(default=None, ge=1)  # None: the framework sets no number joinup can count
    unit: Unit = "working_days"
    counted_from: str
    verified: bool = True  # False: stated with "check your local procedures"
    note: str = ""
    words: tuple[str, ...] = ()


class ReportsDue(BaseModel):
    """How many working days before a meeting the reports for it are due, as the area's partnership sets it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: Event
    working_days_before: int = Field(ge=0)
    verified: bool = False  # False until the area sets it: stated with "check your local procedures"


class NationPolicy(BaseModel):
    """One nation's framework: its name, its terms, its events and clocks, and where they come from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nation: Literal["ENG", "WLS", "SCT", "NIR"]
    nation_name: str
    framework: str
    source: str
    terms: dict[str, str] = Field(default_factory=dict)
    starts: dict[str, Event] = Field(default_factory=dict)  # words for events that start a clock
    events: tuple[Timescale, ...]
    reports_due: tuple[ReportsDue, ...] = ()

    def reports_for(self, event: Event) -> ReportsDue | None:
        """Return when reports for a meeting are due before it, if the file says."""
        return next((r for r in self.reports_due if r.event == event), None)

    def timescale(self, event: Event) -> Timescale | None:
        """Return this nation's timescale for an event, or None if its framework has none."""
        return next((t for t in self.events if t.key == event), None)


@lru_cache(maxsize=8)
def _load(directory: Path) -> dict[str, NationPolicy]:
    policies: dict[str, NationPolicy] = {}
    for path in sorted(directory.glob("*.yaml")):
        policy = NationPolicy.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        policies[policy.nation] = policy
    return policies


def nation_policies(directory: Path = NATIONS_DIR) -> dict[str, NationPolicy]:
    """Return every nation's timescale policy, by nation code (ENG, WLS, SCT, NIR).

    Raises:
        pydantic.ValidationError: a policy file is malformed (the tests load every shipped file).
    """
    return _load(directory)


def nation_policy(nation: str) -> NationPolicy:
    """Return a nation's timescale policy; England's for an unknown nation."""
    policies = nation_policies()
    return policies.get(nation) or policies["ENG"]


@dataclass(frozen=True, slots=True)
class Deadline:
    """When an event is due, and what the count went through to get there."""

    timescale: Timescale
    policy: NationPolicy
    start: date
    due: date
    nation: str
    # Bank holidays on weekdays between the start and the due date: the days the count skipped.
    holidays_skipped: tuple[date, ...]
    # For calendar timescales that end on a weekend or bank holiday: the last working day before.
    last_working_day: date | None = None


class NoTimescale(LookupError):
    """The nation's framework has no countable timescale for this event."""

    def __init__(self, policy: NationPolicy, event: Event, timescale: Timescale | None) -> None:
        super().__init__(f"{policy.nation} has no countable timescale for {event}")
        self.policy, self.event, self.timescale = policy, event, timescale


def due_date(*, event: Event, start: date, nation: str = "ENG") -> Deadline:
    """Work out when `event` is due if the clock started on `start`, under `nation`'s framework and days.

    Raises:
        NoTimescale: the nation's framework sets no countable timescale for the event.
        ValueError: `nation` is not ENG, WLS, SCT or NIR.
    """
    policy = nation_policy(nation)
    timescale = policy.timescale(event)
    if timescale is None or timescale.amount is None:
        raise NoTimescale(policy, event, timescale)
    calendar = day_calendar(nation=nation)
    last_working_day = None
    skipped: tuple[date, ...] = ()
    if timescale.unit == "working_days":
        due = calendar.add_working_days_to_date(start, timescale.amount)
        days = (start + timedelta(days=n) for n in range(1, (due - start).days + 1))
        skipped = tuple(day for day in days if day.weekday() < 5 and calendar.is_bank_holiday(day))
    else:
        if timescale.unit == "months":
            due = start + relativedelta(months=timescale.amount)
        else:
            due = start + timedelta(days=timescale.amount)
        last_working_day = None if calendar.is_working_day(due) else _previous_working_day(calendar, due)
    return Deadline(
        timescale=timescale,
        policy=policy,
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
