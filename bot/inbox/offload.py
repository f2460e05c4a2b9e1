"""Run short database calls outside the event loop that acknowledges requests, a few at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool

T = TypeVar("T")

DEFAULT_THREADS = 4


class Offload:
    """A bounded thread pool for blocking calls, so the loop keeps acknowledging while the database works.

    An in-memory SQLite database is one connection shared by everything (tests and the console): calls run
    inline there, because two threads' transactions must not interleave on one connection.
    """

    def __init__(self, engine: Engine, *, threads: int = DEFAULT_THREADS) -> None:
        self.is_inline = isinstance(engine.pool, StaticPool)
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None

    async def run(self, call: Callable[[], T]) -> T:
        """Return `call()`, run on the pool (or inline, see the class)."""
        if self.is_inline:
            return call()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="joinup-db")
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def close(self) -> None:
        """Let the threads finish and stop them."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
