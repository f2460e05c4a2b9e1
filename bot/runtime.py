"""Wiring: the one place that knows every handler module, job and demo seeder.

Each registry is written out once, below, in the order it is used: handler modules in the order help lists
their commands, scheduled jobs in the order they run on each tick, demo seeders in the order they load.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.config import Settings
from bot.inbox.jobs import prune_inbox
from bot.inbox.worker import Inbox
from bot.slack.dedupe import prune_job as prune_slack_events
from directory.demo import load_demo, load_demo_neighbours
from handlers import (
    chronology,
    digest,
    escalation,
    find,
    flow,
    guidance,
    insight,
    onboarding,
    outbox,
    tracking,
    upkeep,
)
from handlers import help as help_
from handlers.digest.send import digest_job, digest_wakeup
from handlers.dispatch import Dispatcher
from handlers.escalation.timers import next_timeout, record_timeouts_job
from handlers.insight.jobs import fill_durations_job
from handlers.messages import Notifier
from handlers.retention import retention_job
from handlers.router import Router
from handlers.tracking.chasing import run_sweep
from handlers.upkeep.source_pulls import pull_sources_job
from schedules.escalation import policy as escalation_policy
from schedules.insight.history import seed_demo_history
from schedules.jobs import Job, JobRegistry, JobStats, run_jobs, wakeup_times
from schedules.outbox import rows as outbox_rows
from schedules.time.clock import Clock, FakeClock
from storage import audit
from storage.db import make_engine, make_sessions


class HandlerModule(Protocol):
    """A handler module or domain package: it registers its commands, buttons, flows and renderers."""

    def register(self, router: Router) -> None: ...


# Handler modules and domain packages, in the order help lists their commands.
HANDLER_MODULES: tuple[HandlerModule, ...] = (
    help_,  # help lists every command registered after it
    find,  # find, and free text as a directory search
    guidance,  # role, due, share?
    onboarding,  # setup, and the questions asked before someone's first tracked item
    flow,  # cancel and back when no question is open
    upkeep,  # verify, stale, and the directory review nudges
    digest,  # digest daily|weekly|off|preview
    insight,  # stats, insight, edit directory
    escalation,  # escalate, disagree, escalations, and the level-due reminders
    chronology,  # chronology of a case
    tracking,  # refer, tried, ack, feedback, mine, snooze, pause, resume, close, and the chases
    outbox,  # the notice that a reminder could not be delivered
)


def build_router() -> Router:
    """Build the router with every handler module registered."""
    router = Router()
    for module in HANDLER_MODULES:
        module.register(router)
    return router


@dataclass
class Runtime:
    """Everything a running joinup needs, built once per process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    notifier: Notifier
    router: Router
    dispatcher: Dispatcher
    jobs: JobRegistry[Runtime] = field(default_factory=lambda: JobRegistry(()))
    job_stats: JobStats = field(default_factory=JobStats)
    inbox: Inbox | None = None  # platform requests stored before they are acked; built by build_runtime

    async def run_jobs_once(self) -> None:
        """Run every scheduled job once, in order, each under the guard: one failing job never stops the rest.

        The console's /advance and its background loop, and `joinup serve`'s scheduler, call this.
        """
        await run_jobs(self.jobs, self, stats=self.job_stats)

    async def advance_to(
        self, clock: FakeClock, target: datetime, *, max_step: timedelta = timedelta(minutes=30)
    ) -> None:
        """Move a fake clock to `target`, stopping wherever a job has work, and run the jobs at each stop."""
        while clock.now() < target:
            now = clock.now()
            stops = [target, now + max_step]
            stops += [at for at in wakeup_times(self.jobs, self, stats=self.job_stats) if at > now]
            clock.set(min(stops))
            await self.run_jobs_once()


async def sweep_outbox(runtime: Runtime) -> None:
    """Deliver every due reminder: claimed under a lease, so any number of replicas may run it."""
    await run_sweep(
        router=runtime.router,
        sessions=runtime.sessions,
        clock=runtime.clock,
        notifier=runtime.notifier,
        settings=runtime.settings.reminders,
    )


def next_reminder_due(runtime: Runtime) -> datetime | None:
    """When the earliest pending reminder falls due."""
    with runtime.sessions() as session:
        return outbox_rows.next_due_at(session=session)


async def checkpoint_audit(runtime: Runtime) -> None:
    """Append the audit chain's head to the checkpoint file outside the database, when one is due."""
    path = runtime.settings.audit.checkpoint_path
    if path is None:
        return

    def write() -> None:
        with runtime.sessions() as session:
            audit.checkpoint_if_due(
                session=session, path=path, at=runtime.clock.now(),
                every_minutes=runtime.settings.audit.checkpoint_every_minutes,
            )  # fmt: skip

    await asyncio.to_thread(write)  # file and database reads: off the event loop


# Scheduled jobs, in the order they run on each tick. The digest job schedules directory review nudges
# and the escalation job records timeouts before the sweep runs, so what they queue goes out on the same tick.
JOBS: tuple[Job[Runtime], ...] = (
    Job("manager-digests", digest_job, wakeup=digest_wakeup),  # digests, and directory review nudges
    Job("retention", retention_job),  # daily purge of closed work past JOINUP_RETENTION_YEARS
    Job("escalation-timeouts", record_timeouts_job, wakeup=next_timeout),  # a level's time ran out
    Job("outbox-sweep", sweep_outbox, wakeup=next_reminder_due),  # every due reminder, chase and nudge
    Job("slack-event-prune", prune_slack_events),  # forget Slack event ids too old to be retried
    Job("inbox-prune", prune_inbox),  # forget done inbox rows once no redelivery can come
    Job("insight-durations", fill_durations_job),  # fill missing working-time durations
    Job("audit-checkpoint", checkpoint_audit),  # the audit chain's head, written outside the database
    Job("directory-source-pulls", pull_sources_job),  # neighbours' feeds, each at its interval
)


def build_runtime(
    *, settings: Settings, clock: Clock, notifier: Notifier, engine: Engine | None = None
) -> Runtime:
    """Create the engine, sessions, router, dispatcher and job registry for one process."""
    engine = engine or make_engine(settings.database_url)
    audit.use_keys(engine, settings.audit.keyring())  # the chain's keys live in settings, not the database
    sessions = make_sessions(engine)
    router = build_router()
    dispatcher = Dispatcher(
        router=router, sessions=sessions, clock=clock, notifier=notifier, settings=settings.domain()
    )
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        clock=clock,
        notifier=notifier,
        router=router,
        dispatcher=dispatcher,
        jobs=JobRegistry(JOBS),
        inbox=Inbox(engine=engine, sessions=sessions, clock=clock, settings=settings.inbox),
    )


# Demo seeders: each loads its part of the Northbrook demo into an empty database, idempotently.
Seeder = Callable[[Session, Clock], None]
SEEDERS: tuple[Seeder, ...] = (
    load_demo,  # the Northbrook directory and demo people come first: the rest refer to them
    escalation_policy.seed,  # the shipped escalation policies
    seed_demo_history,  # six months of fictional referrals for insight and stats
    load_demo_neighbours,  # Millbridge next door, pulled from its feeds (after the history: not our teams)
)


def seed_demo(runtime: Runtime) -> None:
    """Load the demo borough (directory, people, policies) if it isn't there yet."""
    for seeder in SEEDERS:
        with runtime.sessions.begin() as session:
            seeder(session, runtime.clock)
