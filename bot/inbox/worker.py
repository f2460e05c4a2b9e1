"""Inbox workers: every stored platform request is claimed under a lease, worked on, replied to, and done.

`receive` is the acknowledging side: one short insert (the unique event key is the de-duplication), off the
event loop. The worker side claims rows in batches, runs each kind's work a few at a time, and marks each row
done (emptying its content) or puts it back with a backoff; after the last attempt the person is told in one
line that their message could not be handled. Any number of processes may run workers on one database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.inbox import wake
from bot.inbox.offload import Offload
from schedules.inbox import rows
from schedules.inbox.rows import Claimed, InboxSettings
from schedules.time.clock import Clock

log = logging.getLogger(__name__)

Content = dict[str, Any]
Work = Callable[[Content], Awaitable[None]]

DEFAULT_CONCURRENCY = 8
POLL_SECONDS = 1.0  # how soon rows received by another replica, or due for a retry, are noticed


@dataclass(frozen=True, slots=True)
class Kind:
    """What to do with one kind of request, and how to tell the person when it can't be done."""

    work: Work
    tell_failure: Work
    # Failures of the platform or network (logged as one line); anything else is a bug (with a traceback).
    expected: tuple[type[BaseException], ...] = ()


@dataclass
class InboxStats:
    """What this process's workers have done (for metrics and benchmarks)."""

    received: int = 0
    repeated: int = 0
    done: int = 0
    retried: int = 0
    failed: int = 0
    lost_leases: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class Inbox:
    """Receives platform requests into the inbox table and runs workers over it."""

    def __init__(
        self,
        *,
        engine: Engine,
        sessions: sessionmaker[Session],
        clock: Clock,
        settings: InboxSettings | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.engine, self.sessions, self.clock = engine, sessions, clock
        self.settings = settings or InboxSettings()
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.offload = Offload(engine)
        self.kinds: dict[str, Kind] = {}
        self.stats = InboxStats()
        self.is_worker = True  # False: this process only receives (`joinup serve`'s acking processes)
        self.wake_sender: wake.WakeSender | None = None  # nudges a worker process after each new row
        self._wake_listener: asyncio.DatagramTransport | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()

    def register(self, kind: str, handling: Kind) -> None:
        """Say how to work on `kind` (e.g. "slack.command")."""
        self.kinds[kind] = handling

    # --- receiving --------------------------------------------------------------------------------
    async def receive(self, *, platform: str, event_key: str, kind: str, content: Content) -> bool:
        """Store a request (before it is acknowledged); False if it was stored before (a redelivery)."""

        def store() -> bool:
            with self.engine.begin() as connection:
                return rows.receive(
                    connection,
                    platform=platform,
                    event_key=event_key,
                    kind=kind,
                    content=content,
                    now=self.clock.now(),
                )

        is_new = await self.offload.run(store)
        if is_new:
            self.stats.received += 1
            if self.wake_sender is not None:
                self.wake_sender.poke()
            self.start()
            self._wake.set()
        else:
            self.stats.repeated += 1
            log.info("a repeated delivery found its inbox row", extra={"platform": platform, "kind": kind})
        return is_new

    # --- working ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Run the workers on the current event loop (idempotent; nothing when this process only receives)."""
        if self.is_worker and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(
                self._work_forever(), name="joinup-loop:inbox"
            )

    async def wake_on(self, port: int) -> None:
        """Claim as soon as an acknowledging process nudges this port (see bot/inbox/wake.py)."""
        self._wake_listener = await wake.listen(port, self._wake.set)

    async def stop(self) -> None:
        """Stop claiming and wait for the work in hand (its rows are marked as they finish)."""
        if self._wake_listener is not None:
            self._wake_listener.close()
            self._wake_listener = None
        if self.wake_sender is not None:
            self.wake_sender.close()
            self.wake_sender = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        self.offload.close()

    async def _work_forever(self) -> None:
        while True:
            try:
                claimed = await self._claim_and_start()
            except Exception:
                log.exception("inbox claim failed; trying again shortly")
                claimed = 0
            if claimed:
                continue
            self._wake.clear()
            # asyncio.timeout, not wait_for: in 3.11 wait_for can swallow a cancellation that arrives as
            # the event is set, and the worker would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()

    async def _claim_and_start(self) -> int:
        free = self.concurrency - len(self._running)
        if free <= 0:
            await asyncio.wait(set(self._running), return_when=asyncio.FIRST_COMPLETED)
            return 1
        batch = min(free, self.settings.batch_size)
        settings = self.settings.model_copy(update={"batch_size": batch})

        def claim() -> tuple[list[Claimed], list[Claimed]]:
            with self.sessions.begin() as session:
                return rows.claim(session, now=self.clock.now(), settings=settings)

        work, exhausted = await self.offload.run(claim)
        for item in work:
            self._spawn(self._do(item))
        for item in exhausted:
            self._spawn(self._give_up(item, error=""))
        return len(work) + len(exhausted)

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._running.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()  # a slot is free

    async def drain(self) -> None:
        """Work until nothing is due and nothing is running (tests, `joinup worker --once`)."""
        while True:
            claimed = await self._claim_and_start()
            if self._running:
                await asyncio.gather(*self._running, return_exceptions=True)
            elif not claimed:
                return

    async def _do(self, item: Claimed) -> None:
        handling = self.kinds.get(item.kind)
        if handling is None:
            await self._give_up(item, error=f"no worker knows {item.kind}")
            return
        try:
            await handling.work(item.content)
        except Exception as error:
            reason = describe(error)
            if isinstance(error, handling.expected):
                log.warning(
                    "inbox work failed", extra={"inbox_id": item.id, "kind": item.kind, "error": reason}
                )
            else:
                log.exception("inbox work failed", extra={"inbox_id": item.id, "kind": item.kind})
            if item.attempts >= self.settings.max_attempts:
                await self._give_up(item, error=reason)
            else:
                await self._try_again(item, error=reason)
            return
        await self._finish(item)

    async def _finish(self, item: Claimed) -> None:
        def finish() -> bool:
            with self.sessions.begin() as session:
                return rows.finish(session, item=item, now=self.clock.now())

        if await self.offload.run(finish):
            self.stats.done += 1
            self.stats.by_kind[item.kind] = self.stats.by_kind.get(item.kind, 0) + 1
        else:
            self.stats.lost_leases += 1
            log.warning("an inbox row's lease ran out while it was worked on", extra={"inbox_id": item.id})

    async def _try_again(self, item: Claimed, *, error: str) -> None:
        def again() -> bool:
            with self.sessions.begin() as session:
                return rows.try_again(
                    session, item=item, now=self.clock.now(), error=error, settings=self.settings
                )

        if await self.offload.run(again):
            self.stats.retried += 1

    async def _give_up(self, item: Claimed, *, error: str) -> None:
        handling = self.kinds.get(item.kind)
        is_told = False
        if handling is not None:
            try:
                await handling.tell_failure(item.content)
                is_told = True
            except Exception as told_error:
                log.warning(
                    "could not tell the person their message failed",
                    extra={"inbox_id": item.id, "kind": item.kind, "error": describe(told_error)},
                )

        def give_up() -> None:
            with self.sessions.begin() as session:
                rows.give_up(session, item=item, now=self.clock.now(), error=error, is_told=is_told)

        await self.offload.run(give_up)
        self.stats.failed += 1


def describe(error: BaseException) -> str:
    """One line naming a failure: its kind and, for platform errors, the status or error code."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None) or getattr(error, "status_code", None)
    code = response.get("error") if isinstance(response, dict) else None
    if code is None and response is not None and hasattr(response, "data"):
        data = response.data
        code = data.get("error") if isinstance(data, dict) else None
    parts = [type(error).__name__]
    if status is not None:
        parts.append(str(status))
    if code:
        parts.append(str(code))
    return " ".join(parts)
