"""Who may see which teams' insight figures, and who may edit which directory entries.

A minimal role check until handlers/auth.py (roles issue) lands; then these functions should delegate to it.
- partnership or auditor (Person.role or a RoleGrant): every team.
- manager: their own team(s) (Person.team_id, RoleGrant by team or by agency) and every team they refer to.
- directory_admin: every team, or only an agency's / a team's when the grant names one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from storage.errors import NotAllowed
from storage.models import Person, RoleGrant, Team, TrackedItem


@dataclass(frozen=True, slots=True)
class Scope:
    """The teams a person may see or edit; `team_ids` None means every team."""

    role: str
    team_ids: frozenset[int] | None

    def allows(self, team_id: int) -> bool:
        """Tell whether the scope includes `team_id`."""
        return self.team_ids is None or team_id in self.team_ids


def _grants(session: Session, person: Person, role: str) -> list[RoleGrant]:
    return list(
        session.exec(
            select(RoleGrant).where(col(RoleGrant.person_id) == person.id, col(RoleGrant.role) == role)
        ).all()
    )


def _granted_teams(session: Session, grants: list[RoleGrant]) -> set[int] | None:
    """Teams named by grants; None when a grant names no team and no agency (everything)."""
    teams: set[int] = set()
    for grant in grants:
        if grant.team_id is not None:
            teams.add(grant.team_id)
        elif grant.agency_id is not None:
            teams |= {
                team_id
                for team_id in session.exec(select(Team.id).where(col(Team.agency_id) == grant.agency_id))
                if team_id is not None
            }
        else:
            return None
    return teams


def insight_scope(*, session: Session, person: Person) -> Scope:
    """Return the teams whose figures `person` may see.

    Raises:
        NotAllowed: the person is neither a manager nor in the partnership role.
    """
    for role in ("partnership", "auditor"):
        if person.role == role or _grants(session, person, role):
            return Scope(role, None)
    grants = _grants(session, person, "manager")
    if person.role != "manager" and not grants:
        raise NotAllowed(
            "see response-time figures",
            reason="Managers see their teams' figures and the partnership sees every team's.",
        )
    own = _granted_teams(session, grants) if grants else set()
    if own is None:
        return Scope("manager", None)
    if person.role == "manager" and person.team_id is not None:
        own.add(person.team_id)
    referred_to = session.exec(
        select(TrackedItem.to_team_id).where(col(TrackedItem.from_team_id).in_(sorted(own))).distinct()
    ).all()
    return Scope("manager", frozenset(own | set(referred_to)))


def directory_scope(*, session: Session, person: Person) -> Scope:
    """Return the teams whose directory entries `person` may edit.

    Raises:
        NotAllowed: the person is not a directory admin.
    """
    grants = _grants(session, person, "directory_admin")
    if grants:
        teams = _granted_teams(session, grants)
        return Scope("directory_admin", None if teams is None else frozenset(teams))
    if person.role == "directory_admin":
        return Scope("directory_admin", None)
    raise NotAllowed(
        "edit the directory",
        reason="Directory admins keep the directory up to date; ask yours to make the change.",
    )
