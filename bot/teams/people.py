"""Fill people's e-mail, job title and manager from Entra ID, and link the same person across platforms."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.teams.graph import GraphPeople, GraphProfile
from handlers.messages import InboundMessage
from schedules.time.clock import Clock
from storage import audit
from storage.models import Person

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What `sync_people` did."""

    checked: int = 0
    updated: int = 0
    failed: int = 0


def find_by_teams_id(session: Session, teams_user_id: str) -> Person | None:
    """Return the person with this Teams (Entra ID) user id."""
    return session.exec(select(Person).where(col(Person.teams_user_id) == teams_user_id)).first()


def find_by_email(session: Session, email: str) -> Person | None:
    """Return the person with this work e-mail (any case): someone joinup knows from Slack or the directory."""
    return session.exec(select(Person).where(func.lower(Person.email) == email.strip().lower())).first()


def _find_manager(session: Session, profile: GraphProfile) -> Person | None:
    if profile.manager_id:
        found = find_by_teams_id(session, profile.manager_id)
        if found is not None:
            return found
    if profile.manager_mail:
        return session.exec(
            select(Person).where(func.lower(col(Person.email)) == profile.manager_mail.lower())
        ).first()
    return None


def apply_profile(*, session: Session, clock: Clock, person: Person, profile: GraphProfile) -> list[str]:
    """Copy what Graph knows onto `person` (mail, job title, manager); audit and return the changed fields."""
    changed: list[str] = []
    if profile.mail and (person.email or "").lower() != profile.mail:
        person.email = profile.mail
        changed.append("email")
    if profile.job_title and not person.job_title:
        person.job_title = profile.job_title[:100]
        changed.append("job_title")
    manager = _find_manager(session, profile)
    if manager is not None and manager.id != person.id and person.manager_id != manager.id:
        person.manager_id = manager.id
        changed.append("manager_id")
    if changed:
        session.add(person)
        audit.record(
            session=session,
            at=clock.now(),
            actor="teams:graph",
            action="person.directory_synced",
            subject=f"person:{person.id}",
            data={"fields": changed},
        )
    return changed


async def with_profile(
    msg: InboundMessage, *, sessions: sessionmaker[Session], graph: GraphPeople | None
) -> tuple[InboundMessage, GraphProfile | None]:
    """On first contact, add the sender's e-mail from Graph so the Person links to their Slack self.

    Someone whose e-mail Graph couldn't give last time is looked up again, so a Graph outage heals itself.
    """
    if graph is None or msg.sender_email:
        return msg, None
    with sessions() as session:
        known = find_by_teams_id(session, msg.sender_key)
        if known is not None and known.email:
            return msg, None
    profile = await graph.profile(msg.sender_key)
    if profile is None:
        return msg, None
    return dataclasses.replace(
        msg, sender_email=profile.mail, sender_name=msg.sender_name or profile.display_name
    ), profile


def remember_profile(
    *, sessions: sessionmaker[Session], clock: Clock, teams_user_id: str, profile: GraphProfile
) -> None:
    """After first contact created or linked the Person, store their job title and manager too."""
    with sessions.begin() as session:
        person = find_by_teams_id(session, teams_user_id)
        if person is not None:
            apply_profile(session=session, clock=clock, person=person, profile=profile)


async def sync_people(*, sessions: sessionmaker[Session], clock: Clock, graph: GraphPeople) -> SyncResult:
    """Refresh e-mail, job title and manager from Graph for everyone joinup knows on Teams."""
    with sessions() as session:
        ids = [
            teams_id
            for teams_id in session.exec(
                select(Person.teams_user_id).where(col(Person.teams_user_id).is_not(None))
            )
            if teams_id
        ]
    # Everyone is looked up before anyone is updated, so a manager synced later in the list still links.
    profiles: dict[str, GraphProfile | None] = {teams_id: await graph.profile(teams_id) for teams_id in ids}
    updated = 0
    with sessions.begin() as session:
        for teams_id, profile in profiles.items():
            person = find_by_teams_id(session, teams_id)
            if profile is None or person is None:
                continue
            if apply_profile(session=session, clock=clock, person=person, profile=profile):
                updated += 1
    failed = sum(1 for profile in profiles.values() if profile is None)
    if failed:
        log.warning("graph lookups failed during sync; run it again later", extra={"failed": failed})
    return SyncResult(checked=len(ids), updated=updated, failed=failed)
