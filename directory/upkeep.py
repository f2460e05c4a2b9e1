"""Keeping the directory true: overdue reviews, recording a verification, and gaps in coverage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz
from sqlmodel import Session, col, select

from directory.concerns import active_taxonomy
from directory.index import bump_generation, normalise
from schedules.time.clock import Clock
from storage import audit
from storage.errors import InvalidInput
from storage.models import Agency, ContactRoute, Team

# The needs every area should have a route for, and the phrase a team's "handles" would use for each.
COMMON_NEEDS: dict[str, str] = {
    "child protection referral": "child protection referral",
    "adult mental health": "adult mental health",
    "early help": "early help",
    "out of hours": "out of hours",
    "allegations against staff": "allegation against staff",
}
_NEED_MATCH = 85
MAX_REVIEW_INTERVAL_DAYS = 3650


@dataclass(frozen=True, slots=True)
class StaleEntry:
    """A team whose entry is overdue for review."""

    team_key: str
    team_name: str
    agency_name: str
    owner_handle: str | None
    last_verified_at: datetime | None
    due_at: datetime | None  # None: never verified
    days_overdue: int | None


def review_due(team: Team) -> datetime | None:
    """When the team's entry is next due for review (None if it was never verified)."""
    if team.last_verified_at is None:
        return None
    return team.last_verified_at + timedelta(days=team.review_interval_days)


def stale_entries(*, session: Session, at: datetime) -> list[StaleEntry]:
    """List the teams overdue for review at `at`, never-verified first, then the most overdue."""
    rows = session.exec(
        select(Team, Agency).join(Agency, col(Agency.id) == col(Team.agency_id)).where(col(Team.source) == "")
    ).all()
    entries = []
    for team, agency in rows:
        due = review_due(team)
        if due is not None and due > at:
            continue
        entries.append(
            StaleEntry(
                team_key=team.key,
                team_name=team.name,
                agency_name=agency.name,
                owner_handle=team.owner_handle,
                last_verified_at=team.last_verified_at,
                due_at=due,
                days_overdue=None if due is None else (at - due).days,
            )
        )
    return sorted(entries, key=lambda e: (e.days_overdue is not None, -(e.days_overdue or 0), e.team_key))


def verify_team(
    *, session: Session, clock: Clock, team: Team, actor: str, review_interval_days: int | None = None
) -> Team:
    """Record that `actor` checked the team's entry is still right (and optionally change its interval).

    The caller checks the actor may review the entry.

    Raises:
        InvalidInput: the review interval is not between 1 and 3650 days.
    """
    if review_interval_days is not None and not 1 <= review_interval_days <= MAX_REVIEW_INTERVAL_DAYS:
        raise InvalidInput(
            "review interval",
            f"must be between 1 and {MAX_REVIEW_INTERVAL_DAYS} days",
            example="verify front-door every 90 days",
        )
    previous = team.last_verified_at
    team.last_verified_at = clock.now()
    if review_interval_days is not None:
        team.review_interval_days = review_interval_days
    session.add(team)
    audit.record(
        session=session,
        at=clock.now(),
        actor=actor,
        action="directory.verified",
        subject=f"team:{team.key}",
        data={
            "previous": previous.isoformat() if previous else None,
            "review_interval_days": team.review_interval_days,
        },
    )
    bump_generation()
    return team


@dataclass(frozen=True, slots=True)
class Gap:
    """A common need with no route in an area."""

    area: str
    need: str


def _handles_need(team: Team, phrase: str) -> bool:
    candidates = [normalise(team.name), *(normalise(p).strip() for p in team.handles.split(";") if p.strip())]
    return any(fuzz.token_set_ratio(phrase, c) >= _NEED_MATCH for c in candidates)


def coverage_gaps(*, session: Session, needs: dict[str, str] | None = None) -> list[Gap]:
    """List every (area, need) pair that no team with a contact route covers.

    A team with no areas covers every area; the areas are those any team names.
    """
    wanted = needs or COMMON_NEEDS
    with_routes = set(session.exec(select(ContactRoute.team_id).distinct()).all())
    own = session.exec(select(Team).where(col(Team.source) == "")).all()
    teams = [t for t in own if t.id in with_routes]
    areas = sorted({area for team in own for area in team.areas}) or ["everywhere"]
    gaps = []
    for need, phrase in wanted.items():
        serving = [t for t in teams if _handles_need(t, normalise(phrase))]
        for area in areas:
            if not any(not t.areas or area in t.areas for t in serving):
                gaps.append(Gap(area=area, need=need))
    return gaps


def untagged_teams(*, session: Session) -> list[Team]:
    """List the teams that say no concerns they handle (search finds them by their words only)."""
    teams = session.exec(select(Team).where(col(Team.source) == "").order_by(col(Team.name))).all()
    return [t for t in teams if not (t.concerns_primary or t.concerns_also)]


def unhandled_concerns(*, session: Session) -> list[Gap]:
    """List every (area, concern) pair that no team covering the area handles, first or also.

    Process words (meetings, plans) are left out: they are explained, not routed. A team with no areas
    covers every area.
    """
    taxonomy = active_taxonomy(session)
    teams = session.exec(select(Team).where(col(Team.source) == "")).all()
    areas = sorted({area for team in teams for area in team.areas}) or ["everywhere"]
    gaps = []
    for concern in taxonomy.concerns:
        if concern.kind == "process":
            continue
        serving = [t for t in teams if concern.id in (*t.concerns_primary, *t.concerns_also)]
        for area in areas:
            if not any(not t.areas or area in t.areas for t in serving):
                gaps.append(Gap(area=area, need=concern.id))
    return gaps
