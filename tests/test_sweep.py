"""The outbox sweep on SQLite: claims, leases, retries with backoff, quiet hours, cancellation of moot reminders."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from schedules.outbox import rows as outbox
from schedules.outbox.sweep import SendFailed, backoff, claim_due, sweep
from schedules.settings import ReminderSettings
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, Person, Reminder


def add_person(
    sessions: sessionmaker[Session], handle: str = "hv.amy", *, quiet_hours_ok: bool = False
) -> int:
    with sessions.begin() as session:
        person = Person(handle=handle, display_name=handle, quiet_hours_ok=quiet_hours_ok)
        session.add(person)
        session.flush()
        assert person.id is not None
        return person.id


def add_reminders(
    sessions: sessionmaker[Session], clock: FakeClock, person_id: int, count: int, *, due_in: timedelta
) -> list[int]:
    ids = []
    with sessions.begin() as session:
        for n in range(count):
            reminder = outbox.schedule(
                session=session,
                clock=clock,
                dedupe_key=f"test:{person_id}:{n}:{due_in}",
                recipient_person_id=person_id,
                kind="test",
                due_at=clock.now() + due_in,
                subject_kind="test",
                subject_id=n,
            )
            assert reminder is not None and reminder.id is not None
            ids.append(reminder.id)
    return ids


def statuses(sessions: sessionmaker[Session]) -> dict[int, str]:
    with sessions() as session:
        return {r.id or 0: r.status for r in session.exec(select(Reminder))}


class Recorder:
    """A deliver callable that records what it was asked to send, and can fail on demand."""

    def __init__(self, failures: list[Exception] | None = None, *, moot: set[int] | None = None) -> None:
        self.delivered: list[int] = []
        self.failures = failures or []
        self.moot = moot or set()

    async def __call__(self, reminder: Reminder) -> dict[str, Any] | None:
        assert reminder.id is not None
        if self.failures:
            raise self.failures.pop(0)
        if reminder.id in self.moot:
            return None
        self.delivered.append(reminder.id)
        return {"index": len(self.delivered)}


async def test_due_reminders_are_sent_once_and_future_ones_wait(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person = add_person(sessions)
    due = add_reminders(sessions, clock, person, 3, due_in=timedelta(0))
    later = add_reminders(sessions, clock, person, 1, due_in=timedelta(hours=2))
    deliver = Recorder()

    first = await sweep(sessions=sessions, clock=clock, deliver=deliver)
    again = await sweep(sessions=sessions, clock=clock, deliver=deliver)

    assert sorted(deliver.delivered) == due
    assert (first.claimed, first.sent, again.claimed, again.sent) == (3, 3, 0, 0)
    assert statuses(sessions) == {**dict.fromkeys(due, "sent"), later[0]: "pending"}
    with sessions() as session:
        sent = session.get(Reminder, due[0])
        assert sent is not None and sent.sent_at == clock.now() and sent.attempts == 1
        assert sent.message_ref == {"index": 1} and sent.lease_until is None
        assert outbox.next_due_at(session=session) == clock.now() + timedelta(hours=2)


async def test_a_sweep_drains_more_than_one_batch(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    person = add_person(sessions)
    add_reminders(sessions, clock, person, 25, due_in=timedelta(0))
    deliver = Recorder()

    report = await sweep(
        sessions=sessions, clock=clock, deliver=deliver, settings=ReminderSettings(batch_size=10)
    )

    assert report.sent == 25 and len(set(deliver.delivered)) == 25


async def test_a_moot_reminder_is_cancelled_not_sent(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person = add_person(sessions)
    first, second = add_reminders(sessions, clock, person, 2, due_in=timedelta(0))
    deliver = Recorder(moot={first})

    report = await sweep(sessions=sessions, clock=clock, deliver=deliver)

    assert (report.sent, report.cancelled) == (1, 1)
    assert statuses(sessions) == {first: "cancelled", second: "sent"}


async def test_a_failed_delivery_is_retried_with_backoff_then_sent(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person = add_person(sessions)
    (reminder_id,) = add_reminders(sessions, clock, person, 1, due_in=timedelta(0))
    deliver = Recorder([SendFailed("slack is down"), SendFailed("still down")])

    first = await sweep(sessions=sessions, clock=clock, deliver=deliver)
    with sessions() as session:
        row = session.get(Reminder, reminder_id)
        assert row is not None
        assert (row.status, row.attempts, row.last_error) == ("pending", 1, "slack is down")
        assert row.due_at == clock.now() + timedelta(seconds=60)
    assert first.retried == 1 and deliver.delivered == []

    assert (await sweep(sessions=sessions, clock=clock, deliver=deliver)).claimed == 0  # not yet
    clock.advance(timedelta(seconds=60))
    await sweep(sessions=sessions, clock=clock, deliver=deliver)
    with sessions() as session:
        row = session.get(Reminder, reminder_id)
        assert row is not None and (row.attempts, row.due_at) == (2, clock.now() + timedelta(seconds=120))
    clock.advance(timedelta(seconds=120))
    last = await sweep(sessions=sessions, clock=clock, deliver=deliver)

    assert last.sent == 1 and deliver.delivered == [reminder_id]
    with sessions() as session:
        row = session.get(Reminder, reminder_id)
        assert row is not None and (row.status, row.attempts, row.last_error) == ("sent", 3, "")


async def test_retry_after_is_honoured(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    person = add_person(sessions)
    (reminder_id,) = add_reminders(sessions, clock, person, 1, due_in=timedelta(0))

    await sweep(sessions=sessions, clock=clock, deliver=Recorder([SendFailed("429", retry_after_seconds=7)]))

    with sessions() as session:
        row = session.get(Reminder, reminder_id)
        assert row is not None and row.due_at == clock.now() + timedelta(seconds=7)


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 7, 20)] == [60, 120, 240, 3600, 3600]


async def test_a_permanent_failure_stops_and_is_audited(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person = add_person(sessions)
    (reminder_id,) = add_reminders(sessions, clock, person, 1, due_in=timedelta(0))
    deliver = Recorder([SendFailed("no conversation with this person", is_retryable=False)])

    report = await sweep(sessions=sessions, clock=clock, deliver=deliver)

    assert report.failed == 1
    with sessions() as session:
        row = session.get(Reminder, reminder_id)
        assert row is not None and row.status == "failed"
        event = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "reminder.failed")).one()
        assert event.subject == f"reminder:{reminder_id}"


async def test_attempts_run_out_after_max_attempts(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    person = add_person(sessions)
    (reminder_id,) = add_reminders(sessions, clock, person, 1, due_in=timedelta(0))
    deliver = Recorder([RuntimeError("boom") for _ in range(5)])
    settings = ReminderSettings(max_attempts=3)

    for _ in range(4):
        await sweep(sessions=sessions, clock=clock, deliver=deliver, settings=settings)
        clock.advance(timedelta(hours=1))

    with sessions() as session:
        row = session.get(Reminder, reminder_id)
        assert row is not None and (row.status, row.attempts, row.last_error) == ("failed", 3, "RuntimeError")
    assert deliver.delivered == [] and len(deliver.failures) == 2


async def test_reminders_wait_for_working_hours_unless_the_person_opted_out(
    sessions: sessionmaker[Session],
) -> None:
    # Friday 27 November 2026, 20:00 London: the next working time is Monday 30 November, 9am.
    clock = FakeClock(datetime(2026, 11, 27, 20, 0, tzinfo=UTC))
    night_owl = add_person(sessions, "mgr.kate", quiet_hours_ok=True)
    person = add_person(sessions)
    (waits,) = add_reminders(sessions, clock, person, 1, due_in=timedelta(0))
    (goes,) = add_reminders(sessions, clock, night_owl, 1, due_in=timedelta(0))
    deliver = Recorder()

    report = await sweep(sessions=sessions, clock=clock, deliver=deliver)

    assert (report.sent, report.deferred) == (1, 1) and deliver.delivered == [goes]
    with sessions() as session:
        assert outbox.next_due_at(session=session) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    await sweep(sessions=sessions, clock=clock, deliver=deliver)
    assert deliver.delivered == [goes, waits]


async def test_a_dead_sweepers_claim_is_delivered_once_its_lease_runs_out(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person = add_person(sessions)
    ids = add_reminders(sessions, clock, person, 3, due_in=timedelta(0))
    settings = ReminderSettings(lease_seconds=120)
    with sessions.begin() as session:  # a sweeper claims, then dies before delivering anything
        claim = claim_due(session=session, now=clock.now(), settings=settings)
    assert len(claim.reminders) == 3
    deliver = Recorder()

    assert (await sweep(sessions=sessions, clock=clock, deliver=deliver, settings=settings)).claimed == 0
    clock.advance(timedelta(seconds=121))
    report = await sweep(sessions=sessions, clock=clock, deliver=deliver, settings=settings)

    assert report.sent == 3 and sorted(deliver.delivered) == ids
    with sessions() as session:
        assert {r.attempts for r in session.exec(select(Reminder))} == {2}


async def test_a_sweeper_that_lost_its_lease_does_not_overwrite_the_new_claim(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person = add_person(sessions)
    (reminder_id,) = add_reminders(sessions, clock, person, 1, due_in=timedelta(0))
    settings = ReminderSettings(lease_seconds=60)
    second = Recorder([SendFailed("flaky")])
    reports = []

    async def slow(reminder: Reminder) -> dict[str, Any]:
        # The first sweeper stalls past its lease; meanwhile another sweeper takes the row over.
        clock.advance(timedelta(seconds=61))
        reports.append(await sweep(sessions=sessions, clock=clock, deliver=second, settings=settings))
        return {"slow": True}

    first = await sweep(sessions=sessions, clock=clock, deliver=slow, settings=settings)

    assert first.lost_leases == 1 and reports[0].retried == 1
    with sessions() as session:
        row = session.get(Reminder, reminder_id)
        assert row is not None and (row.status, row.last_error) == ("pending", "flaky")


async def test_a_sweeper_whose_lease_ran_out_mid_batch_sends_no_more_of_it(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person = add_person(sessions)
    ids = add_reminders(sessions, clock, person, 3, due_in=timedelta(0))
    settings = ReminderSettings(lease_seconds=60)
    delivered: list[int] = []

    async def stalls_once(reminder: Reminder) -> dict[str, Any]:
        assert reminder.id is not None
        if not delivered:
            clock.advance(timedelta(seconds=61))  # the process stalls past its lease
        delivered.append(reminder.id)
        return {}

    report = await sweep(sessions=sessions, clock=clock, deliver=stalls_once, settings=settings)

    # The first was recorded (nobody had taken it over); the other two were left and claimed afresh.
    assert sorted(delivered) == ids and report.sent == 3
    with sessions() as session:
        assert [session.get(Reminder, i).attempts for i in ids] == [1, 2, 2]  # type: ignore[union-attr]


async def test_recording_sends_in_groups_marks_every_row(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person = add_person(sessions)
    ids = add_reminders(sessions, clock, person, 25, due_in=timedelta(0))
    deliver = Recorder(moot={ids[3]})

    report = await sweep(
        sessions=sessions,
        clock=clock,
        deliver=deliver,
        settings=ReminderSettings(batch_size=10, record_every=4),
    )

    assert (report.sent, report.cancelled, report.lost_leases) == (24, 1, 0)
    with sessions() as session:
        rows = {r.id: r for r in session.exec(select(Reminder))}
    assert rows[ids[3]].status == "cancelled"
    assert all(
        rows[i].status == "sent" and rows[i].message_ref and rows[i].sent_at for i in ids if i != ids[3]
    )


async def test_sends_overlap_up_to_the_limit_but_never_two_to_one_person(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    people = [add_person(sessions, f"p{n}", quiet_hours_ok=True) for n in range(6)]
    ids = {person: add_reminders(sessions, clock, person, 3, due_in=timedelta(0)) for person in people}
    settings = ReminderSettings(send_concurrency=4)
    in_flight: list[int] = []
    most = 0
    order: dict[int, list[int]] = {}

    async def slow(reminder: Reminder) -> dict[str, Any]:
        nonlocal most
        assert reminder.id is not None
        assert reminder.recipient_person_id not in in_flight  # one at a time per person
        in_flight.append(reminder.recipient_person_id)
        most = max(most, len(in_flight))
        await asyncio.sleep(0.01)
        in_flight.remove(reminder.recipient_person_id)
        order.setdefault(reminder.recipient_person_id, []).append(reminder.id)
        return {"ts": str(reminder.id)}

    report = await sweep(sessions=sessions, clock=clock, deliver=slow, settings=settings)

    assert report.sent == 18 and most == 4
    assert order == ids  # each person's reminders went in the order they fell due
    with sessions() as session:
        assert {r.status for r in session.exec(select(Reminder))} == {"sent"}
