"""Which chase reminders a tracked item gets, for whom and when: both sides, each working day, never at night."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from schedules.outbox import rows as outbox
from schedules.settings import ReminderSettings
from schedules.time import calendars
from schedules.time.calendar import WorkingCalendar
from schedules.time.clock import Clock
from storage.models import Escalation, Person, Reminder, RoleGrant, Team, TrackedItem

# Reminder kinds this module schedules; handlers/tracking/chasing.py renders them.
ACK_CHASE = "ack_chase"  # to the referrer: no acknowledgement yet, here's how to chase
RECEIVER_ACK_CHASE = "receiver_ack_chase"  # to the receiving team: please acknowledge
FEEDBACK_CHASE = "feedback_chase"  # to the referrer: no feedback yet
RECEIVER_FEEDBACK_CHASE = "receiver_feedback_chase"  # to the receiving team: please give feedback
ESCALATION_NUDGE = "escalation_nudge"  # to the referrer: chases ran out, consider escalating
ITEM_UPDATE = "item_update"  # to the other side: acknowledged, or the outcome
ACK_KINDS = (ACK_CHASE, RECEIVER_ACK_CHASE)
KINDS = (ACK_CHASE, RECEIVER_ACK_CHASE, FEEDBACK_CHASE, RECEIVER_FEEDBACK_CHASE, ESCALATION_NUDGE)
SUBJECT = "item"


def shift_working_days(calendar: WorkingCalendar, at: datetime, days: int) -> datetime:
    """Return the same London time of day `days` working days after `at`."""
    if days == 0:
        return at
    local = calendar.local(at)
    day = calendar.add_working_days_to_date(local.date(), days)
    return datetime.combine(day, local.time(), tzinfo=calendar.tz).astimezone(at.tzinfo)


def receiving_people(*, session: Session, team: Team) -> list[Person]:
    """Return who hears about a team's overdue items: its contact person, else its manager(s)."""
    if team.contact_person_handle:
        person = session.exec(select(Person).where(col(Person.handle) == team.contact_person_handle)).first()
        if person is not None:
            return [person]
    granted = select(RoleGrant.person_id).where(
        col(RoleGrant.role) == "manager", col(RoleGrant.team_id) == team.id
    )
    return list(
        session.exec(
            select(Person)
            .where(
                (col(Person.id).in_(granted))
                | ((col(Person.role) == "manager") & (col(Person.team_id) == team.id))
            )
            .order_by(col(Person.id))
        )
    )


def revision(session: Session, item_id: int) -> int:
    # Each (re)plan gets fresh dedupe keys: earlier plans' rows may be cancelled, and their keys stay taken.
    count = session.exec(
        select(func.count())
        .select_from(Reminder)
        .where(col(Reminder.subject_kind) == SUBJECT, col(Reminder.subject_id) == item_id)
    ).one()
    return int(count)


def plan(
    *, session: Session, clock: Clock, settings: ReminderSettings, item: TrackedItem, team: Team
) -> list[Reminder]:
    """Schedule the chases for every clock still running on `item`: both sides, then an escalation nudge.

    The first chase goes when a clock runs out (at the recipient's next working time), then one each
    working day, up to settings.max_chases. Feedback chases end with a nudge to escalate.
    """
    assert item.id is not None
    calendar = calendars.calendar_for_team(team=team, settings=settings)
    referrer = session.get(Person, item.from_person_id)
    assert referrer is not None
    receivers = [p for p in receiving_people(session=session, team=team) if p.id != referrer.id]
    rev = revision(session, item.id)
    phases: list[tuple[str, datetime, str, str]] = []
    if item.acknowledged_at is None and item.ack_due_at is not None:
        phases.append(("ack", item.ack_due_at, ACK_CHASE, RECEIVER_ACK_CHASE))
    if item.feedback_at is None and item.feedback_due_at is not None:
        phases.append(("feedback", item.feedback_due_at, FEEDBACK_CHASE, RECEIVER_FEEDBACK_CHASE))
    created: list[Reminder] = []
    for phase, due_at, referrer_kind, receiver_kind in phases:
        targets = [(referrer, referrer_kind)] + [(person, receiver_kind) for person in receivers]
        for person, kind in targets:
            base = calendars.delivery_time(settings=settings, person=person, at=max(due_at, clock.now()))
            for chase in range(1, settings.max_chases + 1):
                at = calendars.delivery_time(
                    settings=settings, person=person, at=shift_working_days(calendar, base, chase - 1)
                )
                created += _add(
                    session, clock, item, rev, person, kind, at, phase, chase, settings.max_chases
                )
            if phase == "feedback" and kind == FEEDBACK_CHASE:
                at = calendars.delivery_time(
                    settings=settings,
                    person=person,
                    at=shift_working_days(calendar, base, settings.max_chases),
                )
                created += _add(
                    session,
                    clock,
                    item,
                    rev,
                    person,
                    ESCALATION_NUDGE,
                    at,
                    phase,
                    0,
                    settings.max_chases,
                )
    return created


def _add(
    session: Session,
    clock: Clock,
    item: TrackedItem,
    revision: int,
    person: Person,
    kind: str,
    at: datetime,
    phase: str,
    chase: int,
    of: int,
) -> list[Reminder]:
    assert item.id is not None and person.id is not None
    payload: dict[str, Any] = {"phase": phase, "chase": chase, "of": of, "item_ref": item.ref}
    reminder = outbox.schedule(
        session=session,
        clock=clock,
        dedupe_key=f"item:{item.id}:r{revision}:{kind}:{chase}:p{person.id}",
        recipient_person_id=person.id,
        kind=kind,
        due_at=at,
        subject_kind=SUBJECT,
        subject_id=item.id,
        payload=payload,
    )
    return [] if reminder is None else [reminder]


def snooze(
    *,
    session: Session,
    settings: ReminderSettings,
    item: TrackedItem,
    team: Team,
    person: Person,
    until: datetime,
) -> list[Reminder]:
    """Push `person`'s pending reminders about `item` to `until` or later, keeping one per working day."""
    assert item.id is not None
    calendar = calendars.calendar_for_team(team=team, settings=settings)
    pending = [
        r
        for r in outbox.pending_for(session=session, subject_kind=SUBJECT, subject_id=item.id)
        if r.recipient_person_id == person.id
    ]
    start = calendars.delivery_time(settings=settings, person=person, at=until)
    for index, reminder in enumerate(pending):
        moved = calendars.delivery_time(
            settings=settings, person=person, at=shift_working_days(calendar, start, index)
        )
        reminder.due_at = max(reminder.due_at, moved)
    session.flush()
    return pending


def sent_messages(
    *, session: Session, item_id: int, kinds: Iterable[str] | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """Return (person id, message reference) for delivered reminders about an item, to update their buttons."""
    query = select(Reminder).where(
        col(Reminder.subject_kind) == SUBJECT,
        col(Reminder.subject_id) == item_id,
        col(Reminder.status) == "sent",
    )
    if kinds is not None:
        query = query.where(col(Reminder.kind).in_(list(kinds)))
    return [(r.recipient_person_id, dict(r.message_ref)) for r in session.exec(query) if r.message_ref]


def cancel(*, session: Session, item_id: int, kinds: Iterable[str] | None = None) -> int:
    """Cancel pending reminders about an item (all, or only `kinds`); return how many."""
    return outbox.cancel(session=session, subject_kind=SUBJECT, subject_id=item_id, kinds=kinds)


def tell_other_side(
    *, session: Session, clock: Clock, item: TrackedItem, team: Team, actor: Person, event: str
) -> list[Reminder]:
    """Let the other side know at once (through the outbox, so it survives a restart) what `actor` recorded."""
    assert item.id is not None and actor.id is not None
    if actor.id == item.from_person_id:
        recipients = receiving_people(session=session, team=team)
    else:
        referrer = session.get(Person, item.from_person_id)
        recipients = [referrer] if referrer is not None else []
    created = []
    for person in recipients:
        if person.id is None or person.id == actor.id:
            continue
        reminder = outbox.schedule(
            session=session,
            clock=clock,
            dedupe_key=f"item:{item.id}:update:{event}:p{person.id}",
            recipient_person_id=person.id,
            kind=ITEM_UPDATE,
            due_at=clock.now(),
            subject_kind=SUBJECT,
            subject_id=item.id,
            payload={"event": event, "by_person_id": actor.id, "item_ref": item.ref},
        )
        if reminder is not None:
            created.append(reminder)
    return created


# --- the whole case: an open escalation, and a repeat referral ------------------------------------
REPEAT_WINDOW_WORKING_DAYS = 10  # a second referral about a case to a team this soon is questioned


def open_escalation_for(*, session: Session, item: TrackedItem) -> Escalation | None:
    """Return the open escalation about the item's case and receiving team (or the item itself), if any."""
    return session.exec(
        select(Escalation)
        .where(func.upper(col(Escalation.case_ref)) == item.case_ref.upper())
        .where(col(Escalation.status).in_(("open", "partnership")))
        .where((col(Escalation.other_team_id) == item.to_team_id) | (col(Escalation.item_id) == item.id))
        .order_by(col(Escalation.level).desc(), col(Escalation.id))
    ).first()


def recent_referral(
    *,
    session: Session,
    settings: ReminderSettings,
    team: Team,
    case_ref: str,
    at: datetime,
    referrer: Person,
    before_id: int | None = None,
) -> TrackedItem | None:
    """Return the latest open referral about the case to the team in the last 10 working days, from the
    referrer or their team (before item `before_id`, if given): a second one is questioned when logged,
    and chased as one with it."""
    calendar = calendars.calendar_for_team(team=team, settings=settings)
    since_on, counted = calendar.local(at).date(), 0
    while counted < REPEAT_WINDOW_WORKING_DAYS:  # step back ten working days
        since_on -= timedelta(days=1)
        counted += calendar.is_working_day(since_on)
    since_at = datetime.combine(since_on, calendar.local(at).time(), tzinfo=calendar.tz)
    query = (
        select(TrackedItem)
        .where(func.upper(col(TrackedItem.case_ref)) == case_ref.upper())
        .where(col(TrackedItem.to_team_id) == team.id)
        .where(col(TrackedItem.kind) == "referral")
        .where(col(TrackedItem.status) == "open")
        .where(col(TrackedItem.sent_at) >= since_at)
        .where(col(TrackedItem.sent_at) <= at)
    )
    if referrer.team_id is not None:
        query = query.where(
            (col(TrackedItem.from_team_id) == referrer.team_id)
            | (col(TrackedItem.from_person_id) == referrer.id)
        )
    else:
        query = query.where(col(TrackedItem.from_person_id) == referrer.id)
    if before_id is not None:
        query = query.where(col(TrackedItem.id) < before_id)
    return session.exec(query.order_by(col(TrackedItem.sent_at).desc(), col(TrackedItem.id).desc())).first()
