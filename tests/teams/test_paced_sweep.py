"""A sweep of 10,000 Teams reminders to one tenant through the real notifier and a fake connector that throttles
like Teams: the pacer keeps every send inside the published limits (no 429), and the sweep takes no longer than
1.2 times the tenant limit's floor. Time is virtual (tests/fakes/virtual_time.py): the fake connector reads the
same clock as the pacer, so an hour of sending runs in seconds of wall time."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, func, select

from bot import pacing
from bot.config import TeamsSettings
from bot.teams.notify import build_teams_notifier
from handlers.messages import DeliveryFailed, Reply
from schedules.outbox.sweep import SendFailed, sweep
from schedules.settings import ReminderSettings
from schedules.time.clock import FakeClock
from storage.models import ConversationRef, Person, Reminder
from tests.fakes.teams import APP_ID, BOT_ID, FakeBotFramework, Limits
from tests.fakes.virtual_time import VirtualTime
from tests.teams.conftest import fixed_token

TENANT = "6c1f2e3d-4b5a-4978-8a9b-0c1d2e3f4a5b"
PEOPLE = 400
TENANT_PER_SECOND = 30


def seed(sessions: sessionmaker[Session], clock: FakeClock, fake: FakeBotFramework, count: int) -> None:
    """`PEOPLE` people in one tenant, each with a personal chat, and `count` reminders due now between them."""
    now = clock.now()
    with sessions.begin() as session:
        people = [
            Person(handle=f"paced.{n}", display_name=f"Paced {n}", quiet_hours_ok=True, created_at=now)
            for n in range(PEOPLE)
        ]
        session.add_all(people)
        session.flush()
        for person in people:
            session.add(
                ConversationRef(
                    person_id=person.id,
                    platform="teams",
                    address={
                        "service_url": fake.service_url,
                        "conversation_id": f"a:paced-{person.id}",
                        "user_id": f"29:paced-{person.id}",
                        "bot_id": BOT_ID,
                        "tenant_id": TENANT,
                    },
                    updated_at=now,
                )
            )
        ids = [person.id for person in people]
        session.execute(
            insert(Reminder),
            [
                {
                    "dedupe_key": f"paced:{n}",
                    "recipient_person_id": ids[n % PEOPLE],
                    "kind": "paced",
                    "subject_kind": "paced",
                    "subject_id": n,
                    "payload": {},
                    "due_at": now - timedelta(seconds=1),
                    "status": "pending",
                    "attempts": 0,
                    "last_error": "",
                    "message_ref": {},
                    "created_at": now,
                }
                for n in range(count)
            ],
        )


async def paced_sweep(
    sessions: sessionmaker[Session], clock: FakeClock, count: int
) -> tuple[float, int, int]:
    """Sweep `count` reminders to the limiting fake; return (virtual seconds taken, sends, 429s)."""
    fake = FakeBotFramework().start()
    time = VirtualTime()
    fake.enforce_limits(Limits(now=time.monotonic, tenant_of=lambda _conversation: TENANT))
    seed(sessions, clock, fake, count)
    pacing.configure(pacing.PacingSettings(), clock=time)
    try:
        notifier = build_teams_notifier(
            TeamsSettings(enabled=True, app_id=APP_ID, tenant_id=TENANT, allow_unauthenticated=True),
            sessions=sessions,
            token=fixed_token,
        )
        busy = 0

        async def deliver(reminder: Reminder) -> dict[str, Any]:
            nonlocal busy
            busy += 1
            try:
                reply = Reply(text=f"Reminder {reminder.subject_id}: TI-0042 is waiting.", kind="reminder")
                return await notifier.notify(person_id=reminder.recipient_person_id, reply=reply)
            except DeliveryFailed as error:
                raise SendFailed(error.reason, retry_after_seconds=error.retry_after_seconds) from error
            finally:
                busy -= 1
                time.poke()

        done = asyncio.Event()
        driver = asyncio.create_task(
            time.drive(busy=lambda: busy, until=done), name="joinup-loop:virtual-time"
        )
        try:
            report = await sweep(
                sessions=sessions,
                clock=clock,
                deliver=deliver,
                settings=ReminderSettings(batch_size=500, lease_seconds=3600),
            )
        finally:
            done.set()
            time.poke()
            await driver
        assert report.sent == count, report
        return time.now, len(fake.sent), fake.throttled
    finally:
        pacing.configure(pacing.PacingSettings(enabled=False))
        fake.stop()


def unsent(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.exec(
            select(func.count()).select_from(Reminder).where(col(Reminder.status) != "sent")
        ).one()


# 2,000 in every run; the full 10,000 nightly (about a minute of CPU: the Teams SDK's cost per send).
@pytest.mark.parametrize("count", [2_000, pytest.param(10_000, marks=pytest.mark.nightly)])
async def test_ten_thousand_reminders_to_one_tenant_get_no_429_and_go_near_the_limit(
    sessions: sessionmaker[Session], clock: FakeClock, count: int
) -> None:
    seconds, sent, throttled = await paced_sweep(sessions, clock, count)

    floor = count / TENANT_PER_SECOND
    assert throttled == 0
    assert sent == count
    assert unsent(sessions) == 0
    assert seconds <= floor * 1.2, f"{seconds:.0f} s against a floor of {floor:.0f} s"
    print(
        f"{count} reminders, one tenant: {seconds:.1f} virtual s, floor {floor:.1f} s ({seconds / floor:.3f}x)"
    )
