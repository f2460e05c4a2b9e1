"""The injected clock: the only place domain code gets the time from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    """Something that knows what time it is."""

    def now(self) -> datetime:
        """Return the current time as an aware datetime in UTC."""
        ...


class SystemClock:
    """The real wall clock; used by `joinup serve` and the console chat without --clock."""

    def now(self) -> datetime:
        """Return the system time in UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to; for tests and `joinup chat --clock`."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """Return the fake current time."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward by `delta` and return the new time."""
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> None:
        """Jump to `moment` (never backwards)."""
        moment = moment.astimezone(UTC)
        if moment < self._now:
            raise ValueError("time only moves forward")
        self._now = moment


class FileClock:
    """A clock read from a file holding an ISO 8601 time: lets system tests move many processes' time together.

    The file is re-read only when its modification time changes, so `now()` stays cheap on the hot path.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: int | None = None
        self._now = datetime.min.replace(tzinfo=UTC)
        self.now()  # fail at start-up, not mid-request, if the file is missing or malformed

    def now(self) -> datetime:
        """Return the time written in the file (never earlier than the last time returned)."""
        stamp = self.path.stat().st_mtime_ns
        if stamp != self._stamp:
            moment = datetime.fromisoformat(self.path.read_text().strip())
            if moment.tzinfo is None:
                raise ValueError(
                    f"{self.path} must hold an aware ISO 8601 time, e.g. 2026-11-25T10:00:00+00:00"
                )
            self._now = max(self._now, moment.astimezone(UTC))
            self._stamp = stamp
        return self._now

    @staticmethod
    def write(path: Path, moment: datetime) -> None:
        """Set the time for every process reading `path` (atomically, so no reader sees half a line)."""
        tmp = path.with_suffix(".tmp")
        tmp.write_text(moment.astimezone(UTC).isoformat())
        tmp.replace(path)
