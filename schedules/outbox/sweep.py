"""The outbox sweep: claim due reminders under a lease, deliver each once, retry failures with backoff.

Many sweepers may run at once (several `serve` replicas, or the console and a server on one database).
A claim is one short transaction: on PostgreSQL the due rows are locked with `FOR UPDATE SKIP LOCKED`, so two
sweepers never take the same row; on SQLite the engine starts every transaction with `BEGIN IMMEDIATE`, which
serialises writers. A claimed row carries `lease_until`; a sweeper that dies after claiming loses nothing,
because the row can be claimed again once its lease has run out. Delivery happens outside any transaction,
a few at a time (`send_concurrency`, never two to one person at once), and each row is marked sent (or
rescheduled) straight after, guarded by its lease, so a row whose lease was lost is never overwritten.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, Update, bindparam, update
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col

from schedules.outbox import delivery_failures
from schedules.outbox.claim import Claim, claim_due
from schedules.settings import ReminderSettings
from schedules.time.clock import Clock
from storage import audit
from storage.models import Reminder
from storage.redaction import redact

log = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600


class SendFailed(Exception):
    """Delivery failed; the deliver callable raises this (handlers translate the platform's error)."""

    def __init__(self, reason: str, *, is_retryable: bool = True, retry_after_seconds: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.is_retryable = is_retryable
        self.retry_after_seconds = retry_after_seconds


# Renders and sends one reminder; returns the platform's message reference, or None when the reminder is
# moot (its item was resolved meanwhile), which cancels it. Raises SendFailed (or anything) on failure.
Deliver = Callable[[Reminder], Awaitable[dict[str, Any] | None]]


@dataclass
class SweepReport:
    """What one sweep did."""

    claimed: int = 0
    sent: int = 0
    cancelled: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0  # due outside the recipient's working hours: moved to their next working time
    lost_leases: int = 0  # delivered, but another sweeper had taken the row over (a lease ran out)

    def add(self, other: SweepReport) -> None:
        """Add another report's counts to this one."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def backoff(attempts: int, retry_after_seconds: float | None = None) -> timedelta:
    """Return how long to wait before the next attempt: Retry-After if given, else doubling from a minute."""
    if retry_after_seconds is not None and retry_after_seconds > 0:
        return timedelta(seconds=retry_after_seconds)
    seconds = BACKOFF_FIRST_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


def _finish(
    session: Session | Connection, reminder_id: int, held_lease: datetime, values: dict[str, Any]
) -> bool:
    """Update a claimed row if this sweeper still holds its lease; tell whether it did."""
    result = session.execute(
        update(Reminder)
        .where(
            col(Reminder.id) == reminder_id,
            col(Reminder.status) == "claimed",
            col(Reminder.lease_until) == held_lease,
        )
        .values(**values)
    )
    assert isinstance(result, CursorResult)
    return bool(result.rowcount)


@dataclass(frozen=True, slots=True)
class _Outcome:
    reminder: Reminder
    name: str  # sent, cancelled, retried, failed
    values: dict[str, Any]


async def _deliver_one(
    *, clock: Clock, deliver: Deliver, settings: ReminderSettings, reminder: Reminder
) -> _Outcome:
    """Send one reminder and decide what its row becomes; the caller records it."""
    assert reminder.id is not None
    try:
        message_ref = await deliver(reminder)
    except Exception as error:
        failure = error if isinstance(error, SendFailed) else None
        if failure is None:
            log.exception("delivering a reminder failed", extra={"reminder_id": reminder.id})
        reason = redact(failure.reason if failure else type(error).__name__)[:500]
        is_retryable = failure.is_retryable if failure else True
        if is_retryable and reminder.attempts < settings.max_attempts:
            retry_at = clock.now() + backoff(
                reminder.attempts, failure.retry_after_seconds if failure else None
            )
            values: dict[str, Any] = {
                "status": "pending",
                "due_at": retry_at,
                "lease_until": None,
                "last_error": reason,
            }
            return _Outcome(reminder, "retried", values)
        return _Outcome(reminder, "failed", {"status": "failed", "lease_until": None, "last_error": reason})
    if message_ref is None:
        return _Outcome(reminder, "cancelled", {"status": "cancelled", "lease_until": None})
    values = {
        "status": "sent",
        "sent_at": clock.now(),
        "lease_until": None,
        "message_ref": message_ref,
        "last_error": "",
    }
    return _Outcome(reminder, "sent", values)


class _Recorder:
    """Writes each outcome straight after its delivery, guarded by this sweeper's lease.

    On PostgreSQL, sent and cancelled rows are written on one autocommit connection held for the batch, with
    synchronous_commit off: one round trip per message and no wait for the WAL flush. If PostgreSQL itself
    crashed at that moment, the worst case is that the message is sent again when its lease runs out;
    nothing is lost. Failures (audited) and retries use an ordinary transaction.
    """

    def __init__(
        self, *, sessions: sessionmaker[Session], clock: Clock, report: SweepReport, record_every: int = 1
    ) -> None:
        self.sessions, self.clock, self.report = sessions, clock, report
        self.record_every = record_every
        self._fast: Connection | None = None
        self._buffer: list[_Outcome] = []
        self._lease: datetime | None = None

    def __enter__(self) -> _Recorder:
        with self.sessions() as session:
            bind = session.get_bind()
        if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
            self._fast = bind.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._fast.exec_driver_sql("SET synchronous_commit TO OFF")
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.flush()
        finally:
            self._close()

    def _close(self) -> None:
        if self._fast is not None:
            try:
                self._fast.exec_driver_sql("RESET synchronous_commit")
            finally:
                self._fast.close()

    def add(self, outcome: _Outcome, lease_until: datetime) -> None:
        """Record an outcome now, or (with record_every > 1) once that many sends are waiting."""
        if self.record_every > 1 and outcome.name in ("sent", "cancelled"):
            self._buffer.append(outcome)
            self._lease = lease_until
            if len(self._buffer) >= self.record_every:
                self.flush()
            return
        self.flush()
        self.record(outcome, lease_until)

    def flush(self) -> None:
        """Write the waiting sends in one statement (an executemany), each still guarded by the lease."""
        if not self._buffer or self._lease is None:
            return
        waiting, self._buffer = self._buffer, []
        if self._fast is not None:
            held = _finish_many(self._fast, waiting, self._lease)
        else:
            with self.sessions.begin() as session:
                held = _finish_many(session.connection(), waiting, self._lease)
        lost = len(waiting) - held
        for outcome in waiting[: len(waiting) - lost]:
            _count(self.report, outcome.name)
        self.report.lost_leases += lost
        if lost:
            log.warning("reminder leases ran out while they were being delivered", extra={"lost": lost})

    def record(self, outcome: _Outcome, lease_until: datetime) -> None:
        """Write one outcome and count it."""
        assert outcome.reminder.id is not None
        if self._fast is not None and outcome.name in ("sent", "cancelled"):
            held = bool(self._fast.execute(_finish_statement(), _finish_row(outcome, lease_until)).rowcount)
        else:
            with self.sessions.begin() as session:
                held = _finish(session, outcome.reminder.id, lease_until, outcome.values)
                if held and outcome.name == "failed":
                    audit.record(
                        session=session,
                        at=self.clock.now(),
                        actor="joinup",
                        action="reminder.failed",
                        subject=f"reminder:{outcome.reminder.id}",
                        data={
                            "kind": outcome.reminder.kind,
                            "attempts": outcome.reminder.attempts,
                            "reason": outcome.values["last_error"],
                        },
                    )
                    delivery_failures.report(
                        session=session, now=self.clock.now(), reminder_ids=[outcome.reminder.id]
                    )
        if not held:
            log.warning(
                "a reminder's lease ran out while it was being delivered",
                extra={"reminder_id": outcome.reminder.id},
            )
        _count(self.report, outcome.name if held else "lost_leases")


@cache
def _finish_statement() -> Update:
    """The lease-guarded UPDATE that marks one row sent or cancelled, built once so every send reuses its
    compiled form (and psycopg its server-side prepared statement)."""
    table = Reminder.__table__  # type: ignore[attr-defined]
    return (
        update(table)
        .where(
            table.c.id == bindparam("b_id"),
            table.c.status == "claimed",
            table.c.lease_until == bindparam("b_lease", type_=table.c.lease_until.type),
        )
        .values(
            status=bindparam("b_status"),
            sent_at=bindparam("b_sent_at", type_=table.c.sent_at.type),
            message_ref=bindparam("b_ref", type_=table.c.message_ref.type),
            lease_until=None,
            last_error="",
        )
    )


def _finish_row(outcome: _Outcome, held_lease: datetime) -> dict[str, Any]:
    return {
        "b_id": outcome.reminder.id,
        "b_lease": held_lease,
        "b_status": outcome.values["status"],
        "b_sent_at": outcome.values.get("sent_at"),
        "b_ref": outcome.values.get("message_ref", {}),
    }


def _finish_many(connection: Connection, outcomes: list[_Outcome], held_lease: datetime) -> int:
    """Mark sent or cancelled rows this sweeper holds, in one executemany; return how many it held."""
    rows = [_finish_row(o, held_lease) for o in outcomes]
    return int(connection.execute(_finish_statement(), rows).rowcount)


def _count(report: SweepReport, outcome: str) -> None:
    setattr(report, outcome, getattr(report, outcome) + 1)


async def sweep(
    *,
    sessions: sessionmaker[Session],
    clock: Clock,
    deliver: Deliver,
    settings: ReminderSettings | None = None,
    max_batches: int | None = None,
) -> SweepReport:
    """Deliver every reminder that is due now, batch by batch, until none is left (or `max_batches`)."""
    settings = settings or ReminderSettings()
    report = SweepReport()
    batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        with sessions.begin() as session:
            claim = claim_due(session=session, now=clock.now(), settings=settings)
        report.claimed += len(claim.reminders)
        report.deferred += claim.deferred
        report.failed += claim.failed
        if not (claim.reminders or claim.failed or claim.deferred):
            break
        with _Recorder(
            sessions=sessions, clock=clock, report=report, record_every=settings.record_every
        ) as recorder:
            await _deliver_batch(claim, clock=clock, deliver=deliver, settings=settings, recorder=recorder)
    return report


async def _deliver_batch(
    claim: Claim, *, clock: Clock, deliver: Deliver, settings: ReminderSettings, recorder: _Recorder
) -> None:
    """Send a claimed batch, up to `send_concurrency` at once and in order per recipient, recording each
    outcome the moment it is known (so a crash can resend at most the sends that were in flight)."""
    slots = asyncio.Semaphore(settings.send_concurrency)
    per_recipient: dict[int, asyncio.Lock] = {}
    left = 0

    async def send(reminder: Reminder) -> None:
        nonlocal left
        # Wait for the person's previous reminder first, then for a free slot: a queued reminder holds no slot.
        async with per_recipient.setdefault(reminder.recipient_person_id, asyncio.Lock()), slots:
            if clock.now() >= claim.lease_until:
                # Our lease ran out (a long batch, or a stalled process): another sweeper may hold these rows
                # now, so sending them could send twice. They are left to be claimed again.
                left += 1
                return
            outcome = await _deliver_one(clock=clock, deliver=deliver, settings=settings, reminder=reminder)
            recorder.add(outcome, claim.lease_until)

    # A TaskGroup: if recording fails (the database went away), the other sends stop too; their rows stay
    # claimed and are sent when the lease runs out, as after a crash.
    async with asyncio.TaskGroup() as group:
        for reminder in claim.reminders:
            group.create_task(send(reminder))
    if left:
        log.warning("lease ran out mid-batch; leaving the rest", extra={"left": left})
