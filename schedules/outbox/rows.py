"""The reminder outbox: schedule, cancel and inspect future messages. The sweep (schedules/outbox/sweep.py) sends them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from schedules.time.clock import Clock
from storage.models import Reminder


def schedule(
    *,
    session: Session,
    clock: Clock,
    dedupe_key: str,
    recipient_person_id: int,
    kind: str,
    due_at: datetime,
    subject_kind: str = "item",
    subject_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Reminder | None:
    """Add a reminder unless one with the same dedupe key exists; return the new row or None."""
    existing = session.exec(select(Reminder).where(col(Reminder.dedupe_key) == dedupe_key)).first()
    if existing is not None:
        return None
    reminder = Reminder(
        dedupe_key=dedupe_key,
        recipient_person_id=recipient_person_id,
        kind=kind,
        subject_kind=subject_kind,
        subject_id=subject_id,
        payload=payload or {},
        due_at=due_at,
        created_at=clock.now(),
    )
    session.add(reminder)
    session.flush()
    return reminder


def cancel(
    *, session: Session, subject_kind: str, subject_id: int, kinds: Iterable[str] | None = None
) -> int:
    """Cancel pending reminders about a subject (all kinds, or only `kinds`); return how many."""
    query = (
        update(Reminder)
        .where(col(Reminder.subject_kind) == subject_kind)
        .where(col(Reminder.subject_id) == subject_id)
        .where(col(Reminder.status) == "pending")
    )
    if kinds is not None:
        query = query.where(col(Reminder.kind).in_(list(kinds)))
    result = session.execute(query.values(status="cancelled"))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def pending_for(*, session: Session, subject_kind: str, subject_id: int) -> list[Reminder]:
    """Return the pending reminders about a subject, earliest first."""
    return list(
        session.exec(
            select(Reminder)
            .where(col(Reminder.subject_kind) == subject_kind)
            .where(col(Reminder.subject_id) == subject_id)
            .where(col(Reminder.status) == "pending")
            .order_by(col(Reminder.due_at))
        )
    )


def next_due_at(*, session: Session) -> datetime | None:
    """Return when the earliest pending reminder falls due."""
    return session.exec(
        select(Reminder.due_at)
        .where(col(Reminder.status) == "pending")
        .order_by(col(Reminder.due_at))
        .limit(1)
    ).first()
