"""A small Northbrook for role, digest, upkeep and retention tests: agencies, teams, people with roles, items.

Built directly on the models (not directory/demo.py), so these tests don't depend on the demo data changing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from storage.models import (
    Agency,
    ContactRoute,
    Escalation,
    Person,
    PolicyVersion,
    RoleGrant,
    Team,
    TrackedItem,
)


@dataclass
class World:
    """Ids of what `build_world` created, by key or handle."""

    teams: dict[str, Team] = field(default_factory=dict)
    agencies: dict[str, Agency] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    items: dict[str, TrackedItem] = field(default_factory=dict)
    escalations: dict[str, Escalation] = field(default_factory=dict)
    policy: PolicyVersion | None = None

    def team_id(self, key: str) -> int:
        team_id = self.teams[key].id
        assert team_id is not None
        return team_id

    def person_id(self, handle: str) -> int:
        person_id = self.people[handle].id
        assert person_id is not None
        return person_id


def add_item(
    session: Session,
    world: World,
    *,
    ref: str,
    case_ref: str,
    sender: str,
    to_team: str,
    sent_at: datetime,
    ack_due_at: datetime | None = None,
    feedback_due_at: datetime | None = None,
    acknowledged_at: datetime | None = None,
    feedback_at: datetime | None = None,
    status: str = "open",
    closed_at: datetime | None = None,
) -> TrackedItem:
    """Add a tracked item from a person (and their team) to a team."""
    person = world.people[sender]
    item = TrackedItem(
        ref=ref,
        case_ref=case_ref,
        from_person_id=world.person_id(sender),
        from_team_id=person.team_id,
        to_team_id=world.team_id(to_team),
        sent_at=sent_at,
        ack_due_at=ack_due_at,
        feedback_due_at=feedback_due_at,
        acknowledged_at=acknowledged_at,
        feedback_at=feedback_at,
        status=status,
        closed_at=closed_at,
        about="referral",
        created_at=sent_at,
    )
    session.add(item)
    session.flush()
    world.items[ref] = item
    return item


def add_escalation(
    session: Session,
    world: World,
    *,
    ref: str,
    case_ref: str,
    raiser: str,
    other_team: str,
    level: int,
    level_started_at: datetime,
    status: str = "open",
    closed_at: datetime | None = None,
) -> Escalation:
    """Add an escalation raised by a person against a team."""
    assert world.policy is not None and world.policy.id is not None
    escalation = Escalation(
        ref=ref,
        case_ref=case_ref,
        raised_by_person_id=world.person_id(raiser),
        other_team_id=world.team_id(other_team),
        policy_version_id=world.policy.id,
        level=level,
        level_started_at=level_started_at,
        status=status,
        opened_at=level_started_at,
        closed_at=closed_at,
    )
    session.add(escalation)
    session.flush()
    world.escalations[ref] = escalation
    return escalation


def build_world(session: Session, *, now: datetime) -> World:
    """Create three agencies, four teams and the demo cast, with roles, and no items."""
    world = World()
    for key, name, kind in (
        ("nch", "Northbrook Community Health", "health"),
        ("csc", "Northbrook Council children's services", "children_social_care"),
        ("wmh", "Westvale Mental Health NHS Trust", "mental_health"),
        ("nscp", "Northbrook Safeguarding Children Partnership", "partnership"),
    ):
        agency = Agency(key=key, name=name, kind=kind)
        session.add(agency)
        session.flush()
        world.agencies[key] = agency
    for key, agency_key, name, owner, verified_days_ago in (
        ("health-visiting", "nch", "Health visiting", "mgr.kate", 30),
        ("front-door", "csc", "Children's front door and MASH", "mgr.tom", 200),
        ("cmht-north", "wmh", "Adult CMHT (north)", "cmht.cal", 120),
        ("partnership", "nscp", "Safeguarding partnership business manager", "partnership.chair", 10),
    ):
        team = Team(
            key=key,
            agency_id=world.agencies[agency_key].id or 0,
            name=name,
            owner_handle=owner,
            last_verified_at=now - timedelta(days=verified_days_ago),
            review_interval_days=90,
        )
        session.add(team)
        session.flush()
        world.teams[key] = team
    session.add(
        ContactRoute(key="fd-phone", team_id=world.team_id("front-door"), kind="phone", value="0161 496 0100")
    )
    cast = (
        ("mgr.kate", "health-visiting", "manager", None),
        ("mgr.tom", "front-door", "practitioner", None),
        ("mgr.ben", "cmht-north", "practitioner", None),
        ("hv.amy", "health-visiting", "practitioner", "mgr.kate"),
        ("hv.bea", "health-visiting", "practitioner", "mgr.kate"),
        ("fd.raj", "front-door", "practitioner", "mgr.tom"),
        ("cmht.cal", "cmht-north", "practitioner", "mgr.ben"),
        ("admin.nadia", None, "directory_admin", None),
        ("partnership.chair", "partnership", "partnership", None),
        ("audit.sam", None, "auditor", None),
    )
    for handle, team_key, role, manager in cast:
        person = Person(
            handle=handle,
            display_name=handle,
            role=role,
            team_id=world.team_id(team_key) if team_key else None,
            manager_id=world.person_id(manager) if manager else None,
            is_onboarded=True,
            created_at=now,
        )
        session.add(person)
        session.flush()
        world.people[handle] = person
    # Kate is a manager by her person role; Tom and Ben by grants (Ben also manages CMHT south's work).
    session.add(
        RoleGrant(person_id=world.person_id("mgr.tom"), role="manager", team_id=world.team_id("front-door"))
    )
    session.add(
        RoleGrant(person_id=world.person_id("mgr.ben"), role="manager", team_id=world.team_id("cmht-north"))
    )
    session.add(
        RoleGrant(
            person_id=world.person_id("admin.nadia"),
            role="directory_admin",
            agency_id=world.agencies["csc"].id,
        )
    )
    world.policy = PolicyVersion(key="test", version=1, name="Test ladder", sha256="0" * 64, loaded_at=now)
    session.add(world.policy)
    session.flush()
    return world
