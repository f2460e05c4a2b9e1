"""GET /directory/services: HSDS 3.0 Pages of public services; private teams and lines never appear."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, cast

import httpx
import jsonschema
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.directory_feed import directory_feed_routes
from directory.feed_paging import page_ids
from directory.oruk_export import concern_term_id
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


async def test_search_finds_services_by_the_words_in_their_name_or_description(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/directory/services", params={"search": "health visiting"})).json()
    names = [s["name"] for s in body["contents"]]
    assert "Health visiting" in names and body["total_items"] == len(names)
    nothing = (await client.get("/directory/services", params={"search": "zzqx 100% _"})).json()
    assert nothing["total_items"] == 0 and nothing["contents"] == [] and nothing["empty"]
    long = await client.get("/directory/services", params={"search": "x" * 101})
    assert long.status_code == 400 and long.json() == {"error": "search must be at most 100 characters"}


async def test_taxonomy_term_filters_by_the_concern_a_team_handles(client: httpx.AsyncClient) -> None:
    term = concern_term_id("private-fostering")
    body = (
        await client.get("/directory/services", params={"taxonomy_term_id": term, "per_page": 100})
    ).json()
    assert "Children's front door (MASH)" in [s["name"] for s in body["contents"]]
    every = (await client.get("/directory/services", params={"per_page": 100})).json()
    assert 0 < body["total_items"] < every["total_items"]
    unknown = (await client.get("/directory/services", params={"taxonomy_term_id": "no-such-term"})).json()
    assert unknown["total_items"] == 0


async def test_last_modified_and_if_modified_since(client: httpx.AsyncClient, demo: Session) -> None:
    demo.rollback()
    first = await client.get("/directory/services")
    stamp = first.headers["last-modified"]
    assert parsedate_to_datetime(stamp).tzinfo is not None
    again = await client.get("/directory/services", headers={"If-Modified-Since": stamp})
    assert again.status_code == 304 and again.content == b"" and again.headers["last-modified"] == stamp
    earlier = format_datetime(parsedate_to_datetime(stamp).replace(year=2020), usegmt=True)
    older = await client.get("/directory/services", headers={"If-Modified-Since": earlier})
    assert older.status_code == 200 and older.json()["contents"]
    garbled = await client.get("/directory/services", headers={"If-Modified-Since": "last tuesday"})
    assert garbled.status_code == 200


def test_outline_paging_matches_a_plain_offset_walk_and_follows_edits(
    demo: Session, sessions: sessionmaker[Session]
) -> None:
    """Pages cut from the cached outline (anchors every few ids) are the pages a plain OFFSET gives."""
    demo.close()
    published = (col(Team.is_public), col(Team.source) == "")

    def plain() -> list[int]:
        with sessions() as session:
            return [i for i in session.exec(select(Team.id).where(*published).order_by(col(Team.id))) if i]

    def walked(per_page: int) -> list[int]:
        ids, page, totals = [], 1, set()
        with sessions() as session:
            while True:
                chunk, total = page_ids(session, page, per_page, stride=3)
                totals.add(total)
                if not chunk:
                    break
                ids += chunk
                page += 1
        assert totals == {len(ids)}
        return ids

    for per_page in (1, 2, 3, 4, 7, 100):
        assert walked(per_page) == plain()
    # An edit (a team made private) bumps the generation: the next page and total follow it at once.
    first = plain()[0]
    with sessions.begin() as session:
        team = session.get(Team, first)
        assert team is not None
        team.is_public = False
    assert first not in walked(2) and walked(5) == plain()
