"""Escalation lookups, checks and the step record: every change is an `EscalationStep` plus an audit event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from schedules.escalation.policy import Policy, policy_of
from schedules.time.calendar import WorkingCalendar
from schedules.time.calendars import WorkingHours, calendar_for_person, calendar_for_team
from schedules.time.clock import Clock
from storage import audit
from storage.errors import InvalidInput, NotFound, WrongState
from storage.models import (
    Escalation,
    EscalationContact,
    EscalationStep,
    Person,
    PolicyVersion,
    Team,
    TrackedItem,
)
from storage.privacy import refuse_personal_data
from storage.references import parse_case_ref, parse_escalation_ref, parse_item_ref

OPEN_STATUSES = ("open", "partnership")
CLOSED_STATUSES = ("resolved", "withdrawn", "stopped")
CASE_REF_EXAMPLE = "escalate NB-204518"


def normalise_case_ref(text: str) -> str:
    """Return a case reference in upper case (a `CaseRef` a handler already checked is taken as it is).

    Raises:
        PersonalDataRefused: it looks like personal data (an NHS number, a postcode, ...).
        InvalidInput: it doesn't look like a case reference, or looks like a name.
    """
    return str(parse_case_ref(text, example=CASE_REF_EXAMPLE))


def get_item(*, session: Session, ref: str) -> TrackedItem:
    """Return a tracked item by reference (TI-0042, ti-42).

    Raises:
        NotFound: no such item.
    """
    wanted = parse_item_ref(ref) or ref.strip().upper()
    item = session.exec(select(TrackedItem).where(col(TrackedItem.ref) == wanted)).first()
    if item is None:
        raise NotFound("item", wanted, hint="Item references look like TI-0042. Type mine to see yours.")
    return item


def get(*, session: Session, ref: str) -> Escalation:
    """Return an escalation by reference (ES-0007, es-7).

    Raises:
        NotFound: no such escalation.
    """
    wanted = parse_escalation_ref(ref) or ref.strip().upper()
    escalation = session.exec(select(Escalation).where(col(Escalation.ref) == wanted)).first()
    if escalation is None:
        raise NotFound("escalation", wanted, hint="Type escalations to see the ones you're working on.")
    return escalation


def is_known_case(*, session: Session, case_ref: str) -> bool:
    """Tell whether joinup holds anything (a referral, callback, request or escalation) about this case."""
    wanted = case_ref.upper()
    for model in (TrackedItem, Escalation):
        found = session.exec(
            select(model.id).where(func.upper(col(model.case_ref)) == wanted).limit(1)
        ).first()
        if found is not None:
            return True
    return False


def latest_item_for(*, session: Session, case_ref: str, person_id: int) -> TrackedItem | None:
    """Return the person's most recent item about a case, or anyone's if they sent none."""
    base = select(TrackedItem).where(func.upper(col(TrackedItem.case_ref)) == case_ref.upper())
    own = session.exec(
        base.where(col(TrackedItem.from_person_id) == person_id).order_by(col(TrackedItem.sent_at).desc())
    ).first()
    return own or session.exec(base.order_by(col(TrackedItem.sent_at).desc())).first()


def find_open(*, session: Session, case_ref: str, person_id: int) -> Escalation | None:
    """Return the person's open escalation about a case, if any."""
    return session.exec(
        select(Escalation)
        .where(col(Escalation.case_ref) == case_ref.upper())
        .where(col(Escalation.raised_by_person_id) == person_id)
        .where(col(Escalation.status).in_(OPEN_STATUSES))
    ).first()


def level_calendar(*, session: Session, escalation: Escalation, settings: WorkingHours) -> WorkingCalendar:
    """Return the calendar an escalation's level deadlines count in: the challenged team's.

    The challenged team has to answer, so its nation's bank holidays, its opening hours and its closure days
    decide when a level's time runs out. With no team named, the raiser's calendar is the only one there is.
    """
    team = session.get(Team, escalation.other_team_id) if escalation.other_team_id is not None else None
    if team is not None:
        return calendar_for_team(team=team, settings=settings)
    return calendar_for_person(person=person(session, escalation.raised_by_person_id), settings=settings)


def policy_for(*, session: Session, escalation: Escalation) -> Policy:
    """Return the ladder the escalation is frozen on."""
    version = session.get(PolicyVersion, escalation.policy_version_id)
    assert version is not None
    return policy_of(version)


def escalation_contacts(
    *, session: Session, team_id: int | None, level: int | None
) -> list[EscalationContact]:
    """Return the directory's escalation contacts of a team at a level, or at every level (highest first)."""
    if team_id is None:
        return []
    query = select(EscalationContact).where(col(EscalationContact.team_id) == team_id)
    if level is None:
        query = query.order_by(col(EscalationContact.level).desc(), col(EscalationContact.id))
    else:
        query = query.where(col(EscalationContact.level) == level).order_by(col(EscalationContact.id))
    return list(session.exec(query))


def steps_of(*, session: Session, escalation_id: int) -> list[EscalationStep]:
    """Return an escalation's steps in the order they happened."""
    return list(
        session.exec(
            select(EscalationStep)
            .where(col(EscalationStep.escalation_id) == escalation_id)
            .order_by(col(EscalationStep.at), col(EscalationStep.id))
        )
    )


def person(session: Session, person_id: int) -> Person:
    """Return a person by id.

    Raises:
        NotFound: no such person.
    """
    found = session.get(Person, person_id)
    if found is None:
        raise NotFound("person", str(person_id))
    return found


def check_free_text(*, session: Session, field: str, text: str, max_length: int) -> str:
    """Return cleaned free text, refusing personal data and over-long notes.

    Raises:
        PersonalDataRefused: it holds an NHS number, date of birth, postcode, ...
        InvalidInput: it is empty or too long.
    """
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidInput(field, "Please write a short note; it can't be empty.")
    if len(cleaned) > max_length:
        raise InvalidInput(
            field, f"Please keep this under {max_length} characters: a short note, not case notes."
        )
    refuse_personal_data(session=session, text=cleaned, field=field)
    return cleaned


def open_escalation(session: Session, ref: str, wanted: str) -> Escalation:
    """Return an escalation that is still open (who may change it is handlers.access.auth's decision).

    Raises:
        NotFound: no such escalation.
        WrongState: it is closed.
    """
    escalation = get(session=session, ref=ref)
    if escalation.status not in OPEN_STATUSES:
        raise WrongState("escalation", escalation.ref, escalation.status, wanted)
    return escalation


def record_step(
    session: Session,
    clock: Clock,
    escalation: Escalation,
    *,
    action: str,
    actor: Person | None,
    contacted: str = "",
    outcome: str = "",
    rationale: str = "",
    at: datetime | None = None,
) -> EscalationStep:
    """Add a step at the escalation's current level and audit it (case reference only, no free text)."""
    assert escalation.id is not None
    step = EscalationStep(
        escalation_id=escalation.id,
        level=escalation.level,
        at=at or clock.now(),
        action=action,
        person_id=actor.id if actor else None,
        contacted=contacted,
        outcome=outcome,
        rationale=rationale,
    )
    session.add(step)
    audit.record(
        session=session,
        at=clock.now(),
        actor=actor.handle if actor else "system",
        action=f"escalation.{action}",
        subject=f"escalation:{escalation.ref}",
        data={"case_ref": escalation.case_ref, "level": escalation.level, "status": escalation.status},
    )
    session.flush()
    return step
