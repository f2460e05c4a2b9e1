"""The read-only Open Referral UK (HSDS 3.0) feed under /directory/: the whole ORUK read API.

`GET /directory/` says which profile the API follows; services, taxonomies, taxonomy terms and
service-at-locations are each a paged list and a single record; the services list filters by `search`
(words in a name or description) and `taxonomy_term_id` (a concern). The endpoints are open GETs, so every
answer allows any origin (the UK compliance rules ask for it), and carries an ETag (and, for services, a
Last-Modified date) so a polling aggregator gets a 304 with no body when nothing changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from directory.feed import (
    DEFAULT_PER_PAGE,
    api_details,
    last_modified,
    service_at_location_detail,
    service_at_locations_page,
    service_detail,
    services_page,
    taxonomies_page,
    taxonomy_detail,
    taxonomy_term_detail,
    taxonomy_terms_page,
)
from storage.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from bot.runtime import Runtime

FEED_PATH = "/directory"
SERVICES_PATH = FEED_PATH + "/services"
OPEN_HEADERS = {"Access-Control-Allow-Origin": "*"}


def _paging(page: str, per_page: str) -> dict[str, int]:
    """Read paging parameters as whole numbers; anything else is the same clear 400 as an out-of-range one.

    Raises:
        InvalidInput: a value isn't a whole number (its range is checked by the feed's queries).
    """
    numbers = {}
    for name, value in (("page", page), ("per_page", per_page)):
        text = value.strip()
        if not text.isdecimal() or len(text) > 9:
            raise InvalidInput(name, "must be a whole number from 1", example=f"?{name}=1")
        numbers[name] = int(text)
    return numbers


def _not_modified_since(request: Request, modified: datetime | None) -> bool:
    """Whether If-Modified-Since (when no If-None-Match is sent) says the client's copy is current."""
    asked = request.headers.get("if-modified-since", "")
    if modified is None or not asked or request.headers.get("if-none-match"):
        return False
    try:
        since = parsedate_to_datetime(asked)
    except (TypeError, ValueError):
        return False  # a malformed date is ignored, as HTTP says
    if since.tzinfo is None:
        return False
    return modified.replace(microsecond=0) <= since


def _answer(
    request: Request,
    compute: Callable[[], dict[str, Any]],
    missing: str = "",
    modified: datetime | None = None,
) -> Response:
    """Run one feed query and answer it: JSON with an ETag (and Last-Modified when known), 304 when
    unchanged, or a one-line error."""
    dated = {"Last-Modified": format_datetime(modified.astimezone(UTC), usegmt=True)} if modified else {}
    if _not_modified_since(request, modified):
        return Response(status_code=304, headers={**OPEN_HEADERS, **dated})
    try:
        body = compute()
    except InvalidInput as error:
        return JSONResponse(
            {"error": f"{error.field} {error.problem}"}, status_code=400, headers=OPEN_HEADERS
        )
    except NotFound:
        return JSONResponse(
            {"error": f"no public {missing} with that id"}, status_code=404, headers=OPEN_HEADERS
        )
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
    headers = {**OPEN_HEADERS, **dated, "ETag": etag, "Cache-Control": "public, max-age=60"}
    asked = {tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")}
    if etag in asked or "*" in asked:
        return Response(status_code=304, headers=headers)
    return Response(content, media_type="application/json", headers=headers)


def directory_feed_routes(runtime: Runtime) -> APIRouter:
    """The public feed: only teams and routes marked public."""
    router = APIRouter()

    def in_session(query: Callable[..., dict[str, Any]], **arguments: Any) -> Callable[[], dict[str, Any]]:
        def compute() -> dict[str, Any]:
            with runtime.sessions() as session:
                return query(session=session, **arguments)

        return compute

    @router.get(FEED_PATH)
    @router.get(FEED_PATH + "/")
    def details(request: Request) -> Response:
        return _answer(request, api_details)

    def changed() -> datetime | None:
        with runtime.sessions() as session:
            return last_modified(session=session)

    @router.get(SERVICES_PATH)
    def list_services(
        request: Request,
        page: str = Query("1"),
        per_page: str = Query(str(DEFAULT_PER_PAGE)),
        search: str = Query(""),
        taxonomy_term_id: str = Query(""),
    ) -> Response:
        at = runtime.clock.now()

        def compute() -> dict[str, Any]:
            paging = _paging(page, per_page)
            query = in_session(
                services_page, at=at, search=search, taxonomy_term_id=taxonomy_term_id, **paging
            )
            return query()

        return _answer(request, compute, modified=changed())

    @router.get(SERVICES_PATH + "/{service_id}")
    def get_service(request: Request, service_id: str) -> Response:
        at = runtime.clock.now()
        compute = in_session(service_detail, at=at, service_id=service_id)
        return _answer(request, compute, "service", modified=changed())

    @router.get(FEED_PATH + "/taxonomies")
    def list_taxonomies(
        request: Request, page: str = Query("1"), per_page: str = Query(str(DEFAULT_PER_PAGE))
    ) -> Response:
        return _answer(request, lambda: taxonomies_page(**_paging(page, per_page)))

    @router.get(FEED_PATH + "/taxonomies/{taxonomy_id}")
    def get_taxonomy(request: Request, taxonomy_id: str) -> Response:
        return _answer(request, lambda: taxonomy_detail(taxonomy_id), "taxonomy")

    @router.get(FEED_PATH + "/taxonomy_terms")
    def list_terms(
        request: Request, page: str = Query("1"), per_page: str = Query(str(DEFAULT_PER_PAGE))
    ) -> Response:
        return _answer(request, lambda: taxonomy_terms_page(**_paging(page, per_page)))

    @router.get(FEED_PATH + "/taxonomy_terms/{term_id}")
    def get_term(request: Request, term_id: str) -> Response:
        return _answer(request, lambda: taxonomy_term_detail(term_id), "taxonomy term")

    @router.get(FEED_PATH + "/service_at_locations")
    def list_service_at_locations(
        request: Request, page: str = Query("1"), per_page: str = Query(str(DEFAULT_PER_PAGE))
    ) -> Response:
        return _answer(request, lambda: in_session(service_at_locations_page, **_paging(page, per_page))())

    @router.get(FEED_PATH + "/service_at_locations/{sal_id}")
    def get_service_at_location(request: Request, sal_id: str) -> Response:
        at = runtime.clock.now()
        compute = in_session(service_at_location_detail, at=at, sal_id=sal_id)
        return _answer(request, compute, "service at location")

    return router
