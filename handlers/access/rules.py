"""The rules behind handlers/access/auth.py: who may see or change one item, escalation or case."""

from __future__ import annotations

from typing import Literal

from sqlmodel import Session, col, select

from handlers.access.roles import Access
from storage.models import ContactAttempt, Escalation, Person, SharingDecision, Team, TrackedItem

EscalationSide = Literal["raiser", "challenged", "partnership"]


def may_see_item(access: Access, item: TrackedItem) -> bool:
    """Tell whether the person sees an item: theirs, their reports', their teams', or they audit."""
    if (
        access.is_auditor
        or item.from_person_id == access.person_id
        or item.from_person_id in access.report_ids
    ):
        return True
    return bool({item.from_team_id, item.to_team_id} & access.seen_team_ids)


def may_change_item(session: Session, access: Access, item: TrackedItem) -> bool:
    """Tell whether the person may act on an item: the referrer (or their manager) or the receiving side."""
    if item.from_person_id == access.person_id or item.from_person_id in access.report_ids:
        return True
    if access.team_id is not None and access.team_id == item.to_team_id:
        return True  # the receiving team acknowledges and gives feedback
    if {item.from_team_id, item.to_team_id} & access.managed_team_ids:
        return True
    team = session.get(Team, item.to_team_id)
    return team is not None and team.contact_person_handle == access.handle


def may_see_escalation(session: Session, access: Access, escalation: Escalation) -> bool:
    """Tell whether the person sees an escalation: both sides, their teams, the partnership, auditors."""
    if access.is_auditor or escalation_sides(session, access, escalation):
        return True
    if escalation.raised_by_person_id in access.team_member_ids:
        return True
    return escalation.other_team_id is not None and escalation.other_team_id in access.seen_team_ids


def escalation_sides(session: Session, access: Access, escalation: Escalation) -> frozenset[EscalationSide]:
    """Return the sides the person takes in an escalation: who may decide it, and who answers it.

    This is the one rule for who may do what in a professional disagreement (seed 001: the challenged side
    must never close it against the raiser):
    - "raiser": the person who raised it (or the colleague it was handed to) and their manager, at any
      level. They decide whether a level is resolved, move it up, withdraw it or hand it over.
    - "challenged": the team the disagreement is with (its members, managers and named contact). They
      record a response (decision maintained, changed, more information needed); they never close it.
    - "partnership": the safeguarding partnership, once the escalation is with it. Its decision is final.
    """
    sides: set[EscalationSide] = set()
    raiser_id = escalation.raised_by_person_id
    if raiser_id == access.person_id or raiser_id in access.report_ids:
        sides.add("raiser")
    else:
        raiser = session.get(Person, raiser_id)
        if raiser is not None and raiser.team_id is not None and raiser.team_id in access.managed_team_ids:
            sides.add("raiser")
    other = escalation.other_team_id
    if other is not None and "raiser" not in sides:
        if other == access.team_id or other in access.managed_team_ids:
            sides.add("challenged")
        else:
            team = session.get(Team, other)
            if team is not None and team.contact_person_handle == access.handle:
                sides.add("challenged")
    if access.is_partnership and escalation.status == "partnership":
        sides.add("partnership")
    return frozenset(sides)


def may_decide_escalation(session: Session, access: Access, escalation: Escalation) -> bool:
    """Tell whether the person decides an escalation's level: the raiser's side, or the partnership at its level."""
    return bool({"raiser", "partnership"} & escalation_sides(session, access, escalation))


def may_respond_to_escalation(session: Session, access: Access, escalation: Escalation) -> bool:
    """Tell whether the person records the challenged side's response to an escalation."""
    return "challenged" in escalation_sides(session, access, escalation)


def is_party_to_case(session: Session, access: Access, case_ref: str) -> bool:
    """Tell whether the person sees anything joinup holds about a case reference."""
    ref = case_ref.strip().upper()
    items = session.exec(select(TrackedItem).where(col(TrackedItem.case_ref) == ref)).all()
    if any(may_see_item(access, item) for item in items):
        return True
    escalations = session.exec(select(Escalation).where(col(Escalation.case_ref) == ref)).all()
    if any(may_see_escalation(session, access, e) for e in escalations):
        return True
    people = {access.person_id, *access.report_ids}
    for model in (ContactAttempt, SharingDecision):
        found = session.exec(
            select(model.id).where(col(model.case_ref) == ref, col(model.person_id).in_(sorted(people)))
        ).first()
        if found is not None:
            return True
    return False


def agency_of(session: Session, team_id: int | None, agency_id: int | None) -> int | None:
    """Return the agency named, or the agency of the team named."""
    if agency_id is not None or team_id is None:
        return agency_id
    team = session.get(Team, team_id)
    return team.agency_id if team is not None else None
