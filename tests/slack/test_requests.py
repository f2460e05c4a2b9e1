"""What reaches POST /slack/events: signatures, old timestamps, malformed bodies, retries and duplicates."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from sqlalchemy import Engine
from sqlmodel import col, func, select

from bot.slack.client import build_web_client
from bot.slack.identity import BotIdentity
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, InboxItem
from tests.fakes.slack import BOT_USER_ID, FakeSlack
from tests.slack import payloads
from tests.slack.conftest import AMY, Joinup, build_joinup, slack_settings


async def test_help_by_slash_command_answers_through_the_response_url(joinup: Joinup) -> None:
    response = await joinup.command("help")
    assert response.status_code == 200
    (call,) = await joinup.fake.wait_for("response")
    text = call.args["text"]
    assert "I help you reach the right people" in text
    kinds = [block["type"] for block in call.args["blocks"]]
    assert kinds[0] == "section" and "section" in kinds[1:]  # the text, then the commands as fields
    assert call.args["response_type"] == "ephemeral"  # only the person who asked sees the answer


async def test_a_bad_signature_is_refused_with_401_and_nothing_runs(joinup: Joinup) -> None:
    body = payloads.form_body(
        payloads.slash_command("help", user=AMY, response_url=joinup.fake.response_url())
    )
    headers = payloads.signed_headers(
        body, secret="not-the-signing-secret", content_type="application/x-www-form-urlencoded"
    )
    response = await joinup.http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 401
    await asyncio.sleep(0.05)
    assert joinup.fake.calls == []


async def test_a_request_older_than_five_minutes_is_refused_with_401(joinup: Joinup) -> None:
    response = await joinup.post(
        json.dumps(payloads.dm_event("help", user=AMY)),
        content_type="application/json",
        timestamp=int(time.time()) - 6 * 60,
    )
    assert response.status_code == 401


async def test_a_request_without_signature_headers_is_refused_with_401(joinup: Joinup) -> None:
    response = await joinup.http.post(
        "/slack/events", content=b"{}", headers={"content-type": "application/json"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('{"type": "event_callback", "event_id": "Ev1"}', "application/json"),
        ('{"type": "event_callback", "event_id": "Ev2", "event": "message"}', "application/json"),
        (
            '{"type": "event_callback", "event_id": "Ev3", "event": {"type": "message", "user": 7}}',
            "application/json",
        ),
        ("payload=%7Bnot+json", "application/x-www-form-urlencoded"),
        (
            "payload=" + json.dumps({"type": "block_actions", "actions": []}),
            "application/x-www-form-urlencoded",
        ),
        (
            "payload=" + json.dumps({"type": "block_actions", "user": {"id": "U1"}, "actions": "x"}),
            "application/x-www-form-urlencoded",
        ),
        (
            "payload=" + json.dumps({"type": "view_submission", "user": {"id": "U1"}}),
            "application/x-www-form-urlencoded",
        ),
        ("command=%2Fjoinup&text=help", "application/x-www-form-urlencoded"),
        ('{"type": "url_verification"}', "application/json"),
        ('{"type": "something_new"}', "application/json"),
        ("", "application/json"),
    ],
    ids=lambda value: value[:40] if isinstance(value, str) else value,
)
async def test_malformed_signed_payloads_get_a_4xx_never_a_500(
    joinup: Joinup, body: str, content_type: str
) -> None:
    response = await joinup.post(body, content_type=content_type)
    assert 400 <= response.status_code < 500, response.text


async def test_a_body_that_is_not_utf8_gets_a_4xx(joinup: Joinup) -> None:
    body = b"payload=\xff\xfe"
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": str(int(time.time())),
        "x-slack-signature": "v0=00",
    }
    response = await joinup.http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 401
    headers["x-slack-request-timestamp"] = "yesterday"
    response = await joinup.http.post("/slack/events", content=b"{}", headers=headers)
    assert response.status_code == 401


async def test_url_verification_echoes_the_challenge(joinup: Joinup) -> None:
    body = json.dumps({"type": "url_verification", "token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY"})
    response = await joinup.post(body, content_type="application/json")
    assert response.status_code == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY" in response.text


async def test_a_retried_event_is_handled_once(joinup: Joinup) -> None:
    event = payloads.dm_event("help", user=AMY, event_id="Ev0RETRY001")
    first = await joinup.event(event)
    again = await joinup.event(event, retry_num=1)
    third = await joinup.event(event, retry_num=2)
    assert [first.status_code, again.status_code, third.status_code] == [200, 200, 200]
    await joinup.fake.wait_for("chat.postMessage")
    await asyncio.sleep(0.2)  # a duplicate would have been posted by now
    assert len(joinup.fake.calls_to("chat.postMessage")) == 1
    with joinup.runtime.sessions() as session:
        keys = session.exec(select(InboxItem.event_key)).all()
    assert keys == ["slack:event:Ev0RETRY001"]  # the inbox row is the event's one record


async def test_the_same_event_id_twice_without_a_retry_header_is_still_one_side_effect(
    joinup: Joinup,
) -> None:
    # An onboarding-free side effect that writes: the first DM from a Slack user links them (audit row).
    event = payloads.dm_event("help", user=AMY, event_id="Ev0DUPLICATE")
    await asyncio.gather(joinup.event(event), joinup.event(event))
    await joinup.fake.wait_for("chat.postMessage")
    await asyncio.sleep(0.2)
    assert len(joinup.fake.calls_to("chat.postMessage")) == 1
    assert len(joinup.fake.calls_to("users.info")) == 1
    with joinup.runtime.sessions() as session:
        errors = session.exec(
            select(func.count()).select_from(AuditEvent).where(col(AuditEvent.action) == "error")
        )
        assert errors.one() == 0


async def test_slack_web_api_down_at_the_first_request_does_not_fail_a_slash_command(
    fake_slack: FakeSlack, clock: FakeClock, engine: Engine
) -> None:
    fake_slack.fail("auth.test", status=500, times=50)  # who the bot is can't be learned yet
    runtime, http = build_joinup(fake=fake_slack, clock=clock, engine=engine)
    app = Joinup(runtime=runtime, http=http, fake=fake_slack, clock=clock)
    async with http:
        response = await app.command("help")

        assert response.status_code == 200
        await fake_slack.wait_for("response")
    assert "I help you reach the right people" in fake_slack.last("response")["text"]


async def test_who_the_bot_is_is_learned_in_the_background_once_slack_answers(fake_slack: FakeSlack) -> None:
    fake_slack.fail("auth.test", status=500, times=6)  # two attempts' worth, each retried twice
    client = build_web_client(
        slack_settings(fake_slack).slack, retry_interval=FixedValueRetryIntervalCalculator(0.01)
    )
    identity = BotIdentity(client=client, retry_seconds=(0.01,))

    first = identity.result(enterprise_id=None, team_id="T1", user_id=AMY)  # starts learning; never waits
    assert first.bot_token == "xoxb-0000-test" and first.bot_user_id is None
    await asyncio.wait_for(identity.known.wait(), timeout=10)
    await identity.stop()

    known = identity.result(enterprise_id=None, team_id="T1", user_id=AMY)
    assert known.bot_user_id == BOT_USER_ID
    assert len(fake_slack.calls_to("auth.test")) == 7
