"""Run scheduled jobs under one guard: timed, logged in one line, failures counted, the next job still runs."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from schedules.jobs.registry import Context, Job, JobRegistry

log = logging.getLogger(__name__)


@dataclass
class JobStats:
    """How the scheduled jobs have fared in this process, for health pages and metrics to read.

    Counters only grow; `failing_in_a_row` goes back to zero when a job next succeeds.
    """

    runs: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    wakeup_failures: Counter[str] = field(default_factory=Counter)
    failing_in_a_row: Counter[str] = field(default_factory=Counter)
    last_seconds: dict[str, float] = field(default_factory=dict)
    # The exception's class only: its message may quote what someone typed.
    last_error: dict[str, str] = field(default_factory=dict)


async def run_job(
    job: Job[Context],
    context: Context,
    *,
    stats: JobStats,
    timer: Callable[[], float] = time.perf_counter,
) -> bool:
    """Run one job, time it and log one line; on failure count it and return False instead of raising.

    The traceback is logged when a job starts failing; while it keeps failing, each run logs one line with
    the count, so a broken job on a 30-second tick cannot bury the log. Cancellation still propagates.
    """
    started = timer()
    try:
        await job.run(context)
    except Exception as error:
        seconds = timer() - started
        stats.runs[job.name] += 1
        stats.failures[job.name] += 1
        stats.failing_in_a_row[job.name] += 1
        stats.last_seconds[job.name] = seconds
        stats.last_error[job.name] = type(error).__name__
        in_a_row = stats.failing_in_a_row[job.name]
        extra = {"job": job.name, "seconds": round(seconds, 3), "failures_in_a_row": in_a_row}
        if in_a_row == 1:
            log.error(
                "scheduled job %s failed after %.3fs; the other jobs carry on and it runs again at the next tick",
                job.name,
                seconds,
                exc_info=True,
                extra=extra,
            )
        else:
            log.error(
                "scheduled job %s failed again (%s, %d times in a row)",
                job.name,
                type(error).__name__,
                in_a_row,
                extra=extra,
            )
        return False
    seconds = timer() - started
    stats.runs[job.name] += 1
    stats.last_seconds[job.name] = seconds
    stats.last_error.pop(job.name, None)
    if stats.failing_in_a_row.pop(job.name, 0):
        log.warning("scheduled job %s is working again (%.3fs)", job.name, seconds, extra={"job": job.name})
    else:
        log.debug("scheduled job %s ran in %.3fs", job.name, seconds, extra={"job": job.name})
    return True


async def run_jobs(registry: JobRegistry[Context], context: Context, *, stats: JobStats) -> int:
    """Run every job once, in order, each under `run_job`; return how many failed."""
    failed = 0
    for job in registry:
        if not await run_job(job, context, stats=stats):
            failed += 1
    return failed


def wakeup_times(registry: JobRegistry[Context], context: Context, *, stats: JobStats) -> list[datetime]:
    """Ask every job with a wake-up when it next has work; a wake-up that fails is logged, counted and skipped."""
    found: list[datetime] = []
    for job in registry:
        if job.wakeup is None:
            continue
        try:
            at = job.wakeup(context)
        except Exception as error:
            stats.wakeup_failures[job.name] += 1
            log.error(
                "scheduled job %s could not say when it next has work (%s)",
                job.name,
                type(error).__name__,
                extra={"job": job.name},
            )
            continue
        if at is not None:
            found.append(at)
    return found
