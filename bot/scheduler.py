"""APScheduler 3 only triggers jobs; all state lives in the database (outbox rows, digest runs)."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.runtime import Runtime

log = logging.getLogger(__name__)


def build_scheduler(runtime: Runtime) -> AsyncIOScheduler:
    """Run every job on the sweep interval; a stable id and replace_existing stop restarts doubling jobs."""
    scheduler = AsyncIOScheduler(timezone="UTC")

    async def run_all() -> None:
        try:
            await runtime.run_jobs_once()
        except Exception:
            log.exception("scheduled jobs failed; they run again at the next trigger")

    scheduler.add_job(
        run_all,
        "interval",
        seconds=runtime.settings.reminders.sweep_interval_seconds,
        id="joinup-jobs",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
    return scheduler
