"""The top of the ladder: hand the disagreement to the safeguarding partnership as a tracked referral."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from schedules.escalation.records import escalation_contacts
from schedules.time.calendar import WorkingCalendar
from schedules.time.clock import Clock
from storage import audit
from storage.errors import NotFound
from storage.models import Agency, Escalation, EscalationContact, Person, RoleGrant, Team, TrackedItem

PARTNERSHIP_ITEM_KIND = "partnership_referral"


@dataclass(frozen=True, slots=True)
class PartnershipContact:
    """Someone at the partnership: a role from the directory, or a person with the partnership role."""

    role_title: str
    route: str = ""  # phone number or e-mail from the directory
    name: str = ""  # a professional's name, for people who use joinup


def partnership_team(*, session: Session) -> Team:
    """Return the safeguarding partnership team from the directory (its business manager's team).

    Raises:
        NotFound: the directory has no partnership team.
    """
    candidates = session.exec(
        select(Team)
        .join(Agency, col(Agency.id) == col(Team.agency_id))
        .where(
            or_(
                func.lower(col(Agency.kind)).contains("partnership"),
                func.lower(col(Team.key)).contains("partnership"),
                func.lower(col(Team.name)).contains("safeguarding children partnership"),
            )
        )
        .order_by(col(Team.id))
    ).all()
    if not candidates:
        raise NotFound(
            "team",
            "the safeguarding partnership",
            hint="Ask a directory admin to add the partnership's business manager to the directory.",
        )
    # Prefer the team the directory names as an escalation contact: that's the business manager.
    with_contacts = {
        team_id
        for team_id in session.exec(
            select(EscalationContact.team_id).where(
                col(EscalationContact.team_id).in_([t.id for t in candidates])
            )
        )
    }
    return next((t for t in candidates if t.id in with_contacts), candidates[0])


def partnership_contacts(*, session: Session, team_id: int) -> list[PartnershipContact]:
    """Return who to tell at the partnership: the directory's contacts, then people with the partnership role."""
    found = [
        PartnershipContact(role_title=c.role_title, route=c.route_value)
        for c in escalation_contacts(session=session, team_id=team_id, level=None)
    ]
    people = session.exec(
        select(Person)
        .join(RoleGrant, col(RoleGrant.person_id) == col(Person.id))
        .where(col(RoleGrant.role) == "partnership")
        .order_by(col(Person.id))
    ).all()
    found += [
        PartnershipContact(role_title=p.job_title or "Partnership lead", name=p.display_name) for p in people
    ]
    return found


def refer_to_partnership(
    *,
    session: Session,
    clock: Clock,
    escalation: Escalation,
    raiser: Person,
    calendar: WorkingCalendar,
    ack_working_days: int,
) -> TrackedItem:
    """Create the partnership referral item for an escalation that reached the last level.

    Raises:
        NotFound: the directory has no partnership team.
    """
    team = partnership_team(session=session)
    assert team.id is not None
    item = TrackedItem(
        ref=f"new-{uuid.uuid4().hex[:16]}",  # then TI-nnnn from the row id, safe with many writers
        kind=PARTNERSHIP_ITEM_KIND,
        case_ref=escalation.case_ref,
        from_person_id=raiser.id or 0,
        from_team_id=raiser.team_id,
        to_team_id=team.id,
        method="joinup",
        about=f"Escalation {escalation.ref} reached the partnership level",
        nation=raiser.nation,
        sent_at=clock.now(),
        ack_due_at=calendar.add_working_days(clock.now(), ack_working_days),
        feedback_due_at=escalation.level_due_at,
        created_at=clock.now(),
    )
    session.add(item)
    session.flush()
    item.ref = f"TI-{item.id:04d}"
    session.flush()
    audit.record(
        session=session,
        at=clock.now(),
        actor=raiser.handle,
        action="item.created",
        subject=f"item:{item.ref}",
        data={"kind": PARTNERSHIP_ITEM_KIND, "case_ref": item.case_ref, "escalation": escalation.ref},
    )
    return item
