"""The scheduled job that keeps insight's frozen durations complete.

Tracking stores working minutes when a clock stops; an escalation closed by code that does not yet store its
working days to resolution (or rows written by an import) would leave gaps. This job fills them, at most once
every ten minutes per process, so every figure on the dashboard has its number.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from schedules.insight.durations import CalendarCache, backfill_durations
from schedules.settings import ReminderSettings
from schedules.time.clock import Clock

EVERY = timedelta(minutes=10)
_last_run: dict[int, datetime] = {}


class _HasReminders(Protocol):
    @property
    def reminders(self) -> ReminderSettings:
        """The working-day settings."""
        ...


class InsightRunning(Protocol):
    """What the job needs from bot.runtime.Runtime."""

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory."""
        ...

    @property
    def clock(self) -> Clock:
        """The clock."""
        ...

    @property
    def settings(self) -> _HasReminders:
        """The settings."""
        ...


async def fill_durations_job(runtime: InsightRunning) -> None:
    """Fill missing working-time durations on stopped clocks and closed escalations."""
    now = runtime.clock.now()
    last = _last_run.get(id(runtime))
    if last is not None and now - last < EVERY:
        return
    _last_run[id(runtime)] = now
    calendars = CalendarCache(settings=runtime.settings.reminders)
    with runtime.sessions.begin() as session:
        backfill_durations(session=session, calendars=calendars)
