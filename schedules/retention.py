"""Retention: remove closed work older than the local retention period, keeping a tombstone in the audit log.

What goes: tracked items closed before the cut-off, with their contact attempts and reminders; escalations
closed before it, with their steps and reminders; contact attempts and information-sharing decisions (not tied
to a kept item) recorded before it. What stays: anything open or paused, anything closed after the cut-off, a
closed item that a kept escalation still points at, and the audit log, which gets one `retention.purged` event
per case reference (the tombstone) and one `retention.run` event. A dry run reports the same and changes nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import delete
from sqlmodel import Session, col, select

from schedules.time.clock import Clock
from storage import audit
from storage.errors import InvalidInput
from storage.models import ContactAttempt, Escalation, EscalationStep, Reminder, SharingDecision, TrackedItem

CLOSED_ESCALATION = ("resolved", "withdrawn", "stopped")
_AGE = re.compile(r"^\s*(\d{1,3})\s*(y|yr|yrs|years?|m|mo|months?|d|days?)\s*$", re.IGNORECASE)


@dataclass
class PurgeReport:
    """What a purge removed (or, in a dry run, would remove), per kind and per case reference."""

    cutoff: datetime
    is_dry_run: bool
    removed: Counter[str] = field(default_factory=Counter)
    cases: dict[str, Counter[str]] = field(default_factory=dict)

    def count(self, case_ref: str, kind: str, number: int = 1) -> None:
        """Add `number` removed rows of `kind` about `case_ref`."""
        self.removed[kind] += number
        self.cases.setdefault(case_ref, Counter())[kind] += number


def parse_age(text: str) -> relativedelta:
    """Parse a retention period like "6y", "18m" or "30d".

    Raises:
        InvalidInput: not a number of years, months or days.
    """
    match = _AGE.match(text)
    if not match:
        raise InvalidInput(
            "older-than", "Give a period like 6y (years), 18m (months) or 90d (days).", example="6y"
        )
    number, unit = int(match.group(1)), match.group(2).lower()
    if number == 0:
        raise InvalidInput("older-than", "The period must be longer than nothing.", example="6y")
    if unit.startswith("y"):
        return relativedelta(years=number)
    if unit.startswith("m"):
        return relativedelta(months=number)
    return relativedelta(days=number)


def purge(
    *, session: Session, clock: Clock, older_than: relativedelta, actor: str, dry_run: bool
) -> PurgeReport:
    """Remove closed work older than `older_than` (or only report it when `dry_run`), audited per case."""
    now = clock.now()
    cutoff = now - older_than
    if cutoff > now - timedelta(days=1):
        raise InvalidInput("older-than", "The period must be at least a day.", example="6y")
    report = PurgeReport(cutoff=cutoff, is_dry_run=dry_run)

    escalations = session.exec(
        select(Escalation)
        .where(col(Escalation.status).in_(CLOSED_ESCALATION))
        .where(col(Escalation.closed_at) < cutoff)
    ).all()
    escalation_ids = [e.id for e in escalations if e.id is not None]
    # An old closed item that a kept (open, or recent) escalation still points at stays with it.
    pinned = set(
        session.exec(
            select(Escalation.item_id).where(
                col(Escalation.item_id).is_not(None), col(Escalation.id).not_in(escalation_ids or [-1])
            )
        ).all()
    )
    items = [
        item
        for item in session.exec(
            select(TrackedItem).where(
                col(TrackedItem.status) == "closed", col(TrackedItem.closed_at) < cutoff
            )
        )
        if item.id not in pinned
    ]
    item_ids = [i.id for i in items if i.id is not None]

    for escalation in escalations:
        report.count(escalation.case_ref, "escalations")
    steps = session.exec(
        select(EscalationStep).where(col(EscalationStep.escalation_id).in_(escalation_ids))
    ).all()
    by_escalation = {e.id: e.case_ref for e in escalations}
    for step in steps:
        report.count(by_escalation[step.escalation_id], "escalation steps")
    for item in items:
        report.count(item.case_ref, "items")
    attempts = session.exec(
        select(ContactAttempt).where(
            (col(ContactAttempt.item_id).in_(item_ids))
            | (col(ContactAttempt.item_id).is_(None) & (col(ContactAttempt.at) < cutoff))
        )
    ).all()
    for attempt in attempts:
        report.count(attempt.case_ref, "contact attempts")
    decisions = session.exec(select(SharingDecision).where(col(SharingDecision.at) < cutoff)).all()
    for decision in decisions:
        report.count(decision.case_ref, "sharing decisions")
    reminders = session.exec(
        select(Reminder).where(
            ((col(Reminder.subject_kind) == "item") & col(Reminder.subject_id).in_(item_ids))
            | ((col(Reminder.subject_kind) == "escalation") & col(Reminder.subject_id).in_(escalation_ids))
        )
    ).all()
    if reminders:
        report.removed["reminders"] += len(reminders)
    if dry_run:
        return report

    session.execute(delete(Reminder).where(col(Reminder.id).in_([r.id for r in reminders])))
    session.execute(delete(ContactAttempt).where(col(ContactAttempt.id).in_([a.id for a in attempts])))
    session.execute(delete(SharingDecision).where(col(SharingDecision.id).in_([d.id for d in decisions])))
    session.execute(delete(EscalationStep).where(col(EscalationStep.escalation_id).in_(escalation_ids)))
    session.execute(delete(Escalation).where(col(Escalation.id).in_(escalation_ids)))
    session.execute(delete(TrackedItem).where(col(TrackedItem.id).in_(item_ids)))
    for case_ref, counts in sorted(report.cases.items()):
        audit.record(
            session=session,
            at=now,
            actor=actor,
            action="retention.purged",
            subject=f"case:{case_ref}",
            data={"cutoff": cutoff.isoformat(), **dict(sorted(counts.items()))},
        )
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="retention.run",
        data={
            "cutoff": cutoff.isoformat(),
            "cases": len(report.cases),
            **dict(sorted(report.removed.items())),
        },
    )
    session.flush()
    return report
