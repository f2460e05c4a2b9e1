"""Wiring: the one place that knows every handler module, job and platform adapter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.config import Settings
from bot.slack.dedupe import prune_job as prune_slack_events
from directory.demo import load_demo
from handlers import conversation as conversation_layer
from handlers import help as help_
from handlers.chronology import commands as chronology_chat
from handlers.digest import commands as manager_digests
from handlers.dispatch import Dispatcher
from handlers.escalation import commands as escalation_chat
from handlers.escalation import timers as escalation_reminders_chat
from handlers.insight import commands as insight_stats
from handlers.insight.jobs import fill_durations_job
from handlers.messages import Notifier
from handlers.outbox import delivery_failures as delivery_failure_notices
from handlers.retention import retention_job
from handlers.router import Router
from handlers.tracking import chasing as tracking_reminders
from handlers.tracking import commands as tracking
from handlers.upkeep import commands as directory_upkeep_chat
from schedules.escalation import policy as escalation_policy
from schedules.insight.history import seed_demo_history
from schedules.outbox import rows as outbox
from schedules.time.clock import Clock, FakeClock
from storage.db import make_engine, make_sessions

Job = Callable[["Runtime"], Awaitable[None]]
# Tells when a job next has work (e.g. the earliest pending reminder), so a fake clock can stop there.
Wakeup = Callable[["Runtime"], datetime | None]

# Handler modules, in the order help lists them. Each has register(router).
HANDLER_MODULES = [help_]
HANDLER_MODULES.append(conversation_layer)  # find, role, due, share?, setup, cancel (issue 5)
HANDLER_MODULES.append(directory_upkeep_chat)  # verify, stale: directory upkeep in chat (issue 4)
HANDLER_MODULES.append(manager_digests)  # digest daily|weekly|off|preview, upkeep nudges (issue 10)
HANDLER_MODULES.append(insight_stats)  # stats, insight, edit directory
HANDLER_MODULES += [escalation_chat, escalation_reminders_chat, chronology_chat]  # issue 7
HANDLER_MODULES.append(tracking)  # refer, tried, ack, feedback, mine, snooze, pause, resume, close (issue 6)
HANDLER_MODULES.append(delivery_failure_notices)  # undeliverable reminders reported (issue 11)


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
    jobs: list[tuple[str, Job]] = field(default_factory=list)
    wakeups: list[Wakeup] = field(default_factory=list)

    async def run_jobs_once(self) -> None:
        """Run every scheduled job once, in order (the console's /advance and the scheduler call this)."""
        for _job_id, job in self.jobs:
            await job(self)

    async def advance_to(
        self, clock: FakeClock, target: datetime, *, max_step: timedelta = timedelta(minutes=30)
    ) -> None:
        """Move a fake clock to `target`, stopping wherever a job has work, and run the jobs at each stop."""
        while clock.now() < target:
            stops = [target, clock.now() + max_step]
            stops += [at for wake in self.wakeups if (at := wake(self)) is not None and at > clock.now()]
            clock.set(min(stops))
            await self.run_jobs_once()


def build_runtime(
    *, settings: Settings, clock: Clock, notifier: Notifier, engine: Engine | None = None
) -> Runtime:
    """Create the engine, sessions, router and dispatcher for one process."""
    engine = engine or make_engine(settings.database_url)
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
        jobs=list(JOBS),
        wakeups=list(WAKEUPS),
    )


# Scheduled jobs (outbox sweep, escalation timers, digests, upkeep nudges), in the order they run.
JOBS: list[tuple[str, Job]] = []
WAKEUPS: list[Wakeup] = []
JOBS.append(("manager-digests", manager_digests.digest_job))  # digests and directory upkeep nudges (issue 10)
WAKEUPS.append(manager_digests.digest_wakeup)  # issue 10
JOBS.append(("retention", retention_job))  # daily purge of closed work past JOINUP_RETENTION_YEARS (issue 10)
JOBS.append(("escalation-timeouts", escalation_reminders_chat.record_timeouts_job))  # issue 7
WAKEUPS.append(escalation_reminders_chat.next_timeout)  # issue 7


async def sweep_outbox(runtime: Runtime) -> None:
    """Deliver every due reminder (issue 6): claimed under a lease, so any number of replicas may run it."""
    await tracking_reminders.run_sweep(
        router=runtime.router,
        sessions=runtime.sessions,
        clock=runtime.clock,
        notifier=runtime.notifier,
        settings=runtime.settings.reminders,
    )


def next_reminder_due(runtime: Runtime) -> datetime | None:
    """When the earliest pending reminder falls due (issue 6)."""
    with runtime.sessions() as session:
        return outbox.next_due_at(session=session)


JOBS.append(("outbox-sweep", sweep_outbox))  # issue 6
JOBS.append(("slack-event-prune", prune_slack_events))  # forget Slack event ids too old to be retried
WAKEUPS.append(next_reminder_due)  # issue 6
JOBS.append(("insight-durations", fill_durations_job))  # fill missing working-time durations (issue 12)

# Demo seeders: each loads its part of the Northbrook demo into an empty database, idempotently.
Seeder = Callable[[Session, Clock], None]
SEEDERS: list[Seeder] = []
SEEDERS.insert(0, load_demo)  # the Northbrook directory and demo people come first (issue 4)
SEEDERS.append(escalation_policy.seed)  # the shipped escalation policies (issue 7)
SEEDERS.append(seed_demo_history)  # six months of fictional referrals for insight and stats (issue 12)


def seed_demo(runtime: Runtime) -> None:
    """Load the demo borough (directory, people, policies) if it isn't there yet."""
    for seeder in SEEDERS:
        with runtime.sessions.begin() as session:
            seeder(session, runtime.clock)
