"""The job registry and its guard: one failing job is logged and counted, and never stops the others."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.config import Settings
from bot.console import ConsoleNotifier, ConsoleOutput, console_message
from bot.console_loop import ConsoleChat, run_console
from bot.runtime import JOBS, Runtime, build_runtime
from bot.scheduler import TRIGGER_ID, build_scheduler
from handlers.messages import RecordingNotifier
from schedules.jobs import Job, JobRegistry, JobStats, UnknownJob, run_job, run_jobs, wakeup_times
from schedules.time.clock import FakeClock
from storage.models import Reminder
from tests.handlers.conftest import load_demo_fast


class Broken(RuntimeError):
    """What the failing jobs below raise."""


@dataclass
class Context:
    """A small typed context, as a job may take instead of the whole runtime."""

    ran: list[str] = field(default_factory=list)


async def record(context: Context) -> None:
    context.ran.append("record")


async def fail(context: Context) -> None:
    context.ran.append("fail")
    raise Broken("the digest table is locked")


def ticks(*values: float) -> object:
    """A timer that returns `values` in turn, so durations are known."""
    it = iter(values)
    return lambda: next(it)


async def test_a_failing_job_is_timed_logged_once_with_its_traceback_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stats = JobStats()
    context = Context()
    job = Job("digests", fail)
    with caplog.at_level(logging.DEBUG, logger="schedules.jobs"):
        assert await run_job(job, context, stats=stats, timer=ticks(10.0, 10.25)) is False  # type: ignore[arg-type]
    [line] = caplog.records
    assert line.levelno == logging.ERROR
    assert line.getMessage().startswith("scheduled job digests failed after 0.250s; the other jobs carry on")
    assert line.exc_info is not None and isinstance(line.exc_info[1], Broken)
    assert (stats.runs["digests"], stats.failures["digests"], stats.failing_in_a_row["digests"]) == (1, 1, 1)
    assert stats.last_seconds["digests"] == pytest.approx(0.25)
    assert stats.last_error == {"digests": "Broken"}  # the class only: the message may quote user input


async def test_a_job_that_keeps_failing_logs_one_line_a_tick_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stats = JobStats()
    context = Context()
    job = Job("retention", fail)
    await run_job(job, context, stats=stats)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="schedules.jobs"):
        await run_job(job, context, stats=stats)
        await run_job(job, context, stats=stats)
    assert [r.getMessage() for r in caplog.records] == [
        "scheduled job retention failed again (Broken, 2 times in a row)",
        "scheduled job retention failed again (Broken, 3 times in a row)",
    ]
    assert all(r.exc_info is None for r in caplog.records)
    assert stats.failures["retention"] == 3


async def test_a_job_that_recovers_says_so_and_its_streak_resets(caplog: pytest.LogCaptureFixture) -> None:
    stats = JobStats()
    context = Context()
    await run_job(Job("retention", fail), context, stats=stats)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="schedules.jobs"):
        assert await run_job(Job("retention", record), context, stats=stats) is True
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "scheduled job retention is working again"
    ]
    assert stats.failing_in_a_row["retention"] == 0
    assert "retention" not in stats.last_error
    assert (stats.runs["retention"], stats.failures["retention"]) == (2, 1)  # the failure stays counted


async def test_run_jobs_runs_every_job_in_order_past_the_failing_ones() -> None:
    registry = JobRegistry([Job("a", fail), Job("b", record), Job("c", fail), Job("d", record)])
    context, stats = Context(), JobStats()
    assert await run_jobs(registry, context, stats=stats) == 2
    assert context.ran == ["fail", "record", "fail", "record"]
    assert dict(stats.failures) == {"a": 1, "c": 1}


async def test_cancelling_a_job_is_not_swallowed() -> None:
    async def cancelled(context: Context) -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await run_job(Job("sweep", cancelled), Context(), stats=JobStats())


def test_the_registry_keeps_run_order_and_refuses_a_name_twice() -> None:
    registry = JobRegistry([Job("b", record), Job("a", record)])
    assert registry.names == ("b", "a")
    assert "a" in registry and "z" not in registry
    assert registry["a"].run is record
    with pytest.raises(UnknownJob, match="no scheduled job called 'z'; registered: b, a"):
        registry["z"]
    with pytest.raises(ValueError, match="repeated: a"):
        JobRegistry([Job("a", record), Job("b", record), Job("a", fail)])


def test_a_failing_wakeup_is_skipped_and_counted_and_the_others_still_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    at = datetime(2026, 11, 27, 9, tzinfo=UTC)

    def broken(context: Context) -> datetime | None:
        raise Broken("no database")

    registry = JobRegistry(
        [
            Job("digests", record, wakeup=broken),
            Job("sweep", record, wakeup=lambda c: at),
            Job("idle", record, wakeup=lambda c: None),
            Job("prune", record),
        ]
    )
    stats = JobStats()
    with caplog.at_level(logging.ERROR, logger="schedules.jobs"):
        assert wakeup_times(registry, Context(), stats=stats) == [at]
    assert [r.getMessage() for r in caplog.records] == [
        "scheduled job digests could not say when it next has work (Broken)"
    ]
    assert dict(stats.wakeup_failures) == {"digests": 1}


def test_the_runtime_registers_each_job_once_in_run_order(engine: Engine, clock: FakeClock) -> None:
    runtime = build_runtime(settings=Settings(), clock=clock, notifier=RecordingNotifier(), engine=engine)
    assert runtime.jobs.names == tuple(job.name for job in JOBS)
    # The jobs that queue reminders run before the sweep, so what they queue goes out on the same tick.
    names = runtime.jobs.names
    assert names.index("manager-digests") < names.index("outbox-sweep")
    assert names.index("escalation-timeouts") < names.index("outbox-sweep")
    assert runtime.jobs["outbox-sweep"].wakeup is not None


async def always_fails(runtime: Runtime) -> None:
    raise Broken("the digest query times out")


def _failing_before_the_sweep(runtime: Runtime) -> JobRegistry[Runtime]:
    """The runtime's own jobs, with the digest and retention jobs replaced by ones that raise every time."""
    broken = {"manager-digests", "retention"}
    return JobRegistry(Job(job.name, always_fails) if job.name in broken else job for job in runtime.jobs)


async def test_a_job_that_always_fails_does_not_stop_the_sweep_sending_due_reminders(
    engine: Engine, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    out = io.StringIO()
    output = ConsoleOutput(stream=out, as_json=True)
    runtime = build_runtime(settings=Settings(), clock=clock, notifier=ConsoleNotifier(output), engine=engine)
    load_demo_fast(runtime.sessions, clock)
    runtime.jobs = _failing_before_the_sweep(runtime)
    chat = ConsoleChat(runtime, handle="hv.amy", output=output, fake_clock=clock)

    # Amy refers by secure email on Wednesday morning: the front door should acknowledge within a working day.
    script = "refer front door case NB-204518 by email\n/advance 2wd\n"
    with caplog.at_level(logging.ERROR, logger="schedules.jobs"):
        await run_console(chat, stdin=io.StringIO(script), interactive=False)

    said = [json.loads(line) for line in out.getvalue().splitlines()]
    chases = [m for m in said if m["kind"] == "reminder" and m["to"] == "hv.amy"]
    assert chases, said
    assert "NB-204518" in chases[0]["text"]
    with runtime.sessions() as session:
        sent = session.exec(select(Reminder).where(col(Reminder.status) == "sent")).all()
    assert sent
    # Every tick ran the broken jobs too: they were counted, and each failure was logged, not raised.
    assert runtime.job_stats.failures["manager-digests"] >= 2
    assert runtime.job_stats.failures["retention"] == runtime.job_stats.failures["manager-digests"]
    assert runtime.job_stats.failures["outbox-sweep"] == 0
    assert runtime.job_stats.runs["outbox-sweep"] == runtime.job_stats.runs["manager-digests"]
    assert {r.job for r in caplog.records} == {"manager-digests", "retention"}  # type: ignore[attr-defined]


async def test_the_scheduler_runs_the_jobs_under_the_guard_on_one_stable_trigger(
    engine: Engine, clock: FakeClock
) -> None:
    runtime = build_runtime(settings=Settings(), clock=clock, notifier=RecordingNotifier(), engine=engine)
    load_demo_fast(runtime.sessions, clock)
    runtime.jobs = _failing_before_the_sweep(runtime)
    await runtime.dispatcher.handle(
        console_message("hv.amy", text="refer front door case NB-204518 by email")
    )
    scheduler = build_scheduler(runtime)
    [trigger] = scheduler.get_jobs()
    assert trigger.id == TRIGGER_ID
    assert trigger.trigger.interval == timedelta(seconds=runtime.settings.reminders.sweep_interval_seconds)
    clock.advance(timedelta(days=2))  # Friday 10:00: the acknowledgement chase is due
    await trigger.func()
    with runtime.sessions() as session:
        assert session.exec(select(Reminder).where(col(Reminder.status) == "sent")).all()
    assert runtime.job_stats.failures["manager-digests"] == 1
