"""The FastAPI app that `joinup serve` runs: health checks plus each platform's and feature's routes."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text
from starlette.exceptions import HTTPException

from bot.directory_feed import directory_feed_routes
from bot.runtime import Runtime
from bot.slack.routes import slack_routes
from bot.teams.routes import teams_routes
from bot.web_guard import RefusalCounts, RequestGuard
from bot.web_pages import web_page_routes
from storage import migrate

# Route factories, one per feature (Slack, Teams, the ORUK feed, insight pages). Each takes the runtime.
RouteFactory = Callable[[Runtime], APIRouter]
ROUTES: tuple[RouteFactory, ...] = (
    directory_feed_routes,  # GET /directory/…: the public ORUK read API (services, taxonomies, locations)
    slack_routes,  # POST /slack/events (when JOINUP_SLACK__ENABLED)
    teams_routes,  # POST /api/messages (when JOINUP_TEAMS__ENABLED)
    web_page_routes,  # /insight dashboard, /directory/edit editor, /web/enter sign-in links, /privacy, /terms
)


def health_routes(runtime: Runtime) -> APIRouter:
    """GET /healthz (the process is up) and GET /readyz (database reachable, migrations current)."""
    router = APIRouter()

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        try:
            with runtime.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            is_current = migrate.is_current(runtime.engine)
        except Exception:
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        if not is_current:
            return JSONResponse({"status": "migrations pending; run joinup db upgrade"}, status_code=503)
        return JSONResponse({"status": "ready"})

    return router


def metrics_routes(counts: RefusalCounts) -> APIRouter:
    """GET /metrics: requests refused before reaching a route, by reason (Prometheus text format)."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> PlainTextResponse:
        lines = ["# TYPE joinup_requests_refused_total counter"]
        lines += [
            f'joinup_requests_refused_total{{reason="{reason}"}} {count}'
            for reason, count in sorted(counts.counts.items())
        ]
        return PlainTextResponse("\n".join(lines) + "\n")

    return router


def _error_handlers(app: FastAPI, counts: RefusalCounts) -> None:
    """Bad parameters are a 400 and unknown paths a 404, each a short JSON error; never a traceback."""

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(_request: Request, error: RequestValidationError) -> JSONResponse:
        counts.add("bad parameters")
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ())[1:]) or "request"
        return JSONResponse({"error": f"{where}: {first.get('msg', 'not valid')}"}, status_code=400)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse({"error": str(error.detail)}, status_code=error.status_code)


def build_web_app(runtime: Runtime) -> FastAPI:
    """Build the web app with every registered route factory mounted, behind the request guard."""
    app = FastAPI(title="joinup", docs_url=None, redoc_url=None, openapi_url=None)
    counts = RefusalCounts()
    app.state.refusals = counts
    _error_handlers(app, counts)
    app.include_router(health_routes(runtime))
    app.include_router(metrics_routes(counts))
    for factory in ROUTES:
        app.include_router(factory(runtime))
    app.add_middleware(
        RequestGuard,
        is_https=runtime.settings.public_base_url.startswith("https://"),
        counts=counts,
    )
    return app
