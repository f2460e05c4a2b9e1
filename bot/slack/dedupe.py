"""Slack retries an event it thinks we missed (X-Slack-Retry-Num); each event id is handled once, on any replica."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Protocol

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.slack.parse import event_dedupe_key
from schedules.time.clock import Clock
from storage.claims import claim_once, forget

log = logging.getLogger(__name__)

KEY_PREFIX = "slack:"
# Slack gives up retrying an event after about an hour; two days leaves room for clock skew and outages.
KEEP_PROCESSED_FOR = timedelta(days=2)


def claim_event(*, sessions: sessionmaker[Session], clock: Clock, key: str) -> bool:
    """Record `key` as processed; return False if it already was (here or on another replica)."""
    return claim_once(sessions=sessions, key=key, at=clock.now())


class DropRepeatedEvents(AsyncMiddleware):
    """Acknowledge a repeated Events API delivery without running any listener again.

    The key is claimed before the listener runs, so a retry that arrives while the first delivery is
    still being handled is dropped too: at most one side effect per event.
    """

    def __init__(self, *, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        """Claim the event id, or answer 200 at once when it was claimed before."""
        key = event_dedupe_key(req.body)
        if key is not None and not claim_event(sessions=self.sessions, clock=self.clock, key=key):
            retry = req.headers.get("x-slack-retry-num", ["0"])
            log.info("dropped a repeated Slack event", extra={"key": key, "retry_num": retry[0]})
            return BoltResponse(status=200, body="")
        return await next()


def prune_processed_events(*, sessions: sessionmaker[Session], clock: Clock) -> int:
    """Forget Slack event ids too old to be retried; return how many went."""
    with sessions.begin() as session:
        return forget(session, prefix=KEY_PREFIX, before=clock.now() - KEEP_PROCESSED_FOR)


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
