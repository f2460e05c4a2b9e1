"""Which messages a callback gets, for whom and when: the ask at once, one chase each side when it is
missed, then the next step for the person waiting, never more chases than settings.max_chases allows."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from schedules.outbox import rows as outbox
from schedules.settings import ReminderSettings
from schedules.time import calendars
from schedules.time.clock import Clock
from schedules.tracking.chasing import SUBJECT, receiving_people, revision, shift_working_days
from storage.models import Person, Reminder, Team, TrackedItem

# Reminder kinds; handlers/tracking/callback_messages.py renders them.
CALLBACK_ASKED = "callback_asked"  # to the receiving side, at once: someone is waiting for your call
CALLBACK_MISSED = "callback_missed"  # to the person waiting, when the time passes: did they call?
RECEIVER_CALLBACK_MISSED = "receiver_callback_missed"  # to the receiving side, when the time passes
CALLBACK_NEXT_STEP = "callback_next_step"  # to the person waiting, a working day on: another route, escalate
CALLBACK_UPDATE = "callback_update"  # to the other side: called back, or a new time
CHASE_KINDS = (CALLBACK_MISSED, RECEIVER_CALLBACK_MISSED, CALLBACK_NEXT_STEP)
KINDS = (CALLBACK_ASKED, *CHASE_KINDS)


def owed_by(*, session: Session, item: TrackedItem, team: Team) -> list[Person]:
    """Who owes the call back on joinup: the person named, else the team's contact person or managers."""
    if item.to_person_id is not None:
        person = session.get(Person, item.to_person_id)
        return [person] if person is not None else []
    return receiving_people(session=session, team=team)


def _add(
    session: Session,
    clock: Clock,
    item: TrackedItem,
    rev: int,
    person: Person,
    kind: str,
    at: Any,
    **payload: Any,
) -> list[Reminder]:
    assert item.id is not None and person.id is not None
    reminder = outbox.schedule(
        session=session,
        clock=clock,
        dedupe_key=f"item:{item.id}:r{rev}:{kind}:p{person.id}",
        recipient_person_id=person.id,
        kind=kind,
        due_at=at,
        subject_kind=SUBJECT,
        subject_id=item.id,
        payload={"item_ref": item.ref, **payload},
    )
    return [] if reminder is None else [reminder]


def plan(
    *, session: Session, clock: Clock, settings: ReminderSettings, item: TrackedItem, team: Team
) -> list[Reminder]:
    """Schedule a callback's messages: the ask to the receiving side now, one chase to each side when
    the time passes, and the next step for the person waiting a working day later."""
    assert item.id is not None and item.ack_due_at is not None
    waiting = session.get(Person, item.from_person_id)
    assert waiting is not None
    receivers = [p for p in owed_by(session=session, item=item, team=team) if p.id != waiting.id]
    rev = revision(session, item.id)
    created: list[Reminder] = []
    for person in receivers:
        created += _add(session, clock, item, rev, person, CALLBACK_ASKED, clock.now())
    if settings.max_chases < 1:
        return created  # the policy allows no chases
    calendar = calendars.calendar_for_team(team=team, settings=settings)
    due = max(item.ack_due_at, clock.now())
    for person, kind in [(waiting, CALLBACK_MISSED), *((p, RECEIVER_CALLBACK_MISSED) for p in receivers)]:
        at = calendars.delivery_time(settings=settings, person=person, at=due)
        created += _add(session, clock, item, rev, person, kind, at)
    after = calendars.delivery_time(
        settings=settings, person=waiting, at=shift_working_days(calendar, due, 1)
    )
    created += _add(session, clock, item, rev, waiting, CALLBACK_NEXT_STEP, after)
    return created


def cancel(*, session: Session, item_id: int) -> int:
    """Cancel a callback's pending messages; return how many."""
    return outbox.cancel(session=session, subject_kind=SUBJECT, subject_id=item_id, kinds=KINDS)


def tell_other_side(
    *, session: Session, clock: Clock, item: TrackedItem, team: Team, actor: Person
) -> list[Reminder]:
    """Tell the other side at once that the call back came, or its new time (through the outbox)."""
    assert item.id is not None and actor.id is not None
    if actor.id == item.from_person_id:
        recipients = owed_by(session=session, item=item, team=team)
    else:
        waiting = session.get(Person, item.from_person_id)
        recipients = [waiting] if waiting is not None else []
    event = "called_back" if item.status == "closed" else "moved"
    stamp = item.ack_due_at.isoformat() if item.ack_due_at else ""
    created: list[Reminder] = []
    for person in recipients:
        if person.id is None or person.id == actor.id:
            continue
        reminder = outbox.schedule(
            session=session,
            clock=clock,
            dedupe_key=f"item:{item.id}:callback:{event}:{stamp}:p{person.id}",
            recipient_person_id=person.id,
            kind=CALLBACK_UPDATE,
            due_at=clock.now(),
            subject_kind=SUBJECT,
            subject_id=item.id,
            payload={"event": event, "by_person_id": actor.id, "item_ref": item.ref},
        )
        if reminder is not None:
            created.append(reminder)
    return created
