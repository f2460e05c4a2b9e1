"""Manager digests: when each one is due, and claiming it exactly once across replicas.

A digest period is a key like `daily:2026-11-25` or `weekly:2026-W48`. Daily digests are due at 08:30 (London
time) on the manager's working days; weekly ones at 08:30 on the first working day of the ISO week (Monday,
unless it is a bank holiday). A sender claims a (manager, period) by inserting its `digest_run` row before
sending (`INSERT … ON CONFLICT DO NOTHING`, so only one replica wins) and records the outcome afterwards.
A period that was missed (the service was down at 08:30) is still sent when the service comes back during
working hours, marked late; a newer period supersedes it, so nobody gets yesterday's digest after today's.
What a digest says is built by schedules/digest_content.py; claiming and recording runs in bulk is
schedules/digest_runs.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, Literal

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from schedules.calendar import WorkingCalendar
from schedules.clock import Clock
from storage.db import is_postgres
from storage.models import DigestRun

Schedule = Literal["daily", "weekly", "off"]
SCHEDULES: Final[tuple[Schedule, ...]] = ("daily", "weekly", "off")
DIGEST_TIME: Final = time(8, 30)
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


def _due(calendar: WorkingCalendar, day: date) -> datetime:
    return datetime.combine(day, DIGEST_TIME, tzinfo=calendar.tz).astimezone(UTC)


def _first_working_day_of_week(calendar: WorkingCalendar, day: date) -> date | None:
    monday = day - timedelta(days=day.weekday())
    for offset in range(5):
        candidate = monday + timedelta(days=offset)
        if calendar.is_working_day(candidate):
            return candidate
    return None  # a week of bank holidays has no weekly digest


def _daily(calendar: WorkingCalendar, now: datetime) -> Period | None:
    day = calendar.local(now).date()
    for _ in range(30):
        if calendar.is_working_day(day) and _due(calendar, day) <= now:
            before = day - timedelta(days=1)
            while not calendar.is_working_day(before):
                before -= timedelta(days=1)
            return Period(f"daily:{day.isoformat()}", _due(calendar, day), _due(calendar, before))
        day -= timedelta(days=1)
    return None


def _weekly(calendar: WorkingCalendar, now: datetime) -> Period | None:
    day = calendar.local(now).date()
    for _ in range(6):
        first = _first_working_day_of_week(calendar, day)
        if first is not None and _due(calendar, first) <= now:
            previous = None
            back = first - timedelta(days=7)
            for _ in range(6):
                previous = _first_working_day_of_week(calendar, back)
                if previous is not None:
                    break
                back -= timedelta(days=7)
            year, week, _ = first.isocalendar()
            before = _due(calendar, previous) if previous else _due(calendar, first) - timedelta(days=7)
            return Period(f"weekly:{year}-W{week:02d}", _due(calendar, first), before)
        day -= timedelta(days=7)
    return None


def latest_period(*, schedule: str, now: datetime, nation: str = "ENG") -> Period | None:
    """Return the newest period of `schedule` that has fallen due by `now` (None for "off")."""
    calendar = WorkingCalendar(nation)
    if schedule == "daily":
        return _daily(calendar, now)
    if schedule == "weekly":
        return _weekly(calendar, now)
    return None


def next_due_at(*, schedule: str, now: datetime, nation: str = "ENG") -> datetime | None:
    """Return when the next period of `schedule` after `now` falls due (None for "off")."""
    if schedule not in ("daily", "weekly"):
        return None
    calendar = WorkingCalendar(nation)
    day = calendar.local(now).date()
    for offset in range(21):
        candidate = day + timedelta(days=offset)
        if schedule == "daily":
            is_due_day = calendar.is_working_day(candidate)
        else:
            is_due_day = _first_working_day_of_week(calendar, candidate) == candidate
        if is_due_day and _due(calendar, candidate) > now:
            return _due(calendar, candidate)
    return None


def is_sending_time(*, now: datetime, nation: str = "ENG") -> bool:
    """Tell whether digests may go out now: a working day, between 08:30 and 17:00 London time."""
    calendar = WorkingCalendar(nation)
    local = calendar.local(now)
    return calendar.is_working_day(local.date()) and DIGEST_TIME <= local.time() < SEND_UNTIL


def skip_current(
    *, session: Session, clock: Clock, person_id: int, schedule: str, nation: str = "ENG"
) -> None:
    """Mark the period of `schedule` already due as skipped, so a schedule change sends no late catch-up."""
    period = latest_period(schedule=schedule, now=clock.now(), nation=nation)
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
