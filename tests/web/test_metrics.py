"""GET /metrics (Prometheus, never public) and the /readyz backlog check, on the web world's data."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from bot.metrics import count_send, start_metrics_server
from bot.web import build_web_app
from schedules.inbox import rows as inbox_rows
from schedules.outbox import rows as outbox_rows
from storage import migrate
from storage.db import make_engine
from tests.web.conftest import WebWorld, make_world

TOKEN = "a-long-random-metrics-token-for-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def world() -> Iterator[WebWorld]:
    """The web world on a migrated database, so /readyz finds its migrations current."""
    engine = make_engine("sqlite://")
    migrate.upgrade(engine)
    yield make_world(engine)
    engine.dispose()


@pytest.fixture
async def client(world: WebWorld) -> AsyncIterator[httpx.AsyncClient]:
    world.runtime.settings.metrics.token = SecretStr(TOKEN)
    transport = httpx.ASGITransport(app=build_web_app(world.runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def queue_work(world: WebWorld, *, overdue: timedelta) -> None:
    """A reminder overdue by `overdue` for a person with a handle, and a waiting inbox request that names a case."""
    person_id = world.ids["amy"]
    with world.runtime.sessions.begin() as session:
        outbox_rows.schedule(
            session=session,
            clock=world.clock,
            dedupe_key="metrics:1",
            recipient_person_id=person_id,
            kind="test",
            due_at=world.clock.now() - overdue,
            payload={"case_ref": "NB-4471"},
        )
        inbox_rows.receive(
            session.connection(),
            platform="slack",
            event_key="Ev-metrics-1",
            kind="slack.dm",
            content={"text": "refer front door case NB-4471"},
            now=world.clock.now() - timedelta(seconds=30),
        )


async def test_metrics_are_not_public(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 404
    assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 404


async def test_metrics_show_the_backlog_sends_and_latency_without_anyone_in_them(
    client: httpx.AsyncClient, world: WebWorld
) -> None:
    queue_work(world, overdue=timedelta(minutes=5))
    count_send("teams", "sent")
    await client.get("/healthz")

    response = await client.get("/metrics", headers=BEARER)

    assert response.status_code == 200
    text = response.text
    assert "joinup_inbox_depth 1.0" in text
    assert "joinup_inbox_oldest_age_seconds 30.0" in text
    assert "joinup_outbox_due_unsent 1.0" in text
    assert "joinup_outbox_lag_seconds 300.0" in text
    assert 'joinup_sends_total{platform="teams",status="sent"}' in text
    assert 'joinup_request_duration_seconds_count{method="GET",route="/healthz",status="200"}' in text
    assert "joinup_requests_refused_total" in text or "# TYPE joinup_requests_refused counter" in text
    for private in ("NB-4471", "Amy", "front door", "refer"):
        assert private not in text


async def test_unknown_paths_are_timed_under_one_label_not_their_path(client: httpx.AsyncClient) -> None:
    await client.get("/no/such/NB-4471")

    text = (await client.get("/metrics", headers=BEARER)).text

    assert 'route="unmatched"' in text
    assert "NB-4471" not in text


async def test_readyz_fails_when_the_outbox_lags_past_its_limit(
    client: httpx.AsyncClient, world: WebWorld
) -> None:
    assert (await client.get("/readyz")).json() == {"status": "ready"}
    limit = world.runtime.settings.metrics.outbox_lag_limit_seconds

    queue_work(world, overdue=timedelta(seconds=limit + 60))
    response = await client.get("/readyz")

    assert response.status_code == 503
    assert "outbox lag" in response.json()["status"]


async def test_readyz_fails_when_the_inbox_lags_past_its_limit(
    client: httpx.AsyncClient, world: WebWorld
) -> None:
    queue_work(world, overdue=timedelta(0))
    world.clock.advance(timedelta(seconds=world.runtime.settings.metrics.inbox_lag_limit_seconds + 1))

    response = await client.get("/readyz")

    assert response.status_code == 503
    assert "inbox lag" in response.json()["status"]


def test_the_metrics_port_serves_without_a_token(world: WebWorld) -> None:
    app = build_web_app(world.runtime)
    server, thread = start_metrics_server(world.runtime, app.state.refusals, host="127.0.0.1", port=0)
    try:
        port = server.server_address[1]
        response = httpx.get(f"http://127.0.0.1:{port}/metrics")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    assert response.status_code == 200
    assert "joinup_outbox_due_unsent" in response.text
