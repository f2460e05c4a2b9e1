"""The FastAPI app that `joinup serve` runs: health checks plus each platform's and feature's routes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.exceptions import HTTPException

from bot.directory_feed import directory_feed_routes
from bot.metrics import RequestTimer, metrics_routes, read_backlog_async
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
    """GET /healthz (the process is up) and GET /readyz (database reachable, migrations current, and neither
    the inbox nor the outbox lagging past its limit)."""
    router = APIRouter()

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        try:
            is_current = await asyncio.to_thread(_database_is_current, runtime)
            backlog = await read_backlog_async(runtime)
        except Exception:
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        if not is_current:
            return JSONResponse({"status": "migrations pending; run joinup db upgrade"}, status_code=503)
        limits = runtime.settings.metrics
        # Backed-up work means this replica (or all of them) can't keep up: take it out of the load balancer's
        # rotation so people reach a replica that can, and so an operator is paged.
        if backlog.inbox_oldest_seconds > limits.inbox_lag_limit_seconds:
            return JSONResponse(
                {"status": f"inbox lag {backlog.inbox_oldest_seconds:.0f} s is over the limit"},
                status_code=503,
            )
        if backlog.outbox_lag_seconds > limits.outbox_lag_limit_seconds:
            return JSONResponse(
                {"status": f"outbox lag {backlog.outbox_lag_seconds:.0f} s is over the limit"},
                status_code=503,
            )
        return JSONResponse({"status": "ready"})

    return router


def _database_is_current(runtime: Runtime) -> bool:
    with runtime.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return migrate.is_current(runtime.engine)


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
    app.include_router(metrics_routes(runtime, counts, token=runtime.settings.metrics.token))
    for factory in ROUTES:
        app.include_router(factory(runtime))
    app.add_middleware(
        RequestGuard,
        is_https=runtime.settings.public_base_url.startswith("https://"),
        counts=counts,
    )
    app.add_middleware(RequestTimer)  # outermost: refused requests are timed too
    return app
