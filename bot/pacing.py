"""Pace outgoing platform calls to the platforms' published limits, so a busy sweep waits for its turn instead
of collecting 429s.

A scope is what a platform counts against: a Teams conversation, a Teams tenant, a Slack channel, a Slack
workspace's method tier. Each kind of scope has one or more limits, "at most `count` calls in any `window_seconds`"
(Teams publishes several per conversation: 7 a second, 8 in 2 seconds, 60 in 30 seconds, 1,800 an hour). A call
names every scope it counts against and waits until all of them have room: the pacer keeps, per scope, the times
it has handed out in the last window (a sliding log, exact for the platforms' sliding windows), and gives each call
the earliest time that keeps every window within its limit.

One pacer is shared by everything in a process that talks to a platform (the outbox sweep's notifiers and the
replies). Across replicas the limits are split: with `replicas` set, each process takes its share of each limit
(limit ÷ replicas, kept as a rate when the share is under one call per window). The long-run rate then stays
within the limit; two replicas may still meet in one short window, which a 429 and its Retry-After cover.

Time is injected (`PacerTime`): tests and benchmarks run a whole hour of sends in a virtual second.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, Field


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `count` calls in any `window_seconds`."""

    count: int
    window_seconds: float

    def share(self, fraction: float) -> Limit:
        """This limit for one of several replicas: the same rate times `fraction`, never less than one call."""
        if fraction >= 1:
            return self
        count = max(1, math.floor(self.count * fraction))
        return Limit(count, self.window_seconds * count / (self.count * fraction))


# Scope kinds. A call names (kind, key) pairs, e.g. ("teams.conversation", "a:1Xy…").
TEAMS_CONVERSATION = "teams.conversation"
TEAMS_TENANT = "teams.tenant"
SLACK_CHANNEL = "slack.channel"  # chat.postMessage and chat.update to one channel
SLACK_POST = "slack.post"  # chat.postMessage across a workspace
SLACK_TIER = "slack.tier"  # key "<workspace>:<tier>": every other Web API method, by its tier

# The published limits (Microsoft: "Rate limiting for bots", per bot per conversation, and per app per tenant;
# Slack: "Rate limits", per method per workspace per app). Slack publishes no figure for chat.postMessage's
# workspace-wide limit: 20 a second is an assumption, set JOINUP_PACING__SLACK_POST to change it.
DEFAULT_LIMITS: dict[str, tuple[Limit, ...]] = {
    TEAMS_CONVERSATION: (Limit(7, 1), Limit(8, 2), Limit(60, 30), Limit(1800, 3600)),
    TEAMS_TENANT: (Limit(30, 1),),
    SLACK_CHANNEL: (Limit(1, 1),),
    SLACK_POST: (Limit(20, 1),),
    f"{SLACK_TIER}:1": (Limit(1, 60),),
    f"{SLACK_TIER}:2": (Limit(20, 60),),
    f"{SLACK_TIER}:3": (Limit(50, 60),),
    f"{SLACK_TIER}:4": (Limit(100, 60),),
}
# The tier of each Slack method joinup calls outside chat.postMessage (Slack's method reference).
SLACK_METHOD_TIERS: dict[str, int] = {
    "conversations.open": 3,
    "chat.update": 3,
    "chat.postEphemeral": 4,
    "views.open": 4,
    "views.update": 4,
    "views.publish": 4,
    "users.info": 4,
    "users.lookupByEmail": 3,
    "auth.test": 4,
}
DEFAULT_TIER = 3


class PacingSettings(BaseModel):
    """How outgoing platform calls are paced (JOINUP_PACING__…)."""

    enabled: bool = True
    # Replicas sending at once (joinup serve processes, and joinup worker): each takes this share of every limit.
    replicas: int = Field(default=1, ge=1)
    # Overrides, as [[count, window_seconds], …], e.g. JOINUP_PACING__TEAMS_TENANT='[[50, 1]]'.
    teams_conversation: list[tuple[int, float]] | None = None
    teams_tenant: list[tuple[int, float]] | None = None
    slack_channel: list[tuple[int, float]] | None = None
    slack_post: list[tuple[int, float]] | None = None

    def limits(self) -> dict[str, tuple[Limit, ...]]:
        """Return every scope kind's limits, overrides applied, before the per-replica share."""
        limits = dict(DEFAULT_LIMITS)
        overrides = {
            TEAMS_CONVERSATION: self.teams_conversation,
            TEAMS_TENANT: self.teams_tenant,
            SLACK_CHANNEL: self.slack_channel,
            SLACK_POST: self.slack_post,
        }
        for kind, given in overrides.items():
            if given:
                limits[kind] = tuple(Limit(int(count), float(window)) for count, window in given)
        return limits


class PacerTime(Protocol):
    """Where the pacer reads the time and waits: the monotonic clock, or a virtual one in tests."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class RealTime:
    """The process's monotonic clock and asyncio.sleep."""

    def monotonic(self) -> float:
        """Return seconds from an arbitrary start, never going back."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Wait without blocking the event loop."""
        await asyncio.sleep(seconds)


@dataclass
class _Log:
    """The times handed out in one scope, oldest first, kept for the longest window."""

    times: list[float] = field(default_factory=list)
    paused_until: float = 0.0


Scope = tuple[str, str]


class Pacer:
    """Hands out send times that keep every named scope within its limits."""

    def __init__(
        self,
        *,
        limits: Mapping[str, tuple[Limit, ...]] | None = None,
        replicas: int = 1,
        clock: PacerTime | None = None,
    ) -> None:
        given = DEFAULT_LIMITS if limits is None else limits
        self.limits = {
            kind: tuple(limit.share(1 / replicas) for limit in found) for kind, found in given.items()
        }
        self.clock: PacerTime = clock or RealTime()
        self._logs: dict[Scope, _Log] = {}
        self.waited_seconds = 0.0  # total time calls spent waiting for their turn (for metrics and benches)
        self.paced_calls = 0  # calls that had to wait

    def reserve(self, scopes: Iterable[Scope]) -> float:
        """Take the earliest time every scope has room for one more call; return how long to wait for it."""
        now = self.clock.monotonic()
        chosen = [
            (scope, self._logs.setdefault(scope, _Log()), self.limits.get(scope[0], ())) for scope in scopes
        ]
        at = max([now, *(log.paused_until for _, log, _ in chosen)])
        while True:  # each pass can only move `at` later, past a call already handed out
            moved = at
            for _, log, limits in chosen:
                for limit in limits:
                    moved = _earliest(log.times, limit, moved)
            if moved == at:
                break
            at = moved
        for _, log, limits in chosen:
            _forget_before(log.times, now - max((limit.window_seconds for limit in limits), default=0.0))
            bisect.insort(log.times, at)
        return at - now

    async def wait(self, *scopes: Scope) -> float:
        """Wait until a call counting against `scopes` may go; return the seconds waited."""
        delay = self.reserve(scopes)
        if delay > 0:
            self.paced_calls += 1
            self.waited_seconds += delay
            await self.clock.sleep(delay)
        return delay

    def hold(self, scope: Scope, seconds: float) -> None:
        """Give a scope no calls for `seconds` (the platform answered 429 with Retry-After)."""
        log = self._logs.setdefault(scope, _Log())
        log.paused_until = max(log.paused_until, self.clock.monotonic() + seconds)


def _earliest(times: list[float], limit: Limit, at: float) -> float:
    """The earliest time from `at` with fewer than `limit.count` other calls within one window either side.

    Counting both sides keeps every window that contains the new call within the limit, even when a later call
    was handed out first (it waited on another scope).
    """
    window = limit.window_seconds
    while True:
        first = bisect.bisect_right(times, at - window)
        last = bisect.bisect_left(times, at + window)
        if last - first < limit.count:
            return at
        at = times[first] + window


def _forget_before(times: list[float], cutoff: float) -> None:
    del times[: bisect.bisect_left(times, cutoff)]


def slack_scopes(method: str, *, workspace: str, channel: str | None) -> tuple[Scope, ...]:
    """The scopes a Slack Web API call counts against."""
    if method == "chat.postMessage":
        found: tuple[Scope, ...] = ((SLACK_POST, workspace),)
        return found + (((SLACK_CHANNEL, channel),) if channel else ())
    tier = SLACK_METHOD_TIERS.get(method, DEFAULT_TIER)
    scopes: tuple[Scope, ...] = ((f"{SLACK_TIER}:{tier}", f"{workspace}:{method}"),)
    if method == "chat.update" and channel:
        scopes += ((SLACK_CHANNEL, channel),)
    return scopes


def teams_scopes(*, conversation_id: str | None, tenant_id: str | None) -> tuple[Scope, ...]:
    """The scopes a Bot Framework send counts against (the tenant when it is known)."""
    scopes: tuple[Scope, ...] = ()
    if conversation_id:
        scopes += ((TEAMS_CONVERSATION, conversation_id),)
    if tenant_id:
        scopes += ((TEAMS_TENANT, tenant_id),)
    return scopes


_process_pacer: Pacer | None = None


def process_pacer() -> Pacer | None:
    """The pacer shared by every notifier and reply in this process, or None when pacing is switched off."""
    return _process_pacer


def configure(settings: PacingSettings, *, clock: PacerTime | None = None) -> Pacer | None:
    """Build (or drop) the process's shared pacer from the settings; `serve` and `worker` call it at start-up."""
    global _process_pacer
    _process_pacer = (
        Pacer(limits=settings.limits(), replicas=settings.replicas, clock=clock) if settings.enabled else None
    )
    return _process_pacer
