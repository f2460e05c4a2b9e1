"""The inbox's scheduled job: forget done and dropped rows once a redelivery can no longer come."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.inbox.worker import Inbox
from schedules.inbox import rows
from schedules.time.clock import Clock


class PruneContext(Protocol):
    """What the prune job needs from the runtime (a protocol, so this module never imports bot.runtime)."""

    @property
    def sessions(self) -> sessionmaker[Session]: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def inbox(self) -> Inbox | None: ...


async def prune_inbox(runtime: PruneContext) -> None:
    """Delete done and dropped inbox rows older than the inbox's keep_done_days (their content is gone)."""
    if runtime.inbox is None:
        return
    with runtime.sessions.begin() as session:
        rows.prune(session, now=runtime.clock.now(), settings=runtime.inbox.settings)
