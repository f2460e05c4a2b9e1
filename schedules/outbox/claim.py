"""Claiming due reminders for one sweeper: the locking query, working-hours deferral and exhausted rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from schedules.outbox import delivery_failures
from schedules.settings import ReminderSettings
from schedules.time.calendar import WorkingCalendar
from schedules.time.calendars import calendar_for_nation
from storage import audit
from storage.models import Person, Reminder


@dataclass(frozen=True, slots=True)
class Claim:
    """Reminders one sweeper now holds under `lease_until`."""

    reminders: list[Reminder]
    lease_until: datetime
    deferred: int = 0
    failed: int = 0


class _Calendars:
    """Working calendars per nation, built once per claim."""

    def __init__(self, settings: ReminderSettings) -> None:
        self.settings = settings
        self._by_nation: dict[str, WorkingCalendar] = {}

    def get(self, nation: str) -> WorkingCalendar:
        if nation not in self._by_nation:
            self._by_nation[nation] = calendar_for_nation(nation=nation, settings=self.settings)
        return self._by_nation[nation]


def claim_due(*, session: Session, now: datetime, settings: ReminderSettings) -> Claim:
    """Claim up to `settings.batch_size` due reminders (or ones whose lease ran out) in the caller's transaction.

    Reminders due outside their recipient's working hours are moved to the next working time instead (unless
    the person said they don't mind); ones that have used up their attempts are marked failed.
    """
    columns = select(Reminder.id, Reminder.attempts, Person.nation, Person.quiet_hours_ok).join(
        Person, col(Person.id) == col(Reminder.recipient_person_id)
    )
    # Two simple queries rather than one with OR, so each is a short range scan on (status, due_at): rows
    # whose lease ran out (a sweeper died) first, then pending rows in due order.
    rows = list(
        session.exec(
            columns.where(col(Reminder.status) == "claimed", col(Reminder.lease_until) < now)
            .order_by(col(Reminder.due_at), col(Reminder.id))
            .limit(settings.batch_size)
            .with_for_update(skip_locked=True, of=Reminder)
        )
    )
    if len(rows) < settings.batch_size:
        rows += session.exec(
            columns.where(col(Reminder.status) == "pending", col(Reminder.due_at) <= now)
            .order_by(col(Reminder.status), col(Reminder.due_at))
            .limit(settings.batch_size - len(rows))
            .with_for_update(skip_locked=True, of=Reminder)
        ).all()
    lease_until = now + timedelta(seconds=settings.lease_seconds)
    calendars = _Calendars(settings)
    to_claim: list[int] = []
    exhausted: list[int] = []
    deferred: dict[datetime, list[int]] = {}
    for reminder_id, attempts, nation, quiet_hours_ok in rows:
        assert reminder_id is not None
        calendar = calendars.get(nation)
        if attempts >= settings.max_attempts:
            exhausted.append(reminder_id)
        elif not quiet_hours_ok and not calendar.is_working_time(now):
            deferred.setdefault(calendar.next_working_time(now), []).append(reminder_id)
        else:
            to_claim.append(reminder_id)
    if exhausted:
        session.execute(
            update(Reminder)
            .where(col(Reminder.id).in_(exhausted))
            .values(status="failed", lease_until=None, last_error="gave up: too many attempts")
        )
    for due_at, ids in deferred.items():
        session.execute(
            update(Reminder)
            .where(col(Reminder.id).in_(ids))
            .values(status="pending", due_at=due_at, lease_until=None)
        )
    reminders: list[Reminder] = []
    if to_claim:
        session.execute(
            update(Reminder)
            .where(col(Reminder.id).in_(to_claim))
            .values(status="claimed", lease_until=lease_until, attempts=col(Reminder.attempts) + 1)
            .execution_options(synchronize_session=False)
        )
        reminders = list(
            session.exec(
                select(Reminder)
                .where(col(Reminder.id).in_(to_claim))
                .order_by(col(Reminder.due_at), col(Reminder.id))
                .execution_options(populate_existing=True)
            )
        )
    if exhausted:
        audit.record(
            session=session,
            at=now,
            actor="joinup",
            action="reminder.failed",
            subject="outbox",
            data={"reminder_ids": exhausted, "reason": "too many attempts"},
        )
        delivery_failures.report(session=session, now=now, reminder_ids=exhausted)
    return Claim(
        reminders=reminders,
        lease_until=lease_until,
        deferred=sum(len(ids) for ids in deferred.values()),
        failed=len(exhausted),
    )
