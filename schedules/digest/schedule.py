"""Manager digests: when each one is due, and claiming it exactly once across replicas.

A digest period is a key like `daily:2026-11-25` or `weekly:2026-W48`. Daily digests are due at the manager's
digest time (08:30 London time unless they chose another) on their working days; weekly ones at that time on the
first working day of the ISO week (Monday,
unless it is a bank holiday). A sender claims a (manager, period) by inserting its `digest_run` row before
sending (`INSERT … ON CONFLICT DO NOTHING`, so only one replica wins) and records the outcome afterwards.
A period that was missed (the service was down at 08:30) is still sent when the service comes back during
working hours, marked late; a newer period supersedes it, so nobody gets yesterday's digest after today's.
What a digest says is built by schedules/digest/content.py; claiming and recording runs in bulk is
schedules/digest/runs.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, Literal

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from schedules.time.calendar import WorkingCalendar, parse_clock_time
from schedules.time.calendars import day_calendar
from schedules.time.clock import Clock
from storage.db import is_postgres
from storage.models import DigestRun

Schedule = Literal["daily", "weekly", "off"]
SCHEDULES: Final[tuple[Schedule, ...]] = ("daily", "weekly", "off")
DIGEST_TIME: Final = time(8, 30)  # unless the manager chose another (Person.digest_time)
EARLIEST: Final = time(7, 0)
LATEST: Final = time(16, 0)
# Sent later than this after its due time, a digest says it is late.
LATE_AFTER: Final = timedelta(minutes=15)
# A claim this old that never recorded an outcome belongs to a sender that died; another may take it over.
CLAIM_LEASE: Final = timedelta(minutes=10)
# Late digests go out in working hours only (no digests in the night or at the weekend).
SEND_UNTIL: Final = time(17, 0)

CLAIMED: Final = "claimed"
SENT: Final = "sent"
FAILED: Final = "failed"  # retried at the next run while the period is current
UNDELIVERABLE: Final = "undeliverable"  # e.g. the manager has no chat conversation yet; not retried
SKIPPED: Final = "skipped"  # the manager changed schedule after this period fell due: no catch-up


@dataclass(frozen=True, slots=True)
class Period:
    """One digest period: its key, when it fell due, and when the one before it fell due."""

    key: str
    due_at: datetime
    previous_due_at: datetime

    def is_late_at(self, at: datetime) -> bool:
        """Tell whether a digest sent at `at` is late."""
        return at - self.due_at > LATE_AFTER


def _due(calendar: WorkingCalendar, day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=calendar.tz).astimezone(UTC)


def digest_time_of(value: str) -> time:
    """The time a manager chose (Person.digest_time, "HH:MM"), or 08:30 if it can't be read."""
    try:
        return parse_clock_time(value)
    except ValueError:
        return DIGEST_TIME


def _first_working_day_of_week(calendar: WorkingCalendar, day: date) -> date | None:
    monday = day - timedelta(days=day.weekday())
    for offset in range(5):
        candidate = monday + timedelta(days=offset)
        if calendar.is_working_day(candidate):
            return candidate
    return None  # a week of bank holidays has no weekly digest


def _daily(calendar: WorkingCalendar, now: datetime, at: time) -> Period | None:
    day = calendar.local(now).date()
    for _ in range(30):
        if calendar.is_working_day(day) and _due(calendar, day, at) <= now:
            before = day - timedelta(days=1)
            while not calendar.is_working_day(before):
                before -= timedelta(days=1)
            return Period(f"daily:{day.isoformat()}", _due(calendar, day, at), _due(calendar, before, at))
        day -= timedelta(days=1)
    return None


def _weekly(calendar: WorkingCalendar, now: datetime, at: time) -> Period | None:
    day = calendar.local(now).date()
    for _ in range(6):
        first = _first_working_day_of_week(calendar, day)
        if first is not None and _due(calendar, first, at) <= now:
            previous = None
            back = first - timedelta(days=7)
            for _ in range(6):
                previous = _first_working_day_of_week(calendar, back)
                if previous is not None:
                    break
                back -= timedelta(days=7)
            year, week, _ = first.isocalendar()
            before = (
                _due(calendar, previous, at) if previous else _due(calendar, first, at) - timedelta(days=7)
            )
            return Period(f"weekly:{year}-W{week:02d}", _due(calendar, first, at), before)
        day -= timedelta(days=7)
    return None


def latest_period(
    *, schedule: str, now: datetime, nation: str = "ENG", at: time = DIGEST_TIME
) -> Period | None:
    """Return the newest period of `schedule` (due at `at`, London time) that has fallen due by `now`."""
    calendar = day_calendar(nation=nation)
    if schedule == "daily":
        return _daily(calendar, now, at)
    if schedule == "weekly":
        return _weekly(calendar, now, at)
    return None


def next_due_at(
    *, schedule: str, now: datetime, nation: str = "ENG", at: time = DIGEST_TIME
) -> datetime | None:
    """Return when the next period of `schedule` after `now` falls due (None for "off")."""
    if schedule not in ("daily", "weekly"):
        return None
    calendar = day_calendar(nation=nation)
    day = calendar.local(now).date()
    for offset in range(21):
        candidate = day + timedelta(days=offset)
        if schedule == "daily":
            is_due_day = calendar.is_working_day(candidate)
        else:
            is_due_day = _first_working_day_of_week(calendar, candidate) == candidate
        if is_due_day and _due(calendar, candidate, at) > now:
            return _due(calendar, candidate, at)
    return None


def is_sending_time(*, now: datetime, nation: str = "ENG", at: time = DIGEST_TIME) -> bool:
    """Tell whether a digest due at `at` may go out now: a working day, between `at` and 17:00 London time."""
    calendar = day_calendar(nation=nation)
    local = calendar.local(now)
    return calendar.is_working_day(local.date()) and at <= local.time() < SEND_UNTIL


def skip_current(
    *,
    session: Session,
    clock: Clock,
    person_id: int,
    schedule: str,
    nation: str = "ENG",
    at: time = DIGEST_TIME,
) -> None:
    """Mark the period of `schedule` already due as skipped, so a schedule change sends no late catch-up."""
    period = latest_period(schedule=schedule, now=clock.now(), nation=nation, at=at)
    if period is None:
        return
    dialect = postgresql if is_postgres(session) else sqlite
    session.connection().execute(
        dialect.insert(DigestRun)
        .values(
            recipient_person_id=person_id,
            period=period.key,
            status=SKIPPED,
            is_late=False,
            counts={},
            created_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["recipient_person_id", "period"])
    )


def previous_counts(*, session: Session, person_id: int, before_period: str) -> dict[str, Any] | None:
    """Return the counts of the manager's last sent digest other than `before_period`, if any."""
    run = session.exec(
        select(DigestRun)
        .where(col(DigestRun.recipient_person_id) == person_id, col(DigestRun.status) == SENT)
        .where(col(DigestRun.period) != before_period)
        .order_by(col(DigestRun.sent_at).desc(), col(DigestRun.id).desc())
        .limit(1)
    ).first()
    return dict(run.counts) if run is not None else None
