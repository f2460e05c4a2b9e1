"""The job protocol and the registry that holds the scheduled jobs in the order they run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

Context = TypeVar("Context")

JobBody = Callable[[Context], Awaitable[None]]
# When the job next has work (e.g. the earliest pending reminder), or None when it has none in view.
WakeUp = Callable[[Context], datetime | None]


class UnknownJob(KeyError):
    """No job of that name is registered."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        super().__init__(name)
        self.name = name
        self.known = tuple(known)

    def __str__(self) -> str:
        return f"no scheduled job called {self.name!r}; registered: {', '.join(self.known) or 'none'}"


@dataclass(frozen=True, slots=True)
class Job(Generic[Context]):
    """One scheduled job: a stable name (logs, metrics and the scheduler use it), its body and its wake-up."""

    name: str
    run: JobBody[Context]
    wakeup: WakeUp[Context] | None = None


class JobRegistry(Generic[Context]):
    """The scheduled jobs, in the order they run on each tick; names are unique."""

    def __init__(self, jobs: Iterable[Job[Context]]) -> None:
        self._jobs: tuple[Job[Context], ...] = tuple(jobs)
        names = [job.name for job in self._jobs]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"scheduled job names must be unique; repeated: {', '.join(repeated)}")

    def __iter__(self) -> Iterator[Job[Context]]:
        return iter(self._jobs)

    def __len__(self) -> int:
        return len(self._jobs)

    def __contains__(self, name: object) -> bool:
        return any(job.name == name for job in self._jobs)

    def __getitem__(self, name: str) -> Job[Context]:
        """Return the job called `name`.

        Raises:
            UnknownJob: no job has that name.
        """
        for job in self._jobs:
            if job.name == name:
                return job
        raise UnknownJob(name, self.names)

    @property
    def names(self) -> tuple[str, ...]:
        """The job names, in run order."""
        return tuple(job.name for job in self._jobs)

    def with_jobs(self, *jobs: Job[Context]) -> JobRegistry[Context]:
        """Return a registry with `jobs` added after these (a process that runs extra work, or a test)."""
        return JobRegistry((*self._jobs, *jobs))
