"""The whole ORUK read API under /directory/, checked the way the ORUK validator checks it.

Every endpoint's answer is validated against the HSDS 3.0 schemas and the Open Referral UK profile; every
list is walked page by page to its last page; answers are open to any origin and carry an ETag.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import jsonschema
import pytest
from fastapi import FastAPI
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.directory_feed import directory_feed_routes
from directory.concerns import shipped_taxonomy
from directory.oruk_export import LIST_FIELDS
from directory.oruk_format import SCHEMA_DIR
from schedules.time.clock import FakeClock
from storage.models import Team

PAGE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}


@dataclass
class FeedRuntime:
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


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


_REGISTRY: Registry[Any] = Registry().with_resources(
    (name, Resource.from_contents(_load(SCHEMA_DIR / name), default_specification=DRAFT202012))
    for name in ("metadata.json", "taxonomy.json", "taxonomy_term.json")
)


def checkers(*names: str) -> list[jsonschema.Draft202012Validator]:
    return [
        jsonschema.Draft202012Validator(
            _load(SCHEMA_DIR / name), registry=_REGISTRY, format_checker=jsonschema.FormatChecker()
        )
        for name in names
    ]


def valid(record: dict[str, Any], validators: list[jsonschema.Draft202012Validator]) -> None:
    for validator in validators:
        assert [e.message for e in validator.iter_errors(record)] == [], record.get("id")


def service_at_location_checkers() -> list[jsonschema.Draft202012Validator]:
    """The service-at-location item schema, as the compiled service schemas (HSDS and UK) nest it."""
    return [
        jsonschema.Draft202012Validator(
            _load(SCHEMA_DIR / name)["properties"]["service_at_locations"]["items"],
            format_checker=jsonschema.FormatChecker(),
        )
        for name in ("service.json", "uk/service.json")
    ]


async def walk(client: httpx.AsyncClient, path: str, per_page: int) -> list[dict[str, Any]]:
    """Follow a list from page 1 to its last page as the validator does, checking each Page."""
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        response = await client.get(path, params={"page": page, "per_page": per_page})
        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == "*"
        body = response.json()
        assert set(body) == PAGE_KEYS
        assert (body["page_number"], body["first_page"], body["size"]) == (
            page,
            page == 1,
            len(body["contents"]),
        )
        assert body["total_pages"] == -(-body["total_items"] // per_page)
        items += body["contents"]
        if body["last_page"]:
            assert page == max(body["total_pages"], 1) and len(items) == body["total_items"]
            return items
        assert body["size"] == per_page
        page += 1


async def test_api_details_name_the_uk_profile(client: httpx.AsyncClient) -> None:
    for path in ("/directory/", "/directory"):
        response = await client.get(path)
        assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"
        assert response.json()["version"] == "HSDS-UK-3.0"
        assert response.json()["profile"].startswith("https://")


async def test_services_list_view_and_detail(client: httpx.AsyncClient, demo: Session) -> None:
    public = len(demo.exec(select(Team).where(col(Team.is_public))).all())
    demo.rollback()
    listed = await walk(client, "/directory/services", per_page=7)
    assert len(listed) == public and len({s["id"] for s in listed}) == public
    list_checks = checkers("service_list.json", "uk/service_list.json")
    full_checks = checkers("service.json", "uk/service.json")
    locations = service_at_location_checkers()
    for item in listed:
        assert set(item) <= set(LIST_FIELDS), set(item) - set(LIST_FIELDS)
        valid(item, list_checks)
        response = await client.get(f"/directory/services/{item['id']}")
        assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"
        service = response.json()
        valid(service, full_checks)
        assert service["id"] == item["id"] and service["name"] == item["name"]
        assert len(service["service_at_locations"]) == 1
        for place in service["service_at_locations"]:
            valid(place, locations)
            assert place["service_id"] == service["id"]


async def test_taxonomies_and_concern_terms(client: httpx.AsyncClient) -> None:
    taxonomy_checks, term_checks = checkers("taxonomy.json"), checkers("taxonomy_term.json")
    taxonomies = await walk(client, "/directory/taxonomies", per_page=1)
    assert [t["name"] for t in taxonomies] == ["joinup-safeguarding-concerns"]
    for taxonomy in taxonomies:
        valid(taxonomy, taxonomy_checks)
        assert (await client.get(f"/directory/taxonomies/{taxonomy['id']}")).json() == taxonomy
    terms = await walk(client, "/directory/taxonomy_terms", per_page=20)
    assert [t["code"] for t in terms] == [c.id for c in shipped_taxonomy().concerns]
    for term in terms:
        valid(term, term_checks)
        assert term["taxonomy_id"] == taxonomies[0]["id"]
    one = await client.get(f"/directory/taxonomy_terms/{terms[3]['id']}")
    assert one.json() == terms[3]


async def test_concerns_in_the_feed_are_listed_terms(client: httpx.AsyncClient, demo: Session) -> None:
    team = demo.exec(select(Team).where(col(Team.key) == "front-door")).one()
    uuid, primary = team.uuid, list(team.concerns_primary)
    demo.rollback()
    assert primary, "the demo front door handles concerns"
    service = (await client.get(f"/directory/services/{uuid}")).json()
    codes = {a["taxonomy_term"]["code"] for a in service["attributes"] if a["value"] == "primary"}
    assert codes == set(primary)
    terms = {t["id"] for t in await walk(client, "/directory/taxonomy_terms", per_page=100)}
    assert {a["taxonomy_term_id"] for a in service["attributes"]} <= terms


async def test_service_at_locations(client: httpx.AsyncClient) -> None:
    places = await walk(client, "/directory/service_at_locations", per_page=9)
    services = {s["id"] for s in await walk(client, "/directory/services", per_page=100)}
    assert {p["service_id"] for p in places} == services
    checks = service_at_location_checkers()
    full_checks = checkers("service.json", "uk/service.json")
    physical = [p for p in places if p["location"]["location_type"] == "physical"]
    # Teams with an office publish it as a physical location with its address; the rest are virtual.
    assert {p["location"]["addresses"][0]["postal_code"] for p in physical} == {"NB1 1AA", "NB2 4QT"}
    assert all(p["location"]["location_type"] == "virtual" for p in places if p not in physical)
    for place in [*places[:5], *physical]:
        valid(place, checks)
        response = await client.get(f"/directory/service_at_locations/{place['id']}")
        assert response.status_code == 200
        valid(response.json(), full_checks)
        assert response.json()["id"] == place["service_id"]


@pytest.mark.parametrize(
    "path",
    [
        "/directory/services/not-a-service",
        "/directory/taxonomies/nope",
        "/directory/taxonomy_terms/nope",
        "/directory/service_at_locations/nope",
    ],
)
async def test_unknown_ids_are_a_clear_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404 and response.json()["error"].startswith("no public ")
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "path", ["/directory/taxonomies", "/directory/taxonomy_terms", "/directory/service_at_locations"]
)
@pytest.mark.parametrize("params", [{"page": 0}, {"per_page": 0}, {"per_page": 501}])
async def test_bad_paging_everywhere_is_a_400(
    client: httpx.AsyncClient, path: str, params: dict[str, int]
) -> None:
    response = await client.get(path, params=params)
    assert response.status_code == 400 and "must be" in response.json()["error"]


async def test_etag_answers_304_until_the_directory_changes(client: httpx.AsyncClient, demo: Session) -> None:
    first = await client.get("/directory/services", params={"per_page": 100})
    etag = first.headers["etag"]
    again = await client.get("/directory/services", params={"per_page": 100}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    team = demo.exec(select(Team).where(col(Team.key) == "front-door")).one()
    team.name = "Children's Front Door (renamed)"
    demo.commit()
    changed = await client.get(
        "/directory/services", params={"per_page": 100}, headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert "Children's Front Door (renamed)" in changed.text
