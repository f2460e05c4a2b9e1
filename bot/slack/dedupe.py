"""Forget the per-event keys Slack and Teams deliveries were once claimed under.

De-duplication is now the inbox row's unique key (bot/inbox/worker.py). Before that, each Slack event id and
Teams activity id was claimed in the processed-event table; this job forgets those keys once no redelivery
could come, so the table keeps only what is still claimed there (used sign-in links, which forget themselves).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from schedules.time.clock import Clock
from storage.claims import forget

# The prefixes platform deliveries were claimed under.
KEY_PREFIXES = ("slack:", "teams:")
# Slack gives up retrying an event after about an hour; two days leaves room for clock skew and outages.
KEEP_PROCESSED_FOR = timedelta(days=2)


def prune_processed_events(*, sessions: sessionmaker[Session], clock: Clock) -> int:
    """Forget platform delivery keys too old to be redelivered; return how many went."""
    with sessions.begin() as session:
        before = clock.now() - KEEP_PROCESSED_FOR
        return sum(forget(session, prefix=prefix, before=before) for prefix in KEY_PREFIXES)


class PruneContext(Protocol):
    """What the prune job needs from the running joinup (bot.runtime.Runtime has it)."""

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory."""
        ...

    @property
    def clock(self) -> Clock:
        """The clock."""
        ...


async def prune_job(runtime: PruneContext) -> None:
    """The scheduled job: keep the processed-event table small."""
    prune_processed_events(sessions=runtime.sessions, clock=runtime.clock)
