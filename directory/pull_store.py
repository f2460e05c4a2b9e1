"""Store a pull's usable services for their source: update in place, add, retire what the source dropped.

A pull of the same source updates its services in place (never duplicates) and retires the ones the
source dropped, unless that would remove more than a fifth of them (then the pull is held for an admin).
A retired service is kept, because tracked items and their history may point to it, but hidden from
search and lists, and its name says it is no longer published by its source; it comes back if the
source publishes it again. Every pulled service carries the time of the last good pull, and every pull
and every retirement is audited.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from directory.cards import PROFESSIONAL, PUBLIC
from directory.index import bump_generation
from directory.pull import PulledService, SourceReport
from directory.store import stable_uuid
from schedules.time.clock import Clock
from storage import audit
from storage.errors import DomainError
from storage.models import Agency, ContactRoute, Team, TrackedItem

HOLD_REMOVALS_OVER = 0.20
OUT_OF_HOURS_CONCERN = "out-of-hours"


class PullHeld(DomainError):
    """The pull would remove too many of a source's services; an admin must confirm it."""

    def __init__(self, source: str, removing: int, held: int) -> None:
        super().__init__(
            f"The pull of {source} would remove {removing} of its {held} services (more than 20%); "
            f"nothing was changed. Check the feed, then pull again with --confirm-removals."
        )
        self.removing = removing


@dataclass(frozen=True, slots=True)
class PullSummary:
    """What a pull changed."""

    added: int
    updated: int
    unchanged: int
    removed: int

    def line(self) -> str:
        """One line for the admin."""
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, {self.removed} removed"
        )


def _short(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _routes(team_key: str, service: PulledService) -> list[tuple[str, str, str]]:
    """(key, kind, value) for each way to reach a pulled service, in preference order."""
    routes = [(f"{team_key}-phone-{n}", "phone", number) for n, number in enumerate(service.phones, start=1)]
    if service.email:
        routes.append((f"{team_key}-email", "email", service.email))
    if service.url:
        routes.append((f"{team_key}-web", "portal", service.url))
    return routes


def _team_values(team: Team) -> tuple[Any, ...]:
    """What a pull sets on a stored service, to tell an unchanged one from an updated one."""
    return (
        team.name, team.purpose, team.agency_id, team.hours, team.hours_published, team.areas,
        team.concerns_primary, team.concerns_also, team.source_kind, team.retired_at is None,
    )  # fmt: skip


def retired_name(name: str, source: str) -> str:
    """The name a retired service keeps, so an old item that shows it says why it is gone."""
    suffix = f" (no longer published by {source})"
    return name[: 200 - len(suffix)] + suffix


def _link_out_of_hours(session: Session, source: str) -> None:
    """A neighbour's out-of-hours team (tagged with that concern first) covers its other routes when closed.

    A feed cannot link a service to its out-of-hours service, so the link is the one the concern says;
    a closed neighbour's front door then comes with its out-of-hours team, as our own teams do.
    """
    teams = session.exec(
        select(Team)
        .where(col(Team.source) == source, col(Team.retired_at).is_(None))
        .order_by(col(Team.name))
    ).all()
    out_of_hours = next((t for t in teams if OUT_OF_HOURS_CONCERN in t.concerns_primary), None)
    if out_of_hours is None:
        return
    others = [t.id for t in teams if t.id != out_of_hours.id]
    session.execute(update(Team).where(col(Team.id).in_(others)).values(out_of_hours_team_id=out_of_hours.id))


def _replace_routes(
    session: Session, team_id: int, wanted: list[tuple[str, str, str]], current: list[ContactRoute]
) -> None:
    """Make a pulled service's routes the ones its feed now gives, updating each in place by its key.

    A route the feed no longer gives goes, unless a tracked item was sent by it: that one is kept for the
    item's history but no longer published (search never shows a pulled service's unpublished route).
    """
    by_key = {r.key: r for r in current}
    for priority, (route_key, kind, value) in enumerate(wanted):
        route = by_key.pop(route_key, None) or ContactRoute(
            key=route_key, uuid=stable_uuid("pulled-route", route_key), team_id=team_id, kind="", value=""
        )
        route.kind, route.value, route.priority, route.is_public = kind, value, priority, True
        session.add(route)
    stale = {r.id for r in by_key.values() if r.id is not None}
    if not stale:
        return
    used = set(session.exec(select(TrackedItem.route_id).where(col(TrackedItem.route_id).in_(stale))).all())
    session.execute(delete(ContactRoute).where(col(ContactRoute.id).in_(stale - used)))
    if used:
        session.execute(update(ContactRoute).where(col(ContactRoute.id).in_(used)).values(is_public=False))


def _retire(session: Session, team: Team, *, now: datetime, actor: str) -> None:
    """Hide a service its source no longer publishes, keeping it and its routes for the items that use it."""
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="directory.service_retired",
        subject=f"team:{team.key}",
        data={"source": team.source, "source_id": team.source_id, "name": team.name},
    )
    team.name = retired_name(team.name, team.source)
    team.retired_at = now
    session.add(team)


def store_pull(
    *,
    session: Session,
    clock: Clock,
    report: SourceReport,
    actor: str,
    confirm_removals: bool = False,
    kind: str = PUBLIC,
) -> PullSummary:
    """Store a pull's usable services for its source in the caller's transaction.

    `kind` is what the admin said the source holds: "professional" routes or "public" services (the safe
    default: public services never answer as a safeguarding route).

    Raises:
        PullHeld: it would remove more than 20% of the source's services and no admin confirmed it.
    """
    source, source_kind = report.source, kind
    now = clock.now()
    existing = {t.source_id: t for t in session.exec(select(Team).where(col(Team.source) == source))}
    incoming = {s.source_id for s in report.usable}
    published = [t for t in existing.values() if t.retired_at is None]
    dropped = [t for t in published if t.source_id not in incoming]
    if published and len(dropped) > HOLD_REMOVALS_OVER * len(published) and not confirm_removals:
        raise PullHeld(source, len(dropped), len(published))
    agencies = {a.key: a for a in session.exec(select(Agency).where(col(Agency.source) == source))}
    routes: dict[int, list[ContactRoute]] = {}
    team_ids = [t.id for t in existing.values()]
    for route in session.exec(select(ContactRoute).where(col(ContactRoute.team_id).in_(team_ids))):
        routes.setdefault(route.team_id, []).append(route)
    added = updated = unchanged = 0
    for service in report.usable:
        org_key = f"{source}-org-{_short(service.organization_id or service.organization_name or '-')}"
        agency = agencies.get(org_key)
        org_values = (
            service.organization_name or f"Services published by {source}",
            service.organization_description,
            service.organization_url or None,
        )
        if agency is None:
            agency = Agency(key=org_key, uuid=stable_uuid("pulled-agency", org_key), name="", kind="other",
                            source=source)  # fmt: skip
            agencies[org_key] = agency
        if (agency.name, agency.description, agency.website) != org_values:
            agency.name, agency.description, agency.website = org_values
            session.add(agency)
            session.flush()
        team = existing.get(service.source_id)
        key = f"{source}-{_short(service.source_id)}"
        values = (
            service.name, service.description, agency.id, service.hours or {}, service.hours is not None,
            service.areas, service.concerns, service.also_concerns, source_kind, True,
        )  # fmt: skip
        wanted = _routes(key, service)
        if team is None:
            team = Team(key=key, uuid=stable_uuid("pulled", f"{source}:{service.source_id}"), agency_id=0,
                        name="", source=source, source_id=service.source_id, is_public=True)  # fmt: skip
            added += 1
        elif (
            _team_values(team) == values
            and [
                (r.key, r.kind, r.value)
                for r in sorted(routes.get(team.id or 0, []), key=lambda r: r.priority)
                if r.is_public
            ]
            == wanted
        ):
            unchanged += 1
            continue
        else:
            updated += 1
        team.name, team.purpose, team.agency_id = service.name, service.description, agency.id or 0
        team.hours, team.hours_published = service.hours or {}, service.hours is not None
        team.areas, team.concerns_primary, team.concerns_also = (
            service.areas,
            service.concerns,
            service.also_concerns,
        )
        team.source_kind = source_kind
        team.source_pulled_at = now
        team.retired_at = None  # published again: back in search
        session.add(team)
        session.flush()
        _replace_routes(session, team.id or 0, wanted, routes.get(team.id or 0, []))
    # Out-of-hours links are worked out afresh below; clear them first so none points at a retired team.
    session.execute(update(Team).where(col(Team.source) == source).values(out_of_hours_team_id=None))
    for team in dropped:
        _retire(session, team, now=now, actor=actor)
    session.flush()
    if source_kind == PROFESSIONAL:
        _link_out_of_hours(session, source)
    # Every published pulled service carries the time of the last good pull, changed or not.
    session.execute(
        update(Team)
        .where(col(Team.source) == source, col(Team.retired_at).is_(None))
        .values(source_pulled_at=now)
    )
    session.flush()
    summary = PullSummary(added=added, updated=updated, unchanged=unchanged, removed=len(dropped))
    bump_generation()
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="directory.pulled",
        subject=f"source:{source}",
        data={
            "pulled": report.pulled,
            "usable": len(report.usable),
            "quarantined": len(report.quarantined),
            "added": added,
            "updated": updated,
            "unchanged": unchanged,
            "removed": len(dropped),
        },
    )
    return summary
