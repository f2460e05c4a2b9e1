"""Resolve a person's roles and scopes (teams managed, agencies administered) from Person and RoleGrant."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from storage.models import Person, RoleGrant, Team

PRACTITIONER: Final = "practitioner"
MANAGER: Final = "manager"
DIRECTORY_ADMIN: Final = "directory_admin"
AUDITOR: Final = "auditor"
PARTNERSHIP: Final = "partnership"
ROLES: Final = (PRACTITIONER, MANAGER, DIRECTORY_ADMIN, AUDITOR, PARTNERSHIP)


@dataclass(frozen=True, slots=True)
class Access:
    """What one person can reach: their team, the teams they manage, their reports, their admin scope."""

    person_id: int
    handle: str
    team_id: int | None
    managed_team_ids: frozenset[int]
    report_ids: frozenset[int]  # people whose manager_id is this person
    team_member_ids: frozenset[int]  # everyone in the person's own and managed teams
    admin_agency_ids: frozenset[int]
    is_admin_everywhere: bool
    is_auditor: bool
    is_partnership: bool
    is_read_only: bool  # an auditor and nothing else: looks, never changes

    @property
    def seen_team_ids(self) -> frozenset[int]:
        """Return the teams whose items this person sees: their own and the ones they manage."""
        own = frozenset({self.team_id}) if self.team_id is not None else frozenset()
        return own | self.managed_team_ids

    @property
    def is_manager(self) -> bool:
        """Tell whether the person manages at least one team."""
        return bool(self.managed_team_ids)


def _managed(session: Session, person: Person, grants: Iterable[RoleGrant]) -> frozenset[int]:
    managed = {g.team_id for g in grants if g.role == MANAGER and g.team_id is not None}
    # A manager grant naming an agency (and no team) covers every team of that agency.
    agencies = sorted(
        {g.agency_id for g in grants if g.role == MANAGER and g.team_id is None and g.agency_id}
    )
    if agencies:
        managed.update(
            t for t in session.exec(select(Team.id).where(col(Team.agency_id).in_(agencies))) if t is not None
        )
    if person.role == MANAGER and person.team_id is not None:
        managed.add(person.team_id)
    return frozenset(managed)


def managed_teams(session: Session, people: Sequence[Person]) -> dict[int, frozenset[int]]:
    """Return the teams each person manages, by person id, in two queries (for jobs over many managers)."""
    ids = sorted(p.id for p in people if p.id is not None)
    grants: dict[int, list[RoleGrant]] = {person_id: [] for person_id in ids}
    for grant in session.exec(
        select(RoleGrant).where(col(RoleGrant.person_id).in_(ids), col(RoleGrant.role) == MANAGER)
    ):
        grants[grant.person_id].append(grant)
    agencies = sorted(
        {g.agency_id for gs in grants.values() for g in gs if g.team_id is None and g.agency_id}
    )
    by_agency: dict[int, set[int]] = {a: set() for a in agencies}
    if agencies:
        for team_id, agency_id in session.exec(
            select(Team.id, Team.agency_id).where(col(Team.agency_id).in_(agencies))
        ):
            if team_id is not None:
                by_agency[agency_id].add(team_id)
    found = {}
    for person in people:
        if person.id is None:
            continue
        mine = {g.team_id for g in grants[person.id] if g.team_id is not None}
        for grant in grants[person.id]:
            if grant.team_id is None and grant.agency_id:
                mine |= by_agency.get(grant.agency_id, set())
        if person.role == MANAGER and person.team_id is not None:
            mine.add(person.team_id)
        found[person.id] = frozenset(mine)
    return found


def access_of(session: Session, person: Person) -> Access:
    """Return the person's access, read fresh from the database (roles change without a restart)."""
    assert person.id is not None
    grants = session.exec(select(RoleGrant).where(col(RoleGrant.person_id) == person.id)).all()
    roles = {person.role, *(g.role for g in grants)}
    managed = set(_managed(session, person, grants))
    admin_grants = [g for g in grants if g.role == DIRECTORY_ADMIN]
    admin_agencies = {g.agency_id for g in admin_grants if g.agency_id is not None}
    # A directory admin with no agency named administers every agency (the partnership's own admin).
    everywhere = any(g.agency_id is None for g in admin_grants) or (
        person.role == DIRECTORY_ADMIN and not admin_grants
    )
    reports = set(session.exec(select(Person.id).where(col(Person.manager_id) == person.id)).all())
    teams = ({person.team_id} if person.team_id is not None else set()) | managed
    members = (
        set(session.exec(select(Person.id).where(col(Person.team_id).in_(sorted(teams)))).all())
        if teams
        else set()
    )
    return Access(
        person_id=person.id,
        handle=person.handle,
        team_id=person.team_id,
        managed_team_ids=frozenset(managed),
        report_ids=frozenset(r for r in reports if r is not None),
        team_member_ids=frozenset(m for m in members if m is not None),
        admin_agency_ids=frozenset(admin_agencies),
        is_admin_everywhere=everywhere,
        is_auditor=AUDITOR in roles,
        is_partnership=PARTNERSHIP in roles,
        is_read_only=roles <= {AUDITOR},
    )


def managers_of(*, session: Session, team_id: int) -> list[Person]:
    """Return the people who manage a team (by grant, or as a manager in it), in handle order."""
    granted = session.exec(
        select(RoleGrant.person_id).where(col(RoleGrant.role) == MANAGER, col(RoleGrant.team_id) == team_id)
    ).all()
    people = session.exec(
        select(Person)
        .where(
            or_(
                col(Person.id).in_(sorted(set(granted))),
                and_(col(Person.role) == MANAGER, col(Person.team_id) == team_id),
            )
        )
        .order_by(col(Person.handle))
    ).all()
    return list(people)
