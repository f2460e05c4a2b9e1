"""The FastAPI app that `joinup serve` runs: health checks plus each platform's and feature's routes."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from bot.directory_feed import directory_feed_routes
from bot.runtime import Runtime
from bot.slack.routes import slack_routes
from bot.teams.routes import teams_routes
from bot.web_pages import web_page_routes
from storage import migrate

# Route factories, one per feature (Slack, Teams, the ORUK feed, insight pages). Each takes the runtime.
RouteFactory = Callable[[Runtime], APIRouter]
ROUTES: tuple[RouteFactory, ...] = (
    directory_feed_routes,  # GET /directory/…: the public ORUK read API (services, taxonomies, locations)
    slack_routes,  # POST /slack/events (when JOINUP_SLACK__ENABLED)
    teams_routes,  # POST /api/messages (when JOINUP_TEAMS__ENABLED)
    web_page_routes,  # /insight dashboard, /directory/edit editor, /web/enter sign-in links
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


def build_web_app(runtime: Runtime) -> FastAPI:
    """Build the web app with every registered route factory mounted."""
    app = FastAPI(title="joinup", docs_url=None, redoc_url=None)
    app.include_router(health_routes(runtime))
    for factory in ROUTES:
        app.include_router(factory(runtime))
    return app
