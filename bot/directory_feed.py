"""GET /directory/services and /directory/services/{id}: the read-only Open Referral (HSDS 3.0) feed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from directory.feed import DEFAULT_PER_PAGE, service_detail, services_page
from storage.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from bot.runtime import Runtime

SERVICES_PATH = "/directory/services"


def directory_feed_routes(runtime: Runtime) -> APIRouter:
    """The public feed: only teams and routes marked public."""
    router = APIRouter()

    @router.get(SERVICES_PATH)
    def list_services(page: str = Query("1"), per_page: str = Query(str(DEFAULT_PER_PAGE))) -> JSONResponse:
        # Read as text and checked here, so every bad value gets the same 400 as an out-of-range one.
        numbers = {}
        for name, value in (("page", page), ("per_page", per_page)):
            if not value.strip().isdecimal() or len(value.strip()) > 9:
                return JSONResponse(
                    {"error": f"{name} must be a whole number from 1, like ?{name}=1"}, status_code=400
                )
            numbers[name] = int(value)
        try:
            with runtime.sessions() as session:
                body = services_page(
                    session=session,
                    at=runtime.clock.now(),
                    page=numbers["page"],
                    per_page=numbers["per_page"],
                )
        except InvalidInput as error:
            return JSONResponse({"error": f"{error.field} {error.problem}"}, status_code=400)
        return JSONResponse(body)

    @router.get(SERVICES_PATH + "/{service_id}")
    def get_service(service_id: str) -> JSONResponse:
        try:
            with runtime.sessions() as session:
                body = service_detail(session=session, at=runtime.clock.now(), service_id=service_id)
        except NotFound:
            return JSONResponse({"error": "no public service with that id"}, status_code=404)
        return JSONResponse(body)

    return router
