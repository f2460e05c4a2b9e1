"""APScheduler 3 only triggers jobs; all state lives in the database (outbox rows, digest runs)."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.runtime import Runtime

TRIGGER_ID = "joinup-jobs"


def build_scheduler(runtime: Runtime) -> AsyncIOScheduler:
    """Run the registered jobs, in order, on the sweep interval.

    One trigger runs them all one after another (Runtime.run_jobs_once), each under the job guard, so a job
    that keeps failing is logged and counted while the others, the reminder sweep above all, still run. In
    order, because the digest and escalation jobs queue reminders that the sweep sends on the same tick. A
    stable id and replace_existing stop a restart doubling the trigger; max_instances=1 and coalesce stop a
    slow tick overlapping the next.
    """
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        runtime.run_jobs_once,
        "interval",
        seconds=runtime.settings.reminders.sweep_interval_seconds,
        id=TRIGGER_ID,
        name=f"joinup jobs: {', '.join(runtime.jobs.names)}",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
    return scheduler
