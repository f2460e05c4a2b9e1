"""Telling people when a reminder could not be delivered: the person it was about, and the directory admins.

When the outbox sweep gives up on a reminder (a permanent platform error such as Slack's `user_not_found`, or
every attempt used), nobody would otherwise know: the chase to the receiving team silently never happened.
So the sweep calls report() in the same transaction that marks the row failed, and it schedules a
`delivery_failed` notice (an ordinary outbox reminder, rendered by handlers/outbox/delivery_failures.py):

- to the person the reminder was about, when that is someone else: for a chase to the receiving team, the
  referrer (who now knows to chase by phone instead);
- to each directory admin of the recipient's agency, who can fix the person's chat account in the directory.

A notice that itself fails is only audited (the sweep's `reminder.failed` event): notices never chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from schedules.outbox import rows as outbox
from storage import audit
from storage.models import Person, Reminder, RoleGrant, Team, TrackedItem

DELIVERY_FAILED = "delivery_failed"  # the notice's reminder kind
SENDER = "sender"  # the notice goes to the person the failed reminder was about
ADMIN = "admin"  # the notice goes to a directory admin of the recipient's agency


class _At:
    """A clock stopped at one moment (the sweep passes its `now`)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def directory_admins(*, session: Session, agency_id: int) -> list[int]:
    """Return the ids of the people who administer an agency's directory entries, lowest id first."""
    granted = select(RoleGrant.person_id).where(
        col(RoleGrant.role) == "directory_admin", col(RoleGrant.agency_id) == agency_id
    )
    in_agency = select(Team.id).where(col(Team.agency_id) == agency_id)
    return [
        person_id
        for person_id in session.exec(
            select(Person.id)
            .where(
                col(Person.id).in_(granted)
                | ((col(Person.role) == "directory_admin") & col(Person.team_id).in_(in_agency))
            )
            .order_by(col(Person.id))
        )
        if person_id is not None
    ]


def audience(*, session: Session, reminder: Reminder) -> list[tuple[int, str]]:
    """Return who should hear that `reminder` failed, as (person id, SENDER or ADMIN); empty for a notice."""
    if reminder.kind == DELIVERY_FAILED:
        return []
    told: dict[int, str] = {}
    if reminder.subject_kind == "item" and reminder.subject_id is not None:
        item = session.get(TrackedItem, reminder.subject_id)
        if item is not None and item.from_person_id != reminder.recipient_person_id:
            told[item.from_person_id] = SENDER
    recipient = session.get(Person, reminder.recipient_person_id)
    team = session.get(Team, recipient.team_id) if recipient is not None and recipient.team_id else None
    if team is not None:
        for admin_id in directory_admins(session=session, agency_id=team.agency_id):
            if admin_id != reminder.recipient_person_id:
                told.setdefault(admin_id, ADMIN)
    return sorted(told.items())


def report(*, session: Session, now: datetime, reminder_ids: Iterable[int]) -> int:
    """Schedule a notice about each failed reminder (in the caller's transaction); return how many were added."""
    ids = list(reminder_ids)
    if not ids:
        return 0
    failed = session.exec(
        select(Reminder).where(col(Reminder.id).in_(ids)).execution_options(populate_existing=True)
    ).all()
    added = 0
    for reminder in failed:
        assert reminder.id is not None
        told = []
        for person_id, role in audience(session=session, reminder=reminder):
            notice = outbox.schedule(
                session=session,
                clock=_At(now),
                dedupe_key=f"{DELIVERY_FAILED}:{reminder.id}:{person_id}",
                recipient_person_id=person_id,
                kind=DELIVERY_FAILED,
                due_at=now,
                subject_kind=reminder.subject_kind,
                subject_id=reminder.subject_id,
                payload={
                    "failed_reminder_id": reminder.id,
                    "failed_kind": reminder.kind,
                    "recipient_person_id": reminder.recipient_person_id,
                    "reason": reminder.last_error,
                    "attempts": reminder.attempts,
                    "role": role,
                },
            )
            if notice is not None:
                told.append(person_id)
        if told:
            audit.record(
                session=session,
                at=now,
                actor="joinup",
                action="reminder.failure_reported",
                subject=f"reminder:{reminder.id}",
                data={"told_person_ids": told, "kind": reminder.kind},
            )
        added += len(told)
    return added
