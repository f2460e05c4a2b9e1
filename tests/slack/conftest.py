"""The whole joinup web app with Slack on, the demo borough loaded, and a fake Slack Web API on port 0."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.config import Settings, SlackSettings
from bot.notify import RoutingNotifier
from bot.runtime import Runtime, build_runtime
from bot.slack.notifier import build_slack_notifier
from bot.web import build_web_app
from directory.demo import load_demo
from schedules.time.clock import FakeClock
from storage.db import make_sessions
from storage.models import Person
from tests.fakes.slack import FakeSlack
from tests.slack import payloads

# Slack user ids for the demo people; users.info gives their demo e-mail, which links them on first contact.
AMY = "U0AMYHUGHES"  # hv.amy, a health visitor
JO = "U0JOBENNETT"  # sw.jo, a front-door social worker
STRANGER = "U0STRANGER1"  # a Slack user joinup has never met, with an e-mail nobody in joinup has


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """The fake Slack Web API, knowing the demo users' e-mail addresses."""
    fake = FakeSlack().start()
    fake.add_user(AMY, email="hv.amy@example.org", name="Amy Hughes")
    fake.add_user(JO, email="sw.jo@example.org", name="Jo Bennett")
    fake.add_user(STRANGER, email="new.starter@example.org", name="Sam Newman")
    yield fake
    fake.stop()


def slack_settings(fake: FakeSlack) -> Settings:
    """Settings with Slack enabled and pointed at the fake."""
    return Settings(
        database_url="sqlite://",
        slack=SlackSettings(
            enabled=True,
            bot_token=SecretStr("xoxb-0000-test"),
            signing_secret=SecretStr(payloads.SIGNING_SECRET),
            api_url=fake.api_url,
        ),
    )


@dataclass
class Joinup:
    """The running app, the fake Slack it talks to, and ways to send it signed Slack requests."""

    runtime: Runtime
    http: httpx.AsyncClient
    fake: FakeSlack
    clock: FakeClock

    async def post(
        self, body: str, *, content_type: str, retry_num: int | None = None, **sign: Any
    ) -> httpx.Response:
        """POST a body to /slack/events, signed as Slack signs it."""
        headers = payloads.signed_headers(body, content_type=content_type, **sign)
        if retry_num is not None:
            headers |= {"x-slack-retry-num": str(retry_num), "x-slack-retry-reason": "http_timeout"}
        return await self.http.post("/slack/events", content=body, headers=headers)

    async def command(self, text: str, *, user: str = AMY) -> httpx.Response:
        """Send `/joinup <text>`."""
        fields = payloads.slash_command(text, user=user, response_url=self.fake.response_url())
        return await self.post(payloads.form_body(fields), content_type="application/x-www-form-urlencoded")

    async def event(self, event: dict[str, Any], *, retry_num: int | None = None) -> httpx.Response:
        """Send an Events API callback."""
        return await self.post(json.dumps(event), content_type="application/json", retry_num=retry_num)

    async def dm(self, text: str, *, user: str = AMY) -> httpx.Response:
        """Send a DM to the bot."""
        return await self.event(payloads.dm_event(text, user=user))

    async def interact(self, payload: dict[str, Any]) -> httpx.Response:
        """Send an interactivity payload (block_actions, view_submission)."""
        return await self.post(
            payloads.interactive_body(payload), content_type="application/x-www-form-urlencoded"
        )

    def person(self, handle: str) -> Person:
        """Return a person by handle."""
        with self.runtime.sessions() as session:
            found = session.exec(select(Person).where(col(Person.handle) == handle)).one()
            session.expunge(found)
            return found


def build_joinup(*, fake: FakeSlack, clock: FakeClock, engine: Engine) -> tuple[Runtime, httpx.AsyncClient]:
    """Build the runtime (demo loaded, Slack notifier wired) and an HTTP client on the ASGI app."""
    settings = slack_settings(fake)
    sessions = make_sessions(engine)
    # Tests don't wait out real back-off: 10 ms between retries of 5xx and dropped connections.
    slack = build_slack_notifier(
        settings.slack, sessions=sessions, retry_interval=FixedValueRetryIntervalCalculator(0.01)
    )
    notifier = RoutingNotifier(sessions=sessions, platforms={"slack": slack})
    runtime = build_runtime(settings=settings, clock=clock, notifier=notifier, engine=engine)
    # The Northbrook directory and demo people; not the months of demo history, which no test here needs.
    with runtime.sessions.begin() as session:
        load_demo(session, clock)
    transport = httpx.ASGITransport(app=build_web_app(runtime))
    return runtime, httpx.AsyncClient(transport=transport, base_url="http://joinup.test")


@pytest.fixture
async def joinup(fake_slack: FakeSlack, clock: FakeClock, engine: Engine) -> AsyncIterator[Joinup]:
    """joinup's FastAPI app with Slack mounted, over a fresh in-memory database."""
    runtime, http = build_joinup(fake=fake_slack, clock=clock, engine=engine)
    async with http:
        yield Joinup(runtime=runtime, http=http, fake=fake_slack, clock=clock)
