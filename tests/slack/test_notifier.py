"""Proactive Slack DMs through the fake Web API: retries on 429 and 5xx, permanent failures, updates."""

from __future__ import annotations

import socket

import pytest
from pydantic import SecretStr
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot import pacing
from bot.config import Settings, SlackSettings
from bot.notify import build_routing_notifier
from bot.slack.client import build_web_client
from bot.slack.notifier import SlackNotifier, build_slack_notifier
from handlers.messages import Button, DeliveryFailed, Reply
from schedules.time.clock import FakeClock
from storage.models import ConversationRef, Person
from tests.fakes.slack import FakeSlack

USER = "U0AMYHUGHES"
REMINDER = Reply(
    text="TI-0042: the front door hasn't acknowledged your referral yet.",
    buttons=(
        Button("Acknowledged", "ack", "TI-0042", style="primary"),
        Button("Snooze", "snooze", "TI-0042"),
    ),
    kind="reminder",
)


def _person(sessions: sessionmaker[Session], clock: FakeClock, *, with_ref: bool = True) -> int:
    with sessions.begin() as session:
        person = Person(handle="hv.amy", display_name="Amy Hughes", created_at=clock.now())
        session.add(person)
        session.flush()
        assert person.id is not None
        if with_ref:
            session.add(
                ConversationRef(
                    person_id=person.id, platform="slack", address={"user_id": USER}, updated_at=clock.now()
                )
            )
        return person.id


def _notifier(fake: FakeSlack, sessions: sessionmaker[Session]) -> SlackNotifier:
    slack = SlackSettings(enabled=True, bot_token=SecretStr("xoxb-test"), api_url=fake.api_url)
    return build_slack_notifier(
        slack, sessions=sessions, retry_interval=FixedValueRetryIntervalCalculator(0.01)
    )


async def test_a_reminder_is_a_dm_with_its_buttons(
    fake_slack: FakeSlack, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person_id = _person(sessions, clock)
    ref = await _notifier(fake_slack, sessions).notify(person_id=person_id, reply=REMINDER)
    assert fake_slack.last("conversations.open")["users"] == USER
    posted = fake_slack.last("chat.postMessage")
    assert posted["channel"] == ref["channel"] == "D0AMYHUGHES"
    assert posted["text"] == REMINDER.text
    buttons = posted["blocks"][-1]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("joinup:ack", "TI-0042"),
        ("joinup:snooze", "TI-0042"),
    ]
    assert ref["ts"]


async def test_slack_answering_429_is_waited_out_and_delivered_once(
    fake_slack: FakeSlack, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person_id = _person(sessions, clock)
    fake_slack.fail("chat.postMessage", status=429, retry_after=1)
    await _notifier(fake_slack, sessions).notify(person_id=person_id, reply=REMINDER)
    calls = fake_slack.calls_to("chat.postMessage")
    assert len(calls) == 2  # the 429, then the one delivery after Retry-After
    assert calls[0].args == calls[1].args


async def test_500_twice_then_200_is_delivered_once(
    fake_slack: FakeSlack, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person_id = _person(sessions, clock)
    fake_slack.fail("chat.postMessage", status=500, times=2)
    ref = await _notifier(fake_slack, sessions).notify(person_id=person_id, reply=REMINDER)
    assert len(fake_slack.calls_to("chat.postMessage")) == 3
    assert ref["ts"]


async def test_a_502_is_retried_too(
    fake_slack: FakeSlack, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person_id = _person(sessions, clock)
    fake_slack.fail("conversations.open", status=502)
    await _notifier(fake_slack, sessions).notify(person_id=person_id, reply=REMINDER)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


async def test_5xx_that_outlasts_the_retries_is_a_retryable_failure(
    fake_slack: FakeSlack, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person_id = _person(sessions, clock)
    fake_slack.fail("chat.postMessage", status=503, times=3)
    with pytest.raises(DeliveryFailed) as raised:
        await _notifier(fake_slack, sessions).notify(person_id=person_id, reply=REMINDER)
    assert raised.value.is_retryable


async def test_rate_limits_that_outlast_the_retries_carry_retry_after(
    fake_slack: FakeSlack, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person_id = _person(sessions, clock)
    fake_slack.fail("conversations.open", status=429, retry_after=0, times=4)
    with pytest.raises(DeliveryFailed) as raised:
        await _notifier(fake_slack, sessions).notify(person_id=person_id, reply=REMINDER)
    assert raised.value.is_retryable and raised.value.retry_after_seconds == 0


async def test_a_deactivated_account_is_a_permanent_failure(
    fake_slack: FakeSlack, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person_id = _person(sessions, clock)
    fake_slack.fail("conversations.open", status=200, error="account_inactive")
    with pytest.raises(DeliveryFailed) as raised:
        await _notifier(fake_slack, sessions).notify(person_id=person_id, reply=REMINDER)
    assert not raised.value.is_retryable
    assert "account_inactive" in raised.value.reason
    assert fake_slack.calls_to("chat.postMessage") == []


async def test_someone_never_seen_on_slack_is_a_permanent_failure(
    fake_slack: FakeSlack, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person_id = _person(sessions, clock, with_ref=False)
    with pytest.raises(DeliveryFailed) as raised:
        await _notifier(fake_slack, sessions).notify(person_id=person_id, reply=REMINDER)
    assert not raised.value.is_retryable


async def test_slack_unreachable_is_a_retryable_failure(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person_id = _person(sessions, clock)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    slack = SlackSettings(
        enabled=True, bot_token=SecretStr("xoxb-test"), api_url=f"http://127.0.0.1:{port}/api/"
    )
    notifier = build_slack_notifier(
        slack, sessions=sessions, retry_interval=FixedValueRetryIntervalCalculator(0.01)
    )
    with pytest.raises(DeliveryFailed) as raised:
        await notifier.notify(person_id=person_id, reply=REMINDER)
    assert raised.value.is_retryable


async def test_update_replaces_the_message_and_its_buttons(
    fake_slack: FakeSlack, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person_id = _person(sessions, clock)
    notifier = _notifier(fake_slack, sessions)
    ref = await notifier.notify(person_id=person_id, reply=REMINDER)
    await notifier.update(person_id=person_id, message_ref=ref, reply=Reply(text="TI-0042 was acknowledged."))
    update = fake_slack.last("chat.update")
    assert (update["channel"], update["ts"]) == (ref["channel"], ref["ts"])
    assert update["text"] == "TI-0042 was acknowledged."
    assert all(block["type"] != "actions" for block in update["blocks"])


async def test_updating_a_deleted_message_is_not_an_error(
    fake_slack: FakeSlack, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person_id = _person(sessions, clock)
    fake_slack.fail("chat.update", status=200, error="message_not_found")
    await _notifier(fake_slack, sessions).update(
        person_id=person_id, message_ref={"channel": "D1", "ts": "1.2"}, reply=Reply(text="Done.")
    )


async def test_the_routing_notifier_sends_slack_people_through_slack(
    fake_slack: FakeSlack, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person_id = _person(sessions, clock)
    settings = Settings(
        database_url="sqlite://",
        slack=SlackSettings(enabled=True, bot_token=SecretStr("xoxb-test"), api_url=fake_slack.api_url),
    )
    routing = build_routing_notifier(settings, sessions)
    assert "slack" in routing.platforms
    ref = await routing.notify(person_id=person_id, reply=REMINDER)
    assert ref["platform"] == "slack" and ref["channel"] == "D0AMYHUGHES"
    await routing.update(person_id=person_id, message_ref=ref, reply=Reply(text="Resolved."))
    assert fake_slack.last("chat.update")["ts"] == ref["ts"]


def test_slack_is_not_wired_when_it_is_off(sessions: sessionmaker[Session]) -> None:
    assert "slack" not in build_routing_notifier(Settings(database_url="sqlite://"), sessions).platforms


async def test_the_dm_channel_is_opened_once_and_remembered(
    fake_slack: FakeSlack, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person_id = _person(sessions, clock)
    notifier = _notifier(fake_slack, sessions)

    for _ in range(3):
        await notifier.notify(person_id=person_id, reply=REMINDER)

    assert len(fake_slack.calls_to("conversations.open")) == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 3


async def test_posts_to_one_dm_wait_for_the_pacer(
    fake_slack: FakeSlack, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    person_id = _person(sessions, clock)
    waits: list[float] = []

    class RecordingTime:
        """Pacer time that stands still and records each wait instead of sleeping."""

        def monotonic(self) -> float:
            return 0.0

        async def sleep(self, seconds: float) -> None:
            waits.append(seconds)

    pacer = pacing.Pacer(clock=RecordingTime())
    slack = SlackSettings(enabled=True, bot_token=SecretStr("xoxb-test"), api_url=fake_slack.api_url)
    notifier = SlackNotifier(client=build_web_client(slack, pacer=pacer), sessions=sessions)

    for _ in range(3):
        await notifier.notify(person_id=person_id, reply=REMINDER)

    # One message a second per channel: the second and third posts wait their turn instead of meeting a 429.
    assert waits == [1.0, 2.0]
    assert len(fake_slack.calls_to("chat.postMessage")) == 3
