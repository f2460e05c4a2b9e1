"""Tracked referrals and callbacks: two working-day clocks (acknowledgement, feedback), pause, outcomes, attempts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from schedules.insight.durations import record_durations
from schedules.settings import ReminderSettings
from schedules.time import calendars
from schedules.time.calendar import WorkingCalendar
from schedules.time.clock import Clock
from schedules.tracking import chasing
from storage import audit
from storage.errors import InvalidInput, NotAllowed, NotFound, WrongState
from storage.models import ContactAttempt, ContactRoute, Person, RoleGrant, Team, TrackedItem
from storage.privacy import refuse_personal_data
from storage.references import parse_case_ref, parse_item_ref

OUTCOMES = (
    "accepted_for_assessment",
    "early_help",
    "signposted",
    "no_further_action",
    "information_only",
    "withdrawn",
)
METHODS = ("phone", "email", "secure_email", "portal", "chat", "in_person")
_ROUTE_KINDS = {"email": ("email", "secure_email"), "secure_email": ("secure_email", "email")}


def get_item(*, session: Session, ref: str, for_update: bool = False) -> TrackedItem:
    """Return the tracked item with this reference.

    Raises:
        NotFound: no such item.
    """
    canonical = parse_item_ref(ref)
    item = None
    if canonical is not None:
        query = select(TrackedItem).where(col(TrackedItem.ref) == canonical)
        item = session.exec(query.with_for_update() if for_update else query).first()
    if item is None:
        raise NotFound(
            "item", ref, hint="Item references look like TI-0042. Type mine to see your open items."
        )
    return item


def check_case_ref(case_ref: str) -> str:
    """Return the case reference in upper case (a `CaseRef` a handler already checked is taken as it is).

    Raises:
        InvalidInput: it doesn't look like a case reference, or looks like a name.
        PersonalDataRefused: it looks like personal data (an NHS number, a postcode, ...).
    """
    return str(parse_case_ref(case_ref, example="refer front door case NB-204518"))


def check_free_text(text: str, *, session: Session, field: str, limit: int) -> str:
    """Return a short note a user typed, refusing personal data (directory contacts and users' names pass).

    Raises:
        InvalidInput: it is too long.
        PersonalDataRefused: it holds something like an NHS number, a postcode or a child's name.
    """
    text = " ".join(text.split())
    refuse_personal_data(session=session, text=text, field=field)
    if len(text) > limit:
        raise InvalidInput(
            field, f"Keep the {field} under {limit} characters. Case notes belong in your own system."
        )
    return text


def can_act(*, session: Session, person: Person, item: TrackedItem) -> bool:
    """Tell whether `person` may change `item`: the referrer, the receiving team, or either side's manager."""
    if person.id == item.from_person_id or person.team_id == item.to_team_id:
        return True
    team = session.get(Team, item.to_team_id)
    if team is not None and team.contact_person_handle == person.handle:
        return True
    referrer = session.get(Person, item.from_person_id)
    if referrer is not None and referrer.manager_id == person.id:
        return True
    teams = [t for t in (item.to_team_id, item.from_team_id) if t is not None]
    grant = session.exec(
        select(RoleGrant).where(
            col(RoleGrant.person_id) == person.id,
            col(RoleGrant.role) == "manager",
            col(RoleGrant.team_id).in_(teams),
        )
    ).first()
    return grant is not None


def load_for_change(*, session: Session, ref: str, person: Person, wanted: str) -> tuple[TrackedItem, Team]:
    """Return an item (locked for update) and its receiving team, if `person` may change it.

    Raises:
        NotFound, NotAllowed: no such item, or not theirs to change.
    """
    item = get_item(session=session, ref=ref, for_update=True)
    if not can_act(session=session, person=person, item=item):
        raise NotAllowed(f"{wanted} {item.ref}", reason="Only the referrer and the receiving team can.")
    team = session.get(Team, item.to_team_id)
    assert team is not None
    return item, team


def choose_route(*, session: Session, team: Team, method: str) -> ContactRoute | None:
    """Return the team's route for `method` (phone, email, portal...), else its preferred route."""
    routes = list(
        session.exec(
            select(ContactRoute)
            .where(col(ContactRoute.team_id) == team.id)
            .order_by(col(ContactRoute.priority))
        )
    )
    kinds = _ROUTE_KINDS.get(method, (method,))
    matching = [r for r in routes if r.kind in kinds]
    found = matching or routes
    return found[0] if found else None


def clock_due(calendar: WorkingCalendar, start: datetime, amount: int, unit: str) -> datetime:
    """Return when a clock of `amount` working hours or days, started at `start`, runs out."""
    if unit == "working_hours":
        return calendar.add_working_hours(start, amount)
    if amount == 0:
        return calendar.end_of_day(calendar.local(calendar.next_working_time(start)).date())
    return calendar.add_working_days(start, amount)


def due_dates(
    *, settings: ReminderSettings, team: Team, route: ContactRoute | None, sent_at: datetime
) -> tuple[datetime, datetime]:
    """Return (acknowledgement due, feedback due) for something sent to `team` by `route` at `sent_at`."""
    calendar = calendars.calendar_for_team(team=team, settings=settings)
    if route is not None and route.ack_expected is not None:
        ack = clock_due(calendar, sent_at, route.ack_expected, route.ack_unit)
    else:
        ack = clock_due(calendar, sent_at, settings.ack_working_days, "working_days")
    if route is not None and route.response_expected is not None:
        feedback = clock_due(calendar, sent_at, route.response_expected, route.response_unit)
    else:
        feedback = clock_due(calendar, sent_at, settings.feedback_working_days, "working_days")
    return ack, feedback


def refer(
    *,
    session: Session,
    clock: Clock,
    settings: ReminderSettings,
    person: Person,
    team: Team,
    case_ref: str,
    method: str = "phone",
    about: str = "",
    kind: str = "referral",
) -> TrackedItem:
    """Log that `person` referred a case to `team`, start both clocks and schedule the chases.

    Raises:
        InvalidInput: the case reference, method or note can't be used.
        PersonalDataRefused: the case reference or note holds personal data.
    """
    assert person.id is not None and team.id is not None
    case_ref = check_case_ref(case_ref)
    if method not in METHODS:
        raise InvalidInput("method", f"I don't know the method {method!r}. Use phone, email or portal.")
    route = choose_route(session=session, team=team, method=method)
    about = check_free_text(about, session=session, field="note", limit=500)
    now = clock.now()
    ack_due_at, feedback_due_at = due_dates(settings=settings, team=team, route=route, sent_at=now)
    # A unique placeholder first, then the reference from the row id: safe with many writers at once.
    item = TrackedItem(
        ref=f"new-{uuid.uuid4().hex[:16]}",
        kind=kind,
        case_ref=case_ref,
        from_person_id=person.id,
        from_team_id=person.team_id,
        to_team_id=team.id,
        route_id=route.id if route else None,
        method=method,
        about=about,
        nation=team.nation,
        sent_at=now,
        ack_due_at=ack_due_at,
        feedback_due_at=feedback_due_at,
        created_at=now,
    )
    session.add(item)
    session.flush()
    assert item.id is not None
    item.ref = f"TI-{item.id:04d}"
    session.add(
        ContactAttempt(
            item_id=item.id,
            case_ref=case_ref,
            team_id=team.id,
            person_id=person.id,
            at=now,
            method=method,
            result="sent",
        )
    )
    session.flush()
    audit.record(
        session=session,
        at=now,
        actor=person.handle,
        action="item.referred",
        subject=f"item:{item.ref}",
        data={
            "case_ref": case_ref,
            "team": team.key,
            "method": method,
            "ack_due_at": ack_due_at,
            "feedback_due_at": feedback_due_at,
        },
    )
    chasing.plan(session=session, clock=clock, settings=settings, item=item, team=team)
    return item


def require_open(item: TrackedItem, wanted: str) -> None:
    """Refuse to change a closed item.

    Raises:
        WrongState: the item is closed.
    """
    if item.status == "closed":
        raise WrongState("item", item.ref, "closed", wanted)


def acknowledge(
    *, session: Session, clock: Clock, settings: ReminderSettings, ref: str, person: Person
) -> TrackedItem:
    """Record that the receiving team acknowledged the item; stop its acknowledgement chases.

    Raises:
        NotFound, NotAllowed, WrongState: no such item, not yours, or already acknowledged or closed.
    """
    item, team = load_for_change(session=session, ref=ref, person=person, wanted="acknowledge")
    require_open(item, "acknowledge it")
    if item.acknowledged_at is not None:
        raise WrongState("item", item.ref, "already acknowledged", "acknowledge it again")
    now = clock.now()
    item.acknowledged_at = now
    record_durations(item=item, calendar=calendars.calendar_for_team(team=team, settings=settings))
    assert item.id is not None
    cancelled = chasing.cancel(session=session, item_id=item.id, kinds=chasing.ACK_KINDS)
    audit.record(
        session=session,
        at=now,
        actor=person.handle,
        action="item.acknowledged",
        subject=f"item:{item.ref}",
        data={"case_ref": item.case_ref, "reminders_cancelled": cancelled},
    )
    return item


def record_feedback(
    *,
    session: Session,
    clock: Clock,
    settings: ReminderSettings,
    ref: str,
    person: Person,
    outcome: str,
    reason: str = "",
) -> TrackedItem:
    """Record the outcome; this closes the item and cancels every pending reminder about it.

    Raises:
        InvalidInput: unknown outcome, or no further action without a reason.
        NotFound, NotAllowed, WrongState: no such item, not yours, or already closed.
        PersonalDataRefused: the reason holds personal data.
    """
    item, team = load_for_change(session=session, ref=ref, person=person, wanted="add feedback to")
    require_open(item, "add feedback")
    if outcome not in OUTCOMES:
        raise InvalidInput(
            "outcome",
            "Choose an outcome: accepted, early help, signposted, no further action, information only or withdrawn.",
        )
    reason = check_free_text(reason, session=session, field="reason", limit=500)
    if outcome == "no_further_action" and not reason:
        raise InvalidInput(
            "reason",
            "Say why there was no further action, so the referrer knows what to do next.",
            example=f"feedback {item.ref} nfa below threshold, family offered early help",
        )
    now = clock.now()
    calendar = calendars.calendar_for_team(team=team, settings=settings)
    if item.acknowledged_at is None:
        item.acknowledged_at = now
    item.feedback_at, item.outcome, item.outcome_reason = now, outcome, reason
    record_durations(item=item, calendar=calendar)  # before the pause (if any) ends with the item
    item.status, item.closed_at = "closed", now
    assert item.id is not None
    cancelled = chasing.cancel(session=session, item_id=item.id)
    audit.record(
        session=session,
        at=now,
        actor=person.handle,
        action="item.feedback",
        subject=f"item:{item.ref}",
        data={
            "case_ref": item.case_ref,
            "outcome": outcome,
            "has_reason": bool(reason),
            "reminders_cancelled": cancelled,
        },
    )
    return item
