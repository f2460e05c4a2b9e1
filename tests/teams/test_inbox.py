"""The inbox behind Teams: a message is stored and acked before any work, answered by any replica's worker,
retried after a failure, and its content emptied when done. Card presses (invokes) stay inside the request."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import Engine, text
from sqlmodel import col, select

from bot.inbox.worker import Inbox
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, InboxItem
from tests.fakes.graph import FakeGraph
from tests.fakes.teams import FakeBotFramework, personal_activity
from tests.teams.conftest import AMY, TeamsJoinup, build_joinup


def inbox_rows(joinup: TeamsJoinup) -> list[InboxItem]:
    with joinup.runtime.sessions() as session:
        found = list(session.exec(select(InboxItem).order_by(col(InboxItem.id))))
        for row in found:
            session.expunge(row)
        return found


def the_inbox(joinup: TeamsJoinup) -> Inbox:
    assert joinup.runtime.inbox is not None
    return joinup.runtime.inbox


async def post_only(joinup: TeamsJoinup, activity: dict[str, object]) -> int:
    """POST an activity without letting any worker run (what the acking side alone does)."""
    response = await joinup.http.post("/api/messages", content=json.dumps(activity))
    return response.status_code


async def test_a_message_is_stored_and_acked_before_any_work_then_answered(joinup: TeamsJoinup) -> None:
    the_inbox(joinup).is_worker = False  # this replica only acknowledges
    activity = personal_activity(joinup.fake, user=AMY, text="help")

    assert await post_only(joinup, activity) == 200

    assert joinup.replies() == []  # acked, not yet answered
    (row,) = inbox_rows(joinup)
    assert (row.platform, row.kind, row.status) == ("teams", "teams.activity", "pending")
    assert row.content["text"] == "help"
    assert "attachments" not in row.content  # only what the work needs is kept

    await joinup.settled()
    (reply,) = joinup.replies()
    assert "I help you reach the right people" in reply
    (row,) = inbox_rows(joinup)
    assert (row.status, row.attempts, row.content) == ("done", 1, {})  # nothing typed outlives the answer


async def test_an_activity_acked_by_a_replica_that_died_is_answered_by_another(
    fake_teams: FakeBotFramework, fake_graph: FakeGraph, clock: FakeClock, engine: Engine
) -> None:
    dying = build_joinup(fake=fake_teams, graph=fake_graph, clock=clock, engine=engine)
    the_inbox(dying).is_worker = False  # it acks, then dies before any worker touches the row
    async with dying.http:
        assert await post_only(dying, personal_activity(fake_teams, user=AMY, text="help")) == 200
    assert dying.replies() == []

    survivor = build_joinup(fake=fake_teams, graph=fake_graph, clock=clock, engine=engine)
    async with survivor.http:
        await survivor.settled()

    (reply,) = survivor.replies()
    assert "I help you reach the right people" in reply


async def test_a_redelivery_of_an_activity_already_answered_is_ignored(joinup: TeamsJoinup) -> None:
    activity = personal_activity(joinup.fake, user=AMY, text="help", activity_id="f:answered")
    await joinup.post(activity)
    joinup.fake.fail(status=400)  # were the work repeated, this reply would fail

    again = await joinup.post(activity)

    assert again.status_code == 200
    assert len(joinup.replies()) == 1
    assert len(inbox_rows(joinup)) == 1


async def test_a_redelivery_while_the_first_is_still_waiting_is_answered_once(joinup: TeamsJoinup) -> None:
    the_inbox(joinup).is_worker = False
    activity = personal_activity(joinup.fake, user=AMY, text="help", activity_id="f:twice")

    assert await post_only(joinup, activity) == 200
    assert await post_only(joinup, activity) == 200  # the Bot Framework timed out and sent it again
    await joinup.settled()

    assert len(joinup.replies()) == 1


async def test_a_reply_that_fails_is_tried_again_and_answered(joinup: TeamsJoinup) -> None:
    joinup.fake.fail(status=400)  # the connector refuses the first reply

    response = await joinup.say("help")

    assert response.status_code == 200  # acked: the failure is the worker's to retry, not Teams'
    assert joinup.replies() == []
    (row,) = inbox_rows(joinup)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "400" in row.last_error
    assert row.content["text"] == "help"  # kept for the next attempt

    joinup.clock.advance(timedelta(seconds=3))
    await joinup.settled()

    (reply,) = joinup.replies()
    assert "I help you reach the right people" in reply
    (row,) = inbox_rows(joinup)
    assert (row.status, row.attempts, row.content) == ("done", 2, {})


async def test_after_the_last_attempt_the_person_is_told_in_one_line(joinup: TeamsJoinup) -> None:
    settings = the_inbox(joinup).settings
    joinup.fake.fail(status=400, times=settings.max_attempts)

    await joinup.say("help")
    for _ in range(settings.max_attempts):
        joinup.clock.advance(timedelta(minutes=5))
        await joinup.settled()

    (told,) = joinup.replies()
    assert told.startswith("Sorry, I couldn't handle your last message")
    (row,) = inbox_rows(joinup)
    assert (row.status, row.attempts, row.content) == ("failed", settings.max_attempts, {})
    assert row.last_error  # kept for an admin
    with joinup.runtime.sessions() as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert "inbox.failed" in actions


async def test_an_activity_that_could_not_be_stored_is_refused_and_its_redelivery_answered(
    joinup: TeamsJoinup,
) -> None:
    activity = personal_activity(joinup.fake, user=AMY, text="help", activity_id="f:db-down")
    with joinup.runtime.engine.begin() as connection:  # the database can't take the row
        connection.execute(text("ALTER TABLE inbox RENAME TO inbox_away"))

    refused = await joinup.http.post("/api/messages", content=json.dumps(activity))

    with joinup.runtime.engine.begin() as connection:
        connection.execute(text("ALTER TABLE inbox_away RENAME TO inbox"))
    assert refused.status_code >= 500  # not acknowledged, so the Bot Framework delivers it again
    assert joinup.replies() == []
    redelivered = await joinup.post(activity)

    assert redelivered.status_code == 200
    (reply,) = joinup.replies()
    assert "I help you reach the right people" in reply


async def test_a_card_press_is_answered_inside_its_request_and_stores_nothing(joinup: TeamsJoinup) -> None:
    the_inbox(joinup).is_worker = False  # no worker: the answer can only come from the request itself
    press = personal_activity(
        joinup.fake,
        user=AMY,
        type="invoke",
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": "help", "data": {"action": "help", "value": ""}}},
    )

    response = await joinup.http.post("/api/messages", content=json.dumps(press))

    assert response.status_code == 200
    assert "I help you reach the right people" in response.json()["value"]["fallbackText"]
    assert inbox_rows(joinup) == []
