"""Pace Bot Framework calls to Teams' limits (bot/pacing.py), and retry those that were still throttled (429) or
failed (5xx), waiting as long as Retry-After says."""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from email.utils import parsedate_to_datetime

import httpx
from microsoft_teams.common.http.client import MiddlewareContext, MiddlewareNext

from bot import pacing

log = logging.getLogger(__name__)

# The tenant a send is for, when the sender knows it (a proactive message to a stored conversation reference);
# Teams counts a per-tenant limit as well as the per-conversation ones.
current_tenant: ContextVar[str | None] = ContextVar("teams_tenant", default=None)
_CONVERSATION = re.compile(r"/v3/conversations/(?P<conversation>[^/?]+)/activities")


def conversation_of(url: str) -> str | None:
    """The conversation a connector call sends to, read from its URL (None for other calls)."""
    found = _CONVERSATION.search(url)
    return found.group("conversation") if found else None


Sleep = Callable[[float], Awaitable[None]]
MAX_ATTEMPTS = 4
BASE_DELAY_SECONDS = 1.0
# Longer waits than this go back to the outbox (which retries later) instead of holding a sweep worker.
MAX_WAIT_SECONDS = 60.0


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Read Retry-After (seconds or an HTTP date) from a response."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
        sent = parsedate_to_datetime(response.headers.get("date", value))
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - sent).total_seconds())


def is_retryable(status: int) -> bool:
    """429 (throttled) and 5xx are worth another try; other refusals are permanent."""
    return status == 429 or status >= 500


class RetryThrottled:
    """SDK HTTP middleware: wait for the pacer before each send to a conversation, and retry 429 and 5xx with
    exponential backoff, waiting as long as Retry-After says."""

    def __init__(
        self,
        *,
        sleep: Sleep = asyncio.sleep,
        max_attempts: int = MAX_ATTEMPTS,
        pacer: pacing.Pacer | None = None,
    ) -> None:
        self.sleep = sleep
        self.max_attempts = max_attempts
        self.pacer = pacer or pacing.process_pacer()

    async def send(self, context: MiddlewareContext, next: MiddlewareNext) -> httpx.Response:
        """Call the next step when the pacer allows; on a retryable failure wait and call it again."""
        scopes = pacing.teams_scopes(
            conversation_id=conversation_of(context.url), tenant_id=current_tenant.get()
        )
        attempt = 1
        while True:
            try:
                if self.pacer is not None and scopes:
                    await self.pacer.wait(*scopes)
                return await next()
            except httpx.HTTPStatusError as error:
                status = error.response.status_code
                if not is_retryable(status) or attempt >= self.max_attempts:
                    raise
                delay = retry_after_seconds(error.response)
                if status == 429 and delay is not None and self.pacer is not None:
                    for scope in scopes:  # everyone else sending there waits as long too
                        self.pacer.hold(scope, delay)
                if delay is None:
                    delay = random.uniform(0, BASE_DELAY_SECONDS * 2 ** (attempt - 1))  # full jitter
                if delay > MAX_WAIT_SECONDS:
                    raise
            except httpx.TransportError:
                if attempt >= self.max_attempts:
                    raise
                status, delay = 0, random.uniform(0, BASE_DELAY_SECONDS * 2 ** (attempt - 1))
            log.info(
                "teams call throttled or failed; retrying",
                extra={"status": status, "attempt": attempt, "delay_seconds": round(delay, 2)},
            )
            await self.sleep(delay)
            attempt += 1
