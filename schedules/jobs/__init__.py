"""Scheduled work, in one place: the job protocol, the registry and the guard every job runs under.

A job is a name, an async body that takes the running context (whatever the caller supplies: the bot
passes its runtime), and optionally a wake-up telling when the job next has work, so a fake clock can stop
there. `run_job` times each run, logs one line, counts failures and never lets one job stop the others.
Nothing here imports the bot or the handlers: the context type is the caller's.
"""

from schedules.jobs.registry import Job, JobBody, JobRegistry, UnknownJob, WakeUp
from schedules.jobs.runner import JobStats, run_job, run_jobs, wakeup_times

__all__ = [
    "Job",
    "JobBody",
    "JobRegistry",
    "JobStats",
    "UnknownJob",
    "WakeUp",
    "run_job",
    "run_jobs",
    "wakeup_times",
]
