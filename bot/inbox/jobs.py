"""The inbox's scheduled job: forget done and dropped rows once a redelivery can no longer come."""

from __future__ import annotations

from typing import TYPE_CHECKING

from schedules.inbox import rows

if TYPE_CHECKING:
    from bot.runtime import Runtime


async def prune_inbox(runtime: Runtime) -> None:
    """Delete done and dropped inbox rows older than the inbox's keep_done_days (their content is gone)."""
    if runtime.inbox is None:
        return
    settings = runtime.inbox.settings
    with runtime.sessions.begin() as session:
        rows.prune(session, now=runtime.clock.now(), settings=settings)
