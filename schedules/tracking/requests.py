"""Information requests: one team asks another for something about a case (a health report) by a date or
a meeting. Sent, received, overdue (past its due time with nothing back) and withdrawn; chased like a
referral's feedback; a request tied to a meeting warns both sides the working day before it."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlmodel import Session

from schedules.insight.durations import record_durations
from schedules.outbox import rows as outbox
from schedules.settings import ReminderSettings
from schedules.time import calendars
from schedules.time.calendar import WorkingCalendar
from schedules.time.clock import Clock
from schedules.tracking import chasing
from schedules.tracking.items import check_case_ref, check_free_text, load_for_change, require_open
from storage import audit
from storage.errors import InvalidInput, NotAllowed, WrongState
from storage.models import Person, Reminder, Team, TrackedItem

KIND = "information_request"
SENT = "information_sent"  # the outcome when what was asked for came back
WITHDRAWN = "withdrawn"
REQUEST_ASKED = "request_asked"  # to the receiving side, at once
MEETING_WARNING = "request_meeting_warning"  # to both sides, the working day before the meeting
REQUEST_UPDATE = "request_update"  # to the other side: received, sent, withdrawn
MAX_WHAT = 200


def working_days_before(calendar: WorkingCalendar, day: date, days: int) -> date:
    """Return the working day `days` working days before `day` (0: `day` itself, or the one before it)."""
    current = day
    while not calendar.is_working_day(current):
        current -= timedelta(days=1)
    while days > 0:
        current -= timedelta(days=1)
        if calendar.is_working_day(current):
            days -= 1
    return current


def state(item: TrackedItem, now: datetime) -> str:
    """Say where a request stands: sent, received, overdue, or what closed it (sent back, withdrawn)."""
    if item.status == "closed":
        return "withdrawn" if item.outcome == WITHDRAWN else "information sent"
    if item.feedback_due_at is not None and item.feedback_due_at < now:
        return "overdue"
    return "received" if item.acknowledged_at is not None else "sent"


def ask(
    *,
    session: Session,
    clock: Clock,
    settings: ReminderSettings,
    person: Person,
    team: Team,
    case_ref: str,
    what: str,
    due_at: datetime,
    meeting: str = "",
    meeting_at: datetime | None = None,
) -> TrackedItem:
    """Record that `person` asked `team` for `what` about a case, due by `due_at`; chase and warn as due.

    Raises:
        InvalidInput: no case reference or nothing asked for, or due (or the meeting) before it was asked.
        PersonalDataRefused: what was asked for holds personal data.
    """
    assert person.id is not None and team.id is not None
    case_ref = check_case_ref(case_ref)
    what = check_free_text(what, session=session, field="what you asked for", limit=MAX_WHAT)
    if not what:
        raise InvalidInput(
            "what",
            "Say what you asked for, like a health report.",
            example="ask GP practice case NB-204519 for a health report by 14/01/2027",
        )
    now = clock.now()
    if meeting_at is not None and meeting_at <= now:
        raise InvalidInput("by", "That meeting has already happened. Give the date of the next one.")
    if due_at <= now:
        raise InvalidInput(
            "by", "That would be due before you asked. Give a date after today for when it is needed."
        )
    item = TrackedItem(
        ref=f"new-{uuid.uuid4().hex[:16]}",
        kind=KIND,
        case_ref=case_ref,
        from_person_id=person.id,
        from_team_id=person.team_id,
        to_team_id=team.id,
        method="email",
        about=what,
        nation=team.nation,
        sent_at=now,
        meeting=meeting,
        meeting_at=meeting_at,
        ack_due_at=None,
        feedback_due_at=due_at,
        created_at=now,
    )
    session.add(item)
    session.flush()
    assert item.id is not None
    item.ref = f"TI-{item.id:04d}"
    session.flush()
    audit.record(
        session=session,
        at=now,
        actor=person.handle,
        action="item.information_requested",
        subject=f"item:{item.ref}",
        data={
            "case_ref": case_ref,
            "team": team.key,
            "due_at": due_at,
            "meeting": meeting,
            "meeting_at": meeting_at,
        },
    )
    plan(session=session, clock=clock, settings=settings, item=item, team=team)
    return item


def plan(
    *, session: Session, clock: Clock, settings: ReminderSettings, item: TrackedItem, team: Team
) -> list[Reminder]:
    """The ask to the receiving side now, the feedback chases (both sides, then escalating), and the warning
    to both sides the working day before a meeting it is tied to."""
    assert item.id is not None
    asker = session.get(Person, item.from_person_id)
    assert asker is not None
    receivers = [p for p in chasing.receiving_people(session=session, team=team) if p.id != asker.id]
    rev = chasing.revision(session, item.id)
    created: list[Reminder] = chasing.plan(
        session=session, clock=clock, settings=settings, item=item, team=team
    )
    if rev == 0:  # the ask goes once, when the request is made (not again when its clocks resume)
        for person in receivers:
            created += _add(
                session, clock, item, f"r{rev}:{REQUEST_ASKED}", person, REQUEST_ASKED, clock.now()
            )
    if item.meeting_at is not None:
        calendar = calendars.calendar_for_team(team=team, settings=settings)
        before = working_days_before(calendar, calendar.local(item.meeting_at).date() - timedelta(days=1), 0)
        at = max(calendar.start_of_day(before), clock.now())
        for person in (asker, *receivers):
            when = calendars.delivery_time(settings=settings, person=person, at=at)
            created += _add(session, clock, item, f"r{rev}:{MEETING_WARNING}", person, MEETING_WARNING, when)
    return created


def _add(
    session: Session,
    clock: Clock,
    item: TrackedItem,
    key: str,
    person: Person,
    kind: str,
    at: datetime,
    **payload: object,
) -> list[Reminder]:
    assert item.id is not None and person.id is not None
    reminder = outbox.schedule(
        session=session,
        clock=clock,
        dedupe_key=f"item:{item.id}:{key}:p{person.id}",
        recipient_person_id=person.id,
        kind=kind,
        due_at=at,
        subject_kind=chasing.SUBJECT,
        subject_id=item.id,
        payload={"item_ref": item.ref, **payload},
    )
    return [] if reminder is None else [reminder]


def _load(session: Session, ref: str, person: Person, wanted: str) -> tuple[TrackedItem, Team]:
    item, team = load_for_change(session=session, ref=ref, person=person, wanted=wanted)
    if item.kind != KIND:
        raise InvalidInput(
            "item", f"{item.ref} is a {item.kind.replace('_', ' ')}, not an information request."
        )
    require_open(item, wanted)
    return item, team


def _tell(session: Session, clock: Clock, item: TrackedItem, team: Team, actor: Person, event: str) -> None:
    assert actor.id is not None
    if actor.id == item.from_person_id:
        recipients = chasing.receiving_people(session=session, team=team)
    else:
        asker = session.get(Person, item.from_person_id)
        recipients = [asker] if asker is not None else []
    for person in recipients:
        if person.id is not None and person.id != actor.id:
            _add(
                session,
                clock,
                item,
                f"update:{event}",
                person,
                REQUEST_UPDATE,
                clock.now(),
                event=event,
                by_person_id=actor.id,
            )


def received(
    *, session: Session, clock: Clock, settings: ReminderSettings, ref: str, person: Person
) -> TrackedItem:
    """The receiving side has the request in hand.

    Raises:
        NotFound, NotAllowed, WrongState, InvalidInput: no such request, not theirs, already received or closed.
    """
    item, team = _load(session, ref, person, "mark received")
    if item.acknowledged_at is not None:
        raise WrongState("item", item.ref, "already received", "mark it received again")
    now = clock.now()
    item.acknowledged_at = now
    audit.record(
        session=session,
        at=now,
        actor=person.handle,
        action="item.request_received",
        subject=f"item:{item.ref}",
        data={"case_ref": item.case_ref},
    )
    _tell(session, clock, item, team, person, "received")
    return item


def sent(
    *, session: Session, clock: Clock, settings: ReminderSettings, ref: str, person: Person
) -> TrackedItem:
    """What was asked for has been sent: the request closes and its reminders stop.

    Raises:
        NotFound, NotAllowed, WrongState, InvalidInput: no such request, not theirs, or already closed.
    """
    item, team = _load(session, ref, person, "mark sent")
    return _close(session, clock, settings, item, team, person, SENT)


def withdraw(
    *, session: Session, clock: Clock, settings: ReminderSettings, ref: str, person: Person
) -> TrackedItem:
    """The person who asked no longer needs it: the request closes as withdrawn.

    Raises:
        NotAllowed: only the person who asked can withdraw it.
        NotFound, WrongState, InvalidInput: no such request, or already closed.
    """
    item, team = _load(session, ref, person, "withdraw")
    if person.id != item.from_person_id:
        raise NotAllowed(f"withdraw {item.ref}", reason="Only the person who asked can withdraw it.")
    return _close(session, clock, settings, item, team, person, WITHDRAWN)


def _close(
    session: Session,
    clock: Clock,
    settings: ReminderSettings,
    item: TrackedItem,
    team: Team,
    person: Person,
    outcome: str,
) -> TrackedItem:
    now = clock.now()
    if item.acknowledged_at is None:
        item.acknowledged_at = now
    item.feedback_at, item.outcome = now, outcome
    record_durations(item=item, calendar=calendars.calendar_for_team(team=team, settings=settings))
    item.status, item.closed_at = "closed", now
    assert item.id is not None
    cancelled = chasing.cancel(session=session, item_id=item.id)
    audit.record(
        session=session,
        at=now,
        actor=person.handle,
        action="item.request_" + ("withdrawn" if outcome == WITHDRAWN else "sent"),
        subject=f"item:{item.ref}",
        data={
            "case_ref": item.case_ref,
            "late": now > (item.feedback_due_at or now),
            "reminders_cancelled": cancelled,
        },
    )
    _tell(session, clock, item, team, person, "withdrawn" if outcome == WITHDRAWN else "sent")
    return item
