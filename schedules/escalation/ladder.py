"""Escalation (resolution of professional disagreement): start, move up the ladder, resolve, withdraw, stop.

Every change is an `EscalationStep` plus an audit event (schedules/escalation/records.py); level timers are
reminder rows in the outbox (schedules/escalation/timers.py). Timescales count the challenged team's working
days (its nation's holidays, its hours; records.level_calendar). An escalation keeps the policy version it started on, whatever is loaded later.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from schedules.escalation.partnership import refer_to_partnership
from schedules.escalation.policy import default_version
from schedules.escalation.records import (
    check_free_text,
    find_open,
    get_item,
    is_known_case,
    latest_item_for,
    level_calendar,
    normalise_case_ref,
    open_escalation,
    person,
    policy_for,
    record_step,
)
from schedules.escalation.timers import cancel_timers, start_level
from schedules.insight.durations import record_resolution
from schedules.time.calendars import WorkingHours, calendar_for_person
from schedules.time.clock import Clock
from storage import audit
from storage.errors import NotFound, WrongState
from storage.models import Escalation, EscalationStep, Person, TrackedItem

IMMEDIATE_RISK = "immediate_risk"
RISK_REDIRECT = "case.risk_redirect"  # audit action: told to call 999 and the front door, not escalated


@dataclass(frozen=True, slots=True)
class Subject:
    """What an escalation is about, checked before anything is stored: the case, and the item or team."""

    case_ref: str
    item: TrackedItem | None
    other_team_id: int | None
    is_disagreement: bool = False
    is_new_case: bool = False  # joinup held nothing about the case: the escalation is the first record


@dataclass(frozen=True, slots=True)
class Moved:
    """The result of moving up a level: the escalation and, at the last level, the partnership referral."""

    escalation: Escalation
    partnership_item: TrackedItem | None = None


def check_can_escalate(*, item: TrackedItem | None, is_disagreement: bool) -> None:
    """Refuse to escalate a closed item, unless it is a disagreement about the decision that closed it.

    Raises:
        WrongState: the item is closed.
    """
    if item is None or item.status != "closed":
        return
    if is_disagreement and item.outcome:
        return
    raise WrongState(
        "item", item.ref, "closed", "escalate it. To challenge its outcome, type disagree " + item.ref
    )


def check_subject(
    *,
    session: Session,
    person_id: int,
    case_ref: str | None = None,
    item_ref: str | None = None,
    other_team_id: int | None = None,
    is_disagreement: bool = False,
) -> Subject:
    """Check that a person may escalate this case (or item) now, without storing anything.

    Who may escalate is handlers.access.auth's decision; this checks the case, the item and the ladder.

    Raises:
        InvalidInput, PersonalDataRefused: the case reference can't be used.
        NotFound: the case reference or item is unknown.
        WrongState: the item is closed, or the person already has this case open at some level.
    """
    person(session, person_id)  # raises NotFound for an unknown person
    item = get_item(session=session, ref=item_ref) if item_ref else None
    # A stored item's case reference was checked when it was logged; only a typed one is checked here.
    ref = item.case_ref.upper() if item else normalise_case_ref(case_ref or "")
    if item is not None and case_ref and normalise_case_ref(case_ref) != ref:
        raise WrongState("item", item.ref, f"about case {ref}, not {case_ref.upper()}", "escalate it here")
    is_new_case = not is_known_case(session=session, case_ref=ref)
    if is_new_case and other_team_id is None:
        # Perhaps a typo; perhaps a disagreement about work never logged here. Naming the team says which.
        raise NotFound(
            "case",
            ref,
            hint=f"Check the reference. If it's right and the referral wasn't logged here, name the team you "
            f"disagree with: escalate {ref} about front door.",
        )
    check_can_escalate(item=item, is_disagreement=is_disagreement)
    existing = find_open(session=session, case_ref=ref, person_id=person_id)
    if existing is not None:
        raise WrongState(
            "case", ref, f"already being escalated ({existing.ref}, level {existing.level})", "start another"
        )
    team_id = other_team_id if other_team_id is not None else (item.to_team_id if item else None)
    if team_id is None:
        # No item or team named: the disagreement is most likely with whoever they last referred to.
        latest = latest_item_for(session=session, case_ref=ref, person_id=person_id)
        if latest is not None and latest.from_person_id == person_id:
            team_id = latest.to_team_id
    return Subject(
        case_ref=ref,
        item=item,
        other_team_id=team_id,
        is_disagreement=is_disagreement,
        is_new_case=is_new_case,
    )


def _new_escalation(
    session: Session, clock: Clock, *, raiser: Person, subject: Subject, about: str, status: str
) -> Escalation:
    version = default_version(session=session)
    # A unique placeholder first, then the reference from the row id: safe with many writers at once.
    escalation = Escalation(
        ref=f"new-{uuid.uuid4().hex[:16]}",
        case_ref=subject.case_ref,
        item_id=subject.item.id if subject.item else None,
        raised_by_person_id=raiser.id or 0,
        other_team_id=subject.other_team_id,
        about=about,
        policy_version_id=version.id or 0,
        level=1,
        level_started_at=clock.now(),
        status=status,
        opened_at=clock.now(),
    )
    session.add(escalation)
    session.flush()
    escalation.ref = f"ES-{escalation.id:04d}"
    session.flush()
    return escalation


def _about(session: Session, about: str) -> str:
    return (
        check_free_text(session=session, field="about", text=about, max_length=500) if about.strip() else ""
    )


def start(
    *,
    session: Session,
    clock: Clock,
    settings: WorkingHours,
    person_id: int,
    subject: Subject,
    about: str = "",
) -> Escalation:
    """Open an escalation at level 1 of the default policy and start its timer.

    Raises:
        NotFound: no policy is loaded.
        InvalidInput, PersonalDataRefused: the note can't be used.
    """
    raiser = person(session, person_id)
    escalation = _new_escalation(
        session, clock, raiser=raiser, subject=subject, about=_about(session, about), status="open"
    )
    policy = policy_for(session=session, escalation=escalation)
    start_level(session, clock, escalation, policy, raiser, settings=settings)
    item = subject.item
    why = f"Disagreement about the decision on {item.ref}." if (subject.is_disagreement and item) else ""
    record_step(session, clock, escalation, action="started", actor=raiser, rationale=why)
    return escalation


def stop_immediate_risk(*, session: Session, clock: Clock, person_id: int, subject: Subject) -> None:
    """Record a risk redirect against the case: a child was said to be at immediate risk, so the person was
    sent to 999 and the front door (or EDT). It is not an escalation, so no escalation is opened or counted;
    the audit log holds it and the case's chronology shows it.
    """
    raiser = person(session, person_id)
    audit.record(
        session=session,
        at=clock.now(),
        actor=raiser.handle,
        action=RISK_REDIRECT,
        subject=f"case:{subject.case_ref}",
        data={"item": subject.item.ref if subject.item else None, "other_team_id": subject.other_team_id},
    )


def record_contacted(
    *, session: Session, clock: Clock, ref: str, person_id: int, contacted: str, note: str = ""
) -> EscalationStep:
    """Record who was contacted at the current level.

    Raises:
        NotFound, WrongState, InvalidInput, PersonalDataRefused.
    """
    actor = person(session, person_id)
    escalation = open_escalation(session, ref, "record a contact")
    contacted = check_free_text(session=session, field="contacted", text=contacted, max_length=300)
    note = check_free_text(session=session, field="note", text=note, max_length=1000) if note.strip() else ""
    return record_step(
        session, clock, escalation, action="contacted", actor=actor, contacted=contacted, rationale=note
    )


def _close(
    session: Session, clock: Clock, escalation: Escalation, status: str, *, settings: WorkingHours
) -> None:
    escalation.status, escalation.closed_at, escalation.level_due_at = status, clock.now(), None
    # Frozen on closing so partnership insight can aggregate it in SQL.
    record_resolution(
        escalation=escalation,
        calendar=level_calendar(session=session, escalation=escalation, settings=settings),
    )
    cancel_timers(session=session, escalation=escalation)


def resolve(
    *,
    session: Session,
    clock: Clock,
    settings: WorkingHours,
    ref: str,
    person_id: int,
    outcome: str,
    rationale: str,
) -> Escalation:
    """Close the escalation as resolved with its outcome and rationale, and cancel its timers.

    Raises:
        NotFound, WrongState, InvalidInput, PersonalDataRefused.
    """
    actor = person(session, person_id)
    escalation = open_escalation(session, ref, "resolve it")
    outcome = check_free_text(session=session, field="outcome", text=outcome, max_length=200)
    rationale = check_free_text(session=session, field="rationale", text=rationale, max_length=1000)
    escalation.outcome, escalation.rationale = outcome, rationale
    _close(session, clock, escalation, "resolved", settings=settings)
    record_step(
        session, clock, escalation, action="resolved", actor=actor, outcome=outcome, rationale=rationale
    )
    return escalation


def withdraw(
    *, session: Session, clock: Clock, settings: WorkingHours, ref: str, person_id: int, rationale: str
) -> Escalation:
    """Close the escalation as withdrawn, with the reason, and cancel its timers.

    Raises:
        NotFound, WrongState, InvalidInput, PersonalDataRefused.
    """
    actor = person(session, person_id)
    escalation = open_escalation(session, ref, "withdraw it")
    rationale = check_free_text(session=session, field="rationale", text=rationale, max_length=1000)
    escalation.outcome, escalation.rationale = "withdrawn", rationale
    _close(session, clock, escalation, "withdrawn", settings=settings)
    record_step(
        session, clock, escalation, action="withdrawn", actor=actor, outcome="withdrawn", rationale=rationale
    )
    return escalation


def not_resolved(
    *,
    session: Session,
    clock: Clock,
    settings: WorkingHours,
    ref: str,
    person_id: int,
    tried: str,
    why_failed: str,
    ack_working_days: int = 1,
) -> Moved:
    """Record what was tried and why it failed, then move up a level (the last one goes to the partnership).

    Raises:
        NotFound, InvalidInput, PersonalDataRefused.
        WrongState: it is already at the last level, or closed.
    """
    actor = person(session, person_id)
    escalation = open_escalation(session, ref, "move it up a level")
    policy = policy_for(session=session, escalation=escalation)
    if escalation.level >= policy.last_level:
        raise WrongState(
            "escalation",
            escalation.ref,
            f"at the last level ({policy.level(escalation.level).name})",
            "move it up a level. When the decision comes, press Resolved and record it",
        )
    tried = check_free_text(session=session, field="tried", text=tried, max_length=300)
    why_failed = check_free_text(session=session, field="why_failed", text=why_failed, max_length=1000)
    raiser = person(session, escalation.raised_by_person_id)
    record_step(
        session, clock, escalation, action="not_resolved", actor=actor, contacted=tried, rationale=why_failed
    )
    cancel_timers(session=session, escalation=escalation)
    escalation.level += 1
    start_level(session, clock, escalation, policy, raiser, settings=settings)
    item = None
    if escalation.level == policy.last_level and policy.level(escalation.level).partnership:
        escalation.status = "partnership"
        item = refer_to_partnership(
            session=session,
            clock=clock,
            escalation=escalation,
            raiser=raiser,
            calendar=calendar_for_person(person=raiser, settings=settings),
            ack_working_days=ack_working_days,
        )
    record_step(
        session,
        clock,
        escalation,
        action="level_started",
        actor=actor,
        contacted=item.ref if item else "",
    )
    return Moved(escalation=escalation, partnership_item=item)
