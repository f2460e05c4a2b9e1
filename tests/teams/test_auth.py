"""Bot Framework JWT validation: on in production, keys fetched from the (fake) OpenID metadata."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from bot.config import Settings, TeamsSettings
from bot.notify import build_routing_notifier
from bot.runtime import build_runtime
from bot.web import build_web_app
from schedules.time.clock import FakeClock
from storage.db import make_sessions
from tests.fakes.graph import FakeGraph
from tests.fakes.teams import APP_ID, TENANT_ID, FakeBotFramework, conversation_id, personal_activity
from tests.teams.conftest import AMY, TeamsJoinup, build_joinup


@pytest.fixture
async def signed_joinup(
    fake_teams: FakeBotFramework, fake_graph: FakeGraph, clock: FakeClock, engine: Engine
) -> AsyncIterator[TeamsJoinup]:
    """joinup with JWT validation on, its signing keys served by the fake Bot Framework."""
    app = build_joinup(
        fake=fake_teams, graph=fake_graph, clock=clock, engine=engine, allow_unauthenticated=False
    )
    async with app.http:
        yield app


async def test_production_settings_refuse_an_unsigned_activity(clock: FakeClock, engine: Engine) -> None:
    settings = Settings(
        database_url="sqlite://",
        teams=TeamsSettings(
            enabled=True, app_id=APP_ID, app_password=SecretStr("not-a-real-secret"), tenant_id=TENANT_ID
        ),
    )
    sessions = make_sessions(engine)
    runtime = build_runtime(
        settings=settings, clock=clock, notifier=build_routing_notifier(settings, sessions), engine=engine
    )
    transport = httpx.ASGITransport(app=build_web_app(runtime))
    activity = {"type": "message", "id": "1", "text": "help", "serviceUrl": "https://smba.example.org/teams/"}
    async with httpx.AsyncClient(transport=transport, base_url="http://joinup.test") as http:
        unsigned = await http.post("/api/messages", content=json.dumps(activity))
        forged = await http.post(
            "/api/messages", content=json.dumps(activity), headers={"Authorization": "Bearer not.a.jwt"}
        )

    assert unsigned.status_code == 401
    assert forged.status_code == 401


async def test_a_correctly_signed_activity_is_answered(signed_joinup: TeamsJoinup) -> None:
    fake = signed_joinup.fake
    activity = personal_activity(fake, user=AMY, text="help")
    token = fake.sign(service_url=fake.service_url)

    response = await signed_joinup.post(activity, Authorization=f"Bearer {token}")

    assert response.status_code == 200
    assert fake.key_fetches >= 1
    assert "I help you reach the right people" in signed_joinup.replies()[0]


async def test_an_unsigned_activity_is_refused_and_changes_nothing(signed_joinup: TeamsJoinup) -> None:
    response = await signed_joinup.say("help")

    assert response.status_code == 401
    assert signed_joinup.fake.sent == []
    assert signed_joinup.conversation_refs() == []


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"audience": "someone-elses-bot"}, "token for another bot"),
        ({"iss": "https://sts.example.org/"}, "wrong issuer"),
        ({"exp": 1_000_000_000}, "expired"),
        ({"serviceurl": "https://elsewhere.example.org/"}, "service URL doesn't match the activity"),
    ],
)
async def test_a_token_that_fails_a_check_is_refused(
    signed_joinup: TeamsJoinup, claims: dict[str, object], why: str
) -> None:
    fake = signed_joinup.fake
    token = fake.sign(service_url=fake.service_url, **claims)  # type: ignore[arg-type]

    response = await signed_joinup.post(
        personal_activity(fake, user=AMY, text="help"), Authorization=f"Bearer {token}"
    )

    assert response.status_code == 401, why
    assert fake.to(conversation_id(AMY)) == []


async def test_a_token_signed_with_another_key_is_refused(signed_joinup: TeamsJoinup) -> None:
    impostor = FakeBotFramework()  # same claims, different private key, never started
    token = impostor.sign(service_url=signed_joinup.fake.service_url)

    response = await signed_joinup.post(
        personal_activity(signed_joinup.fake, user=AMY, text="help"), Authorization=f"Bearer {token}"
    )

    assert response.status_code == 401
