"""Escalation level timers: reminder rows in the outbox when a level's time runs out, and "remind me"."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from schedules.escalation.policy import Policy
from schedules.escalation.records import (
    OPEN_STATUSES,
    level_calendar,
    open_escalation,
    person,
    record_step,
)
from schedules.outbox import rows as outbox
from schedules.time.calendars import WorkingHours, calendar_for_person, delivery_time
from schedules.time.clock import Clock
from storage.models import Escalation, EscalationStep, Person, Reminder

LEVEL_DUE = "escalation_level_due"  # to the raiser (and their manager from level 2): the level's time ran out
REMIND_ME = "escalation_remind_me"  # to whoever pressed Remind me
KINDS = (LEVEL_DUE, REMIND_ME)
SUBJECT = "escalation"


def start_level(
    session: Session,
    clock: Clock,
    escalation: Escalation,
    policy: Policy,
    raiser: Person,
    *,
    settings: WorkingHours,
) -> None:
    """Start the clock on the escalation's current level and schedule the reminders for when it runs out."""
    level = policy.level(escalation.level)
    now = clock.now()
    escalation.level_started_at = now
    escalation.level_due_at = (
        level_calendar(session=session, escalation=escalation, settings=settings).add_working_days(
            now, level.working_days
        )
        if level.working_days is not None
        else None
    )
    session.flush()
    schedule_level_reminders(session, clock, escalation, raiser, settings=settings)


def schedule_level_reminders(
    session: Session, clock: Clock, escalation: Escalation, raiser: Person, *, settings: WorkingHours
) -> None:
    """Schedule the reminders for when the current level's time runs out (to the raiser, and their manager
    from level 2)."""
    if escalation.level_due_at is None:
        return
    recipients = [("raiser", raiser)]
    # From level 2 the raiser's manager acts too, so they hear when time runs out.
    if escalation.level >= 2 and raiser.manager_id is not None:
        recipients.append(("manager", person(session, raiser.manager_id)))
    for audience, recipient in recipients:
        assert recipient.id is not None
        outbox.schedule(
            session=session,
            clock=clock,
            dedupe_key=f"escalation:{escalation.id}:level:{escalation.level}:due:{audience}:{recipient.id}",
            recipient_person_id=recipient.id,
            kind=LEVEL_DUE,
            due_at=delivery_time(person=recipient, at=escalation.level_due_at, settings=settings),
            subject_kind=SUBJECT,
            subject_id=escalation.id,
            payload={
                "ref": escalation.ref,
                "level": escalation.level,
                "audience": audience,
                "level_due_at": escalation.level_due_at.isoformat(),
            },
        )


def cancel_timers(*, session: Session, escalation: Escalation) -> int:
    """Cancel every pending reminder about the escalation; return how many."""
    assert escalation.id is not None
    return outbox.cancel(session=session, subject_kind=SUBJECT, subject_id=escalation.id)


def remind_me(
    *, session: Session, clock: Clock, ref: str, person_id: int, settings: WorkingHours
) -> Reminder:
    """Schedule a nudge for the person one working day from now (pressing twice keeps one reminder).

    Raises:
        NotFound, WrongState.
    """
    actor = person(session, person_id)
    escalation = open_escalation(session, ref, "set a reminder on it")
    calendar = calendar_for_person(person=actor, settings=settings)
    due_at = calendar.add_working_minutes(
        clock.now(),
        (calendar.day_ends.hour * 60 + calendar.day_ends.minute)
        - (calendar.day_starts.hour * 60 + calendar.day_starts.minute),
    )
    existing = session.exec(
        select(Reminder)
        .where(col(Reminder.subject_kind) == SUBJECT)
        .where(col(Reminder.subject_id) == escalation.id)
        .where(col(Reminder.kind) == REMIND_ME)
        .where(col(Reminder.recipient_person_id) == actor.id)
        .where(col(Reminder.status) == "pending")
    ).first()
    if existing is not None:
        return existing
    reminder = outbox.schedule(
        session=session,
        clock=clock,
        dedupe_key=f"escalation:{escalation.id}:remind:{actor.id}:{due_at.isoformat()}",
        recipient_person_id=actor.id or 0,
        kind=REMIND_ME,
        due_at=due_at,
        subject_kind=SUBJECT,
        subject_id=escalation.id,
        payload={"ref": escalation.ref, "level": escalation.level},
    )
    assert reminder is not None
    record_step(session, clock, escalation, action="reminder_set", actor=actor)
    return reminder


def record_timeouts(*, session: Session, clock: Clock) -> int:
    """Record a `timed_out` step for every open level whose time has run out; return how many."""
    due = session.exec(
        select(Escalation)
        .where(col(Escalation.status).in_(OPEN_STATUSES))
        .where(col(Escalation.level_due_at) <= clock.now())
    ).all()
    count = 0
    for escalation in due:
        already = session.exec(
            select(EscalationStep.id)
            .where(col(EscalationStep.escalation_id) == escalation.id)
            .where(col(EscalationStep.level) == escalation.level)
            .where(col(EscalationStep.action) == "timed_out")
        ).first()
        if already is None:
            # Recorded at the deadline itself, whenever the job notices, so the chronology is exact.
            record_step(
                session, clock, escalation, action="timed_out", actor=None, at=escalation.level_due_at
            )
            count += 1
    return count


def next_timeout_at(*, session: Session, after: datetime) -> datetime | None:
    """Return the earliest level deadline after `after`, so a fake clock can stop there."""
    return session.exec(
        select(Escalation.level_due_at)
        .where(col(Escalation.status).in_(OPEN_STATUSES))
        .where(col(Escalation.level_due_at) > after)
        .order_by(col(Escalation.level_due_at))
        .limit(1)
    ).first()
