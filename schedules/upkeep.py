"""Directory upkeep nudges: an entry's owner hears when it is past its review date; later, their manager.

Each nudge is a reminder row in the outbox (delivered by the sweep, in the recipient's working hours), keyed by
team and review date, so it is scheduled once per review cycle however often this runs and on however many
replicas. Reviewing the entry (a newer `last_verified_at`) makes pending nudges moot: the renderer drops them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from schedules.outbox import rows as outbox
from schedules.time.calendars import WorkingHours, calendar_for_person
from schedules.time.clock import Clock
from storage import audit
from storage.models import Person, RoleGrant, Team

OWNER_KIND: Final = "directory_review_due"
MANAGER_KIND: Final = "directory_review_overdue"
DEFAULT_GRACE_WORKING_DAYS: Final = 10


@dataclass(frozen=True, slots=True)
class UpkeepReport:
    """How many nudges one run scheduled."""

    owners: int = 0
    managers: int = 0


def review_due_at(team: Team) -> datetime | None:
    """Return when the entry is due for review (None: never verified, so due now)."""
    if team.last_verified_at is None:
        return None
    return team.last_verified_at + timedelta(days=team.review_interval_days)


def _managers_of_owner(session: Session, owner: Person, team: Team) -> list[Person]:
    """The owner's line manager, else the managers of the owner's team (never the owner)."""
    if owner.manager_id is not None:
        manager = session.get(Person, owner.manager_id)
        return [manager] if manager is not None else []
    team_id = owner.team_id or team.id
    granted = select(RoleGrant.person_id).where(
        col(RoleGrant.role) == "manager", col(RoleGrant.team_id) == team_id
    )
    people = session.exec(
        select(Person)
        .where(
            or_(
                col(Person.id).in_(granted),
                and_(col(Person.role) == "manager", col(Person.team_id) == team_id),
            )
        )
        .where(col(Person.id) != owner.id)
        .order_by(col(Person.id))
    ).all()
    return list(people)


def schedule_nudges(
    *,
    session: Session,
    clock: Clock,
    settings: WorkingHours,
    grace_working_days: int = DEFAULT_GRACE_WORKING_DAYS,
) -> UpkeepReport:
    """Schedule review nudges for every overdue directory entry that has not had them yet."""
    now = clock.now()
    owners = managers = 0
    teams = session.exec(select(Team).where(col(Team.owner_handle).is_not(None)).order_by(col(Team.id))).all()
    handles = {t.owner_handle for t in teams}
    people = {p.handle: p for p in session.exec(select(Person).where(col(Person.handle).in_(handles)))}
    for team in teams:
        due_at = review_due_at(team)
        if due_at is not None and due_at > now:
            continue
        owner = people.get(team.owner_handle or "")
        if owner is None or owner.id is None or team.id is None:
            continue
        calendar = calendar_for_person(person=owner, settings=settings)
        cycle = (due_at or now).date().isoformat() if due_at else "never"
        payload = {
            "team_key": team.key,
            "verified_at": team.last_verified_at.isoformat() if team.last_verified_at else None,
            "review_due_at": due_at.isoformat() if due_at else None,
            "owner": owner.handle,
        }
        if outbox.schedule(
            session=session,
            clock=clock,
            dedupe_key=f"upkeep:owner:{team.id}:{cycle}",
            recipient_person_id=owner.id,
            kind=OWNER_KIND,
            due_at=calendar.next_working_time(now),
            subject_kind="team",
            subject_id=team.id,
            payload=payload,
        ):
            owners += 1
            audit.record(
                session=session, at=now, actor="system", action="directory.review_nudged",
                subject=f"team:{team.key}", data={"to": owner.handle},
            )  # fmt: skip
        start = due_at or now
        grace_ends = calendar.add_working_days(start, grace_working_days)
        if due_at is None or grace_ends > now:
            continue  # never-verified entries go to the owner first; their grace starts with this nudge
        for manager in _managers_of_owner(session, owner, team):
            assert manager.id is not None
            if outbox.schedule(
                session=session,
                clock=clock,
                dedupe_key=f"upkeep:manager:{team.id}:{cycle}:{manager.id}",
                recipient_person_id=manager.id,
                kind=MANAGER_KIND,
                due_at=calendar_for_person(person=manager, settings=settings).next_working_time(now),
                subject_kind="team",
                subject_id=team.id,
                payload={**payload, "grace_working_days": grace_working_days},
            ):
                managers += 1
                audit.record(
                    session=session, at=now, actor="system", action="directory.review_escalated",
                    subject=f"team:{team.key}", data={"to": manager.handle, "owner": owner.handle},
                )  # fmt: skip
    return UpkeepReport(owners=owners, managers=managers)


def is_still_due(*, team: Team, verified_at: str | None) -> bool:
    """Tell whether a nudge scheduled when the entry was last verified at `verified_at` still applies."""
    current = team.last_verified_at.isoformat() if team.last_verified_at else None
    return current == verified_at
