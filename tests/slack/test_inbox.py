"""The inbox behind Slack: stored before the ack, worked on by any replica, retried, emptied when done."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import Engine, text
from sqlmodel import col, select

from bot.inbox.worker import Inbox
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, InboxItem
from tests.fakes.slack import FakeSlack
from tests.slack import payloads
from tests.slack.conftest import AMY, Joinup, build_joinup


def inbox_rows(joinup: Joinup) -> list[InboxItem]:
    with joinup.runtime.sessions() as session:
        found = list(session.exec(select(InboxItem).order_by(col(InboxItem.id))))
        for row in found:
            session.expunge(row)
        return found


def the_inbox(joinup: Joinup) -> Inbox:
    assert joinup.runtime.inbox is not None
    return joinup.runtime.inbox


async def settled(joinup: Joinup) -> None:
    """Let the worker finish what it holds."""
    await the_inbox(joinup).drain()


async def test_a_slash_command_is_stored_answered_and_its_content_emptied(joinup: Joinup) -> None:
    response = await joinup.command("find health visitor")

    assert response.status_code == 200
    await joinup.fake.wait_for("response")
    await settled(joinup)
    (row,) = inbox_rows(joinup)
    assert (row.platform, row.kind, row.status, row.attempts) == ("slack", "slack.command", "done", 1)
    assert row.content == {}  # nothing the person typed outlives the answer


async def test_a_reply_that_fails_is_tried_again_after_a_backoff(joinup: Joinup) -> None:
    joinup.fake.fail("response", status=500)  # the first answer is refused

    await joinup.command("help")
    await settled(joinup)
    (row,) = inbox_rows(joinup)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "500" in row.last_error
    assert row.content["text"] == "help"  # kept for the next attempt

    joinup.clock.advance(timedelta(seconds=3))
    await settled(joinup)

    (answer,) = joinup.fake.calls_to("response")[1:]
    assert "I help you reach the right people" in answer.args["text"]
    (row,) = inbox_rows(joinup)
    assert (row.status, row.attempts, row.content) == ("done", 2, {})


async def test_after_the_last_attempt_the_person_is_told_in_one_line(joinup: Joinup) -> None:
    settings = the_inbox(joinup).settings
    joinup.fake.fail("response", status=500, times=settings.max_attempts)

    await joinup.command("help")
    for _ in range(settings.max_attempts):
        await settled(joinup)
        joinup.clock.advance(timedelta(minutes=5))

    told = joinup.fake.calls_to("response")[-1].args
    assert told["text"].startswith("Sorry, I couldn't handle your last message")
    (row,) = inbox_rows(joinup)
    assert (row.status, row.attempts, row.content) == ("failed", settings.max_attempts, {})
    assert row.last_error  # kept for an admin
    with joinup.runtime.sessions() as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert "inbox.failed" in actions


async def test_a_request_acked_by_a_replica_that_died_is_answered_by_another(
    fake_slack: FakeSlack, clock: FakeClock, engine: Engine
) -> None:
    runtime, http = build_joinup(fake=fake_slack, clock=clock, engine=engine)
    dying = runtime.inbox
    assert dying is not None
    dying.is_worker = False  # this replica acks, then dies before any worker touches the row
    async with http:
        response = await Joinup(runtime=runtime, http=http, fake=fake_slack, clock=clock).command("help")
    assert response.status_code == 200
    await asyncio.sleep(0.05)
    assert fake_slack.calls_to("response") == []

    survivor = Inbox(engine=engine, sessions=runtime.sessions, clock=clock)
    for kind, handling in dying.kinds.items():
        survivor.register(kind, handling)
    await survivor.drain()

    (answer,) = fake_slack.calls_to("response")
    assert "I help you reach the right people" in answer.args["text"]


async def test_a_worker_that_died_holding_a_row_loses_nothing(joinup: Joinup) -> None:
    inbox = the_inbox(joinup)
    inbox.is_worker = False
    await joinup.command("help")
    with joinup.runtime.sessions.begin() as session:  # a worker claimed the row, then was killed
        row = session.exec(select(InboxItem)).one()
        row.status, row.attempts = "claimed", 1
        row.lease_until = joinup.clock.now() + timedelta(seconds=inbox.settings.lease_seconds)
        session.add(row)

    await inbox.drain()
    assert joinup.fake.calls_to("response") == []  # the lease still holds

    joinup.clock.advance(timedelta(seconds=inbox.settings.lease_seconds + 1))
    await inbox.drain()
    assert len(joinup.fake.calls_to("response")) == 1
    assert inbox_rows(joinup)[0].status == "done"


async def test_a_redelivered_event_finds_its_row_and_is_answered_once(joinup: Joinup) -> None:
    event = payloads.dm_event("help", user=AMY, event_id="EvREDELIVERED")

    first = await joinup.event(event)
    again = await joinup.event(event, retry_num=1)
    await settled(joinup)

    assert (first.status_code, again.status_code) == (200, 200)
    assert len(joinup.fake.calls_to("chat.postMessage")) == 1
    assert len(inbox_rows(joinup)) == 1


async def test_done_rows_are_forgotten_once_no_redelivery_can_come(joinup: Joinup) -> None:
    await joinup.command("help")
    await settled(joinup)
    keep_days = the_inbox(joinup).settings.keep_done_days

    joinup.clock.advance(timedelta(days=keep_days) - timedelta(minutes=1))
    await joinup.runtime.run_jobs_once()
    assert len(inbox_rows(joinup)) == 1

    joinup.clock.advance(timedelta(minutes=2))
    await joinup.runtime.run_jobs_once()
    assert inbox_rows(joinup) == []


async def test_an_event_that_could_not_be_stored_is_refused_and_its_retry_answered(joinup: Joinup) -> None:
    event = payloads.dm_event("help", user=AMY, event_id="EvDBDOWN")
    with joinup.runtime.engine.begin() as connection:  # the database can't take the row
        connection.execute(text("ALTER TABLE inbox RENAME TO inbox_away"))

    refused = await joinup.event(event)

    with joinup.runtime.engine.begin() as connection:
        connection.execute(text("ALTER TABLE inbox_away RENAME TO inbox"))
    assert refused.status_code >= 500  # not acknowledged, so Slack retries it
    retried = await joinup.event(event, retry_num=1)
    await settled(joinup)

    assert retried.status_code == 200
    (answer,) = joinup.fake.calls_to("chat.postMessage")
    assert "I help you reach the right people" in answer.args["text"]
