"""Which teams' insight figures a person may see, and which directory entries they may edit.

Built on handlers/auth (roles and grants): the partnership and auditors see every team; a manager sees the
teams they manage and every team those teams refer to (the receiving side of their own referrals); a
directory admin edits every agency's entries, or only the agencies their grants name. Refusals go through
auth.require, so each one is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from handlers.access import auth
from handlers.access.roles import access_of
from schedules.time.clock import Clock
from storage.models import Person, Team, TrackedItem


@dataclass(frozen=True, slots=True)
class Scope:
    """The teams a person may see or edit; `team_ids` None means every team."""

    role: str
    team_ids: frozenset[int] | None

    def allows(self, team_id: int) -> bool:
        """Tell whether the scope includes `team_id`."""
        return self.team_ids is None or team_id in self.team_ids


def insight_scope(*, session: Session, person: Person, clock: Clock) -> Scope:
    """Return the teams whose figures `person` may see.

    Raises:
        NotAllowed: the person manages no team and is not in the partnership (audited).
    """
    access = access_of(session, person)
    if access.is_partnership or access.is_auditor:
        return Scope("partnership" if access.is_partnership else "auditor", None)
    if not access.managed_team_ids:
        auth.require(session, person, auth.VIEW_PARTNERSHIP_INSIGHT, clock=clock)
    own = sorted(access.managed_team_ids)
    referred_to = session.exec(
        select(TrackedItem.to_team_id).where(col(TrackedItem.from_team_id).in_(own)).distinct()
    ).all()
    return Scope("manager", frozenset(own) | frozenset(referred_to))


def require_team_insight(
    *, session: Session, person: Person, clock: Clock, scope: Scope, team_id: int
) -> None:
    """Go on only if `team_id` is in the person's insight scope.

    Raises:
        NotAllowed: it isn't (audited).
    """
    if not scope.allows(team_id):
        auth.require(session, person, auth.VIEW_INSIGHT, clock=clock, team_id=team_id)


def directory_scope(*, session: Session, person: Person, clock: Clock) -> Scope:
    """Return the teams whose directory entries `person` may edit.

    Raises:
        NotAllowed: the person is not a directory admin (audited).
    """
    access = access_of(session, person)
    if access.is_admin_everywhere:
        return Scope("directory_admin", None)
    if not access.admin_agency_ids:
        auth.require(session, person, auth.EDIT_DIRECTORY, clock=clock, team_id=person.team_id)
    teams = session.exec(
        select(Team.id).where(col(Team.agency_id).in_(sorted(access.admin_agency_ids)))
    ).all()
    return Scope("directory_admin", frozenset(t for t in teams if t is not None))
