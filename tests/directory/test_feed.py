"""GET /directory/services: HSDS 3.0 Pages of public services; private teams and lines never appear."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import httpx
import jsonschema
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.directory_feed import directory_feed_routes
from directory.oruk_format import SCHEMA_DIR
from schedules.time.clock import FakeClock
from storage.models import ContactRoute, Team


@dataclass
class FeedRuntime:
    """The two things the feed needs from the runtime."""

    sessions: sessionmaker[Session]
    clock: FakeClock


@pytest.fixture
async def client(
    demo: Session, sessions: sessionmaker[Session], clock: FakeClock
) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(directory_feed_routes(cast(Any, FeedRuntime(sessions, clock))))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://joinup.test"
    ) as http:
        yield http


def checker(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


async def all_services(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    services, page = [], 1
    while True:
        body = (await client.get("/directory/services", params={"page": page, "per_page": 7})).json()
        services += body["contents"]
        if body["last_page"]:
            return services
        page += 1


async def test_pages_follow_hsds(client: httpx.AsyncClient, demo: Session) -> None:
    public = len(demo.exec(select(Team).where(col(Team.is_public))).all())
    demo.rollback()  # one in-memory connection: end the read before the app uses it
    body = (await client.get("/directory/services", params={"page": 2, "per_page": 10})).json()
    assert (body["total_items"], body["page_number"], body["size"]) == (public, 2, 10)
    assert body["total_pages"] == -(-public // 10)
    assert (body["first_page"], body["last_page"], body["empty"]) == (False, False, False)
    listed, full = checker("service_list.json"), checker("service.json")
    for service in body["contents"]:
        assert list(listed.iter_errors(service)) == []
        assert list(full.iter_errors(service)) == []
        assert "joinup" not in service and "joinup" not in service["organization"]
    beyond = (await client.get("/directory/services", params={"page": 99})).json()
    assert (beyond["empty"], beyond["size"], beyond["contents"]) == (True, 0, [])


async def test_private_teams_and_lines_never_appear(client: httpx.AsyncClient, demo: Session) -> None:
    feed = json.dumps(await all_services(client))
    private_routes = demo.exec(select(ContactRoute).where(col(ContactRoute.is_public).is_(False))).all()
    assert private_routes, "the demo has safeguarding-only lines"
    for route in private_routes:
        assert route.value not in feed, route.key
        assert route.uuid not in feed
    demo.rollback()
    team = demo.exec(select(Team).where(col(Team.key) == "lado")).one()
    team.is_public = False
    uuid = team.uuid
    demo.commit()
    services = await all_services(client)
    assert uuid not in {s["id"] for s in services}
    assert (await client.get(f"/directory/services/{uuid}")).status_code == 404
    assert "Escalation level" not in json.dumps(services)


async def test_one_service(client: httpx.AsyncClient, demo: Session) -> None:
    team = demo.exec(select(Team).where(col(Team.key) == "front-door")).one()
    uuid, name = team.uuid, team.name
    demo.rollback()
    response = await client.get(f"/directory/services/{uuid}")
    assert response.status_code == 200
    service = response.json()
    assert list(checker("service.json").iter_errors(service)) == []
    assert service["name"] == name and service["organization"]["name"].startswith("Northbrook Council")
    assert {p["number"] for p in service["phones"]} == {"0161 496 0100", "0161 496 0101"}
    assert (await client.get("/directory/services/not-a-service")).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"page": 0},
        {"per_page": 0},
        {"per_page": 501},
        {"page": 9223372036854775807},
        {"page": -9223372036854775808},
        {"page": 10**30},
        {"page": "two"},
        {"per_page": "1e9"},
    ],
)
async def test_bad_paging_is_a_clear_400(client: httpx.AsyncClient, params: dict[str, object]) -> None:
    response = await client.get("/directory/services", params=params)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json" and response.json()["error"]


async def test_a_page_of_500_is_allowed(client: httpx.AsyncClient) -> None:
    response = await client.get("/directory/services", params={"per_page": 500})
    assert response.status_code == 200 and response.json()["size"] >= 1
