"""Proactive messages through the fake connector: retries, Retry-After, permanent failures, card updates."""

from __future__ import annotations

import httpx
import pytest

from bot.teams.retry import retry_after_seconds
from handlers.messages import Button, DeliveryFailed, Reply
from tests.fakes.teams import conversation_id
from tests.teams.conftest import AMY, TeamsJoinup

REMINDER = Reply(
    text="TI-0042: the health visiting team hasn't acknowledged your referral yet.",
    buttons=(Button("Acknowledge", "ack", "TI-0042", "primary"),),
    kind="reminder",
)


async def amy_id(joinup: TeamsJoinup) -> int:
    """Have Amy talk to the bot once (so her conversation is stored) and return her person id."""
    await joinup.say("help")
    joinup.fake.sent.clear()
    joinup.fake.attempts = 0
    amy = joinup.person("hv.amy")
    assert amy.id is not None
    return amy.id


async def test_a_reminder_reaches_the_personal_chat_as_a_card(joinup: TeamsJoinup) -> None:
    person_id = await amy_id(joinup)

    ref = await joinup.runtime.notifier.notify(person_id=person_id, reply=REMINDER)

    [sent] = joinup.fake.to(conversation_id(AMY))
    assert sent.text.startswith("TI-0042: the health visiting team")
    assert sent.card["body"][-1]["actions"][0]["data"] == {"action": "ack", "value": "TI-0042"}
    assert ref["platform"] == "teams"
    assert ref["conversation_id"] == conversation_id(AMY)


async def test_a_429_with_retry_after_is_delivered_once_after_the_wait(joinup: TeamsJoinup) -> None:
    person_id = await amy_id(joinup)
    joinup.fake.fail(status=429, retry_after=7)

    await joinup.notifier.notify(person_id=person_id, reply=REMINDER)

    assert len(joinup.fake.to(conversation_id(AMY))) == 1
    assert joinup.fake.attempts == 2
    assert joinup.sleep.waits == [7.0]


async def test_server_errors_are_retried_with_backoff(joinup: TeamsJoinup) -> None:
    person_id = await amy_id(joinup)
    joinup.fake.fail(status=503, times=2)

    await joinup.notifier.notify(person_id=person_id, reply=REMINDER)

    assert len(joinup.fake.to(conversation_id(AMY))) == 1
    assert len(joinup.sleep.waits) == 2


async def test_throttling_that_outlasts_the_retries_goes_back_to_the_outbox(joinup: TeamsJoinup) -> None:
    person_id = await amy_id(joinup)
    joinup.fake.fail(status=429, retry_after=3, times=10)

    with pytest.raises(DeliveryFailed) as failed:
        await joinup.notifier.notify(person_id=person_id, reply=REMINDER)

    assert failed.value.is_retryable
    assert failed.value.retry_after_seconds == 3.0
    assert joinup.fake.to(conversation_id(AMY)) == []


async def test_a_long_retry_after_is_not_waited_out_in_the_worker(joinup: TeamsJoinup) -> None:
    person_id = await amy_id(joinup)
    joinup.fake.fail(status=429, retry_after=600)

    with pytest.raises(DeliveryFailed) as failed:
        await joinup.notifier.notify(person_id=person_id, reply=REMINDER)

    assert failed.value.is_retryable
    assert failed.value.retry_after_seconds == 600.0
    assert joinup.sleep.waits == []


async def test_a_refusal_is_permanent(joinup: TeamsJoinup) -> None:
    person_id = await amy_id(joinup)
    joinup.fake.fail(status=403)  # e.g. the user blocked or uninstalled the bot

    with pytest.raises(DeliveryFailed) as failed:
        await joinup.notifier.notify(person_id=person_id, reply=REMINDER)

    assert not failed.value.is_retryable
    assert joinup.fake.attempts == 1


async def test_someone_who_never_installed_the_bot_cannot_be_reached(joinup: TeamsJoinup) -> None:
    kate = joinup.person("mgr.kate")
    assert kate.id is not None

    with pytest.raises(DeliveryFailed) as failed:
        await joinup.notifier.notify(person_id=kate.id, reply=REMINDER)

    assert not failed.value.is_retryable
    assert joinup.fake.sent == []


async def test_an_update_replaces_the_card_that_was_sent(joinup: TeamsJoinup) -> None:
    person_id = await amy_id(joinup)
    ref = await joinup.runtime.notifier.notify(person_id=person_id, reply=REMINDER)

    resolved = Reply(text="TI-0042 was acknowledged by the health visiting team. Nothing else to do.")
    await joinup.runtime.notifier.update(person_id=person_id, message_ref=ref, reply=resolved)

    first, update = joinup.fake.to(conversation_id(AMY))
    assert update.method == "PUT"
    assert update.activity_id == first.activity_id == ref["activity_id"]
    assert update.text.startswith("TI-0042 was acknowledged")
    assert "actions" not in str(update.card)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "12"}, 12.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"Retry-After": "Wed, 25 Nov 2026 10:00:30 GMT", "Date": "Wed, 25 Nov 2026 10:00:00 GMT"}, 30.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(httpx.Response(429, headers=headers)) == expected
