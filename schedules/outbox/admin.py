"""What an admin sees and does about reminders that could not be delivered (`joinup outbox …`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from storage import audit
from storage.models import Reminder


@dataclass(frozen=True, slots=True)
class ReminderSummary:
    """One reminder as an admin sees it: ids and kinds, never its rendered words or case reference."""

    id: int
    kind: str
    recipient_person_id: int
    status: str
    attempts: int
    due_at: datetime
    last_error: str


def summaries(session: Session, *, statuses: tuple[str, ...], limit: int = 100) -> list[ReminderSummary]:
    """Return reminders in these statuses, earliest due first."""
    rows = session.exec(
        select(Reminder)
        .where(col(Reminder.status).in_(statuses))
        .order_by(col(Reminder.due_at), col(Reminder.id))
        .limit(limit)
    ).all()
    return [
        ReminderSummary(
            id=row.id or 0,
            kind=row.kind,
            recipient_person_id=row.recipient_person_id,
            status=row.status,
            attempts=row.attempts,
            due_at=row.due_at,
            last_error=row.last_error,
        )
        for row in rows
    ]


class CannotRetry(Exception):
    """The reminder can't be sent again: unknown, or it isn't failed."""

    def __init__(self, reminder_id: int, reason: str) -> None:
        super().__init__(f"reminder {reminder_id}: {reason}")
        self.reminder_id = reminder_id
        self.reason = reason


def retry(session: Session, *, reminder_id: int, now: datetime, actor: str) -> None:
    """Put a failed reminder back in the outbox, due now with fresh attempts; audited.

    Raises:
        CannotRetry: no such reminder, or it isn't failed.
    """
    row = session.get(Reminder, reminder_id)
    if row is None:
        raise CannotRetry(reminder_id, "no such reminder")
    if row.status != "failed":
        raise CannotRetry(reminder_id, f"it is {row.status}, not failed")
    row.status, row.attempts, row.due_at, row.lease_until, row.last_error = "pending", 0, now, None, ""
    session.add(row)
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="reminder.retried",
        subject=f"reminder:{reminder_id}",
        data={"kind": row.kind},
    )
