"""The scheduled pull of neighbours' feeds, and the chat notice directory admins get when one fails.

Sources are pulled one after another (one request at a time within each), off the event loop. A pull that
fails, or is held because it would remove more than a fifth of a source's services, keeps the last good
copy and queues a notice to every directory admin through the outbox, once per failed attempt.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from directory.sources import HELD, PULLED, PullOutcome, due_sources, get_source, pull_source
from handlers.messages import Reply
from handlers.outbox.renderers import ReminderRenderers
from schedules.outbox import rows as outbox
from schedules.time.clock import Clock
from storage.models import Person, Reminder, RoleGrant

SOURCE_PROBLEM = "directory_source_problem"
ACTOR = "system:source-pull"


class SourcePulling(Protocol):
    """What the job needs from bot.runtime.Runtime."""

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory."""
        ...

    @property
    def clock(self) -> Clock:
        """The clock."""
        ...


def directory_admins(*, session: Session) -> list[int]:
    """Everyone who administers directory entries anywhere in the partnership, lowest id first."""
    granted = select(RoleGrant.person_id).where(col(RoleGrant.role) == "directory_admin")
    query = select(Person.id).where(col(Person.id).in_(granted) | (col(Person.role) == "directory_admin"))
    return [person_id for person_id in session.exec(query.order_by(col(Person.id))) if person_id is not None]


def tell_admins(*, session: Session, clock: Clock, outcome: PullOutcome) -> int:
    """Queue the notice about a failed or held pull to every directory admin; return how many were queued."""
    source = get_source(session=session, name=outcome.source)
    at = clock.now()
    queued = 0
    for person_id in directory_admins(session=session):
        row = outbox.schedule(
            session=session, clock=clock, recipient_person_id=person_id, kind=SOURCE_PROBLEM, due_at=at,
            dedupe_key=f"{SOURCE_PROBLEM}:{source.name}:{at.isoformat()}:{person_id}",
            subject_kind="source", subject_id=source.id,
            payload={"source": source.name, "status": outcome.status, "line": outcome.line[:500]},
        )  # fmt: skip
        queued += row is not None
    return queued


async def pull_sources_job(runtime: SourcePulling) -> None:
    """The scheduled job: pull each source that is due, one at a time; tell the admins about any failure."""
    with runtime.sessions() as session:
        names = due_sources(session=session, clock=runtime.clock)
    for name in names:
        outcome = await asyncio.to_thread(
            pull_source, sessions=runtime.sessions, clock=runtime.clock, name=name, actor=ACTOR
        )
        if outcome.status != PULLED:
            with runtime.sessions.begin() as session:
                tell_admins(session=session, clock=runtime.clock, outcome=outcome)


def render_source_problem(session: Session, reminder: Reminder) -> Reply:
    """Tell a directory admin a neighbour's feed could not be pulled, and what to do."""
    name = str(reminder.payload.get("source", "a source"))
    line = str(reminder.payload.get("line", "")).strip()
    if reminder.payload.get("status") == HELD:
        text = (
            f"The scheduled pull of the {name} feed is held: {line} Until someone confirms, search keeps "
            f"the services as they were. If the removals are right, run: joinup directory source pull {name} "
            "--confirm-removals"
        )
    else:
        text = (
            f"The scheduled pull of the {name} feed failed. {line} Search keeps using the last good copy. "
            f"Check the feed, then run: joinup directory source pull {name} (joinup directory source report "
            f"{name} shows what the last good pull found)."
        )
    return Reply(text=text, kind="reminder")


def register_renderers(renderers: ReminderRenderers) -> None:
    """Add the source-problem notice to the outbox renderers."""
    renderers.add(SOURCE_PROBLEM, render_source_problem)
