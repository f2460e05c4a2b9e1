"""Virtual time for the platform pacer: waits are queued and time jumps to the earliest one as soon as every
send in flight is waiting for its turn, so an hour of paced sends runs in seconds."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Callable


class VirtualTime:
    """A PacerTime whose sleeps end when `drive` moves time on, never on the wall clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._changed = asyncio.Event()

    def monotonic(self) -> float:
        """The virtual time, in seconds."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Wait until `drive` has moved time `seconds` on."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (self.now + seconds, next(self._order), future))
        self._changed.set()
        await future

    def poke(self) -> None:
        """Tell the driver a busy task finished (it may be time to move on)."""
        self._changed.set()

    @property
    def sleeping(self) -> int:
        """How many waits are queued."""
        return len(self._waiting)

    async def drive(self, *, busy: Callable[[], int], until: asyncio.Event) -> None:
        """Move time to the earliest queued wait whenever every busy task is waiting (none is mid-request), and
        wake every wait due then."""
        while not until.is_set():
            for _ in range(5):  # let woken tasks reach their next wait or their request
                await asyncio.sleep(0)
            if self._waiting and self.sleeping >= busy():
                self.now = max(self.now, self._waiting[0][0])
                while self._waiting and self._waiting[0][0] <= self.now:
                    heapq.heappop(self._waiting)[2].set_result(None)
                continue
            # A request is on the wire: wait (without spinning, so the fake server's thread gets the GIL) until
            # a task finishes or queues another wait.
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=0.05)
