"""Build the Teams SDK App from Settings and mount its messaging endpoint on joinup's FastAPI app.

Nothing is built at import. The SDK's own HTTP adapter would own a FastAPI app; ours hands each route
the SDK registers to a FastAPI APIRouter instead, so Teams lives beside Slack and the health checks.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from microsoft_teams.api.activities import ActivityTypeAdapter
from microsoft_teams.api.auth.cloud_environment import PUBLIC, CloudEnvironment
from microsoft_teams.api.auth.credentials import TokenProvider
from microsoft_teams.api.models import InvokeResponse
from microsoft_teams.apps import App, AppOptions
from microsoft_teams.apps.events import ActivityEvent
from microsoft_teams.apps.http.adapter import HttpRequest, HttpRouteHandler
from microsoft_teams.common import Client, ClientOptions
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot.config import ConfigError, TeamsSettings
from bot.inbox.worker import Inbox
from bot.teams.retry import RetryThrottled, Sleep
from bot.teams.sdk_logging import quiet_activity_dump
from bot.teams.work import KIND, Process, activity_content, event_key, is_stored

log = logging.getLogger(__name__)

MESSAGING_ENDPOINT = "/api/messages"
DEFAULT_SERVICE_URL = "https://smba.trafficmanager.net/teams"
TIMEOUT_SECONDS = 15.0


class RouterAdapter:
    """An SDK HttpServerAdapter that only collects route handlers; joinup's APIRouter calls them."""

    def __init__(self) -> None:
        self.handlers: dict[str, HttpRouteHandler] = {}

    def register_route(self, method: str, path: str, handler: HttpRouteHandler) -> None:
        """Remember the handler the SDK registers for `path`."""
        if method != "POST":
            raise ValueError(f"unsupported method {method}")
        self.handlers[path] = handler

    def serve_static(self, path: str, directory: str) -> None:
        """joinup serves no Teams tabs."""
        raise NotImplementedError("joinup serves no static Teams pages")

    async def start(self, port: int) -> None:
        """uvicorn is started by `joinup serve`, not by the SDK."""
        raise NotImplementedError("run joinup serve")

    async def stop(self) -> None:
        """Nothing to stop."""


def no_token(scope: str | list[str], tenant_id: str | None) -> None:
    """Outbound calls without a token: only with allow_unauthenticated and no app password."""
    return None


def app_options(
    teams: TeamsSettings,
    *,
    adapter: RouterAdapter,
    token: TokenProvider | None = None,
    cloud: CloudEnvironment | None = None,
    sleep: Sleep | None = None,
) -> AppOptions:
    """Return the SDK options: every value from Settings, so the SDK never falls back to CLIENT_ID etc.

    `token` replaces the client-secret flow (tests sign nothing with Entra ID); `cloud` moves the
    Bot Framework OpenID/JWKS endpoints (tests serve their own keys).

    Raises:
        ConfigError: JWT validation is on but no app id is configured.
    """
    if not teams.app_id and not teams.allow_unauthenticated:
        raise ConfigError("Teams is enabled but JOINUP_TEAMS__APP_ID is not set.")
    quiet_activity_dump()  # the SDK's DEBUG dump of every activity would log what people typed
    client = Client(ClientOptions(timeout=TIMEOUT_SECONDS))
    client.use(RetryThrottled(sleep=sleep) if sleep is not None else RetryThrottled())
    options: AppOptions = {
        "client_id": teams.app_id,
        "tenant_id": teams.tenant_id,
        "client": client,
        "http_server_adapter": adapter,
        "messaging_endpoint": MESSAGING_ENDPOINT,
        "dangerously_allow_unauthenticated_requests": teams.allow_unauthenticated,
        "state": False,
        "telemetry": {"agent365": False},
        # Given here so the SDK never reads SERVICE_URL or CLOUD from the environment; replies still go to
        # each activity's own serviceUrl, and proactive messages to the stored one.
        "service_url": DEFAULT_SERVICE_URL,
        "cloud": cloud or PUBLIC,
    }
    if token is not None:
        options["token"] = token
    elif teams.app_password is not None:
        options["client_secret"] = teams.app_password.get_secret_value()
    elif teams.allow_unauthenticated and teams.app_id:
        # Local tools (Teams App Test Tool, benchmarks' fake connector) check no tokens either way; without
        # this the SDK would try a managed identity that isn't there.
        options["token"] = no_token
    return options


MAX_ID_LENGTH = 512  # Teams ids are well under this; longer ones would only break Graph and reply URLs


def activity_problem(body: dict[str, Any]) -> str | None:
    """Why an activity can't be handled before it reaches the SDK (type, ids, serviceUrl), or None."""
    if not isinstance(body.get("type"), str) or not isinstance(body.get("id", ""), str):
        return "activity type and id must be strings"
    service_url = body.get("serviceUrl")
    if not isinstance(service_url, str) or not service_url.startswith(("https://", "http://")):
        return "activity needs an http(s) serviceUrl"
    if len(service_url) > 2048:
        return "serviceUrl too long"
    for part, key in (("from", "id"), ("from", "aadObjectId"), ("conversation", "id"), ("recipient", "id")):
        holder = body.get(part)
        value = holder.get(key) if isinstance(holder, dict) else None
        if value is not None and (not isinstance(value, str) or len(value) > MAX_ID_LENGTH):
            return f"{part}.{key} is not a plausible id"
    return None


class TeamsEndpoint:
    """The SDK App plus the FastAPI route that feeds it; initialised on first use.

    With an inbox, a verified message or conversation update is stored and acked (200) before any work, and
    an inbox worker later runs it through the App's pipeline (`pipeline`); everything else, invokes above
    all, is handled inside the request (bot/teams/work.py says why).
    """

    def __init__(self, app: App, adapter: RouterAdapter, *, inbox: Inbox | None = None) -> None:
        self.app = app
        self.adapter = adapter
        self.inbox = inbox
        self._process: Process | None = None
        self._initialising = asyncio.Lock()  # the first requests and the workers may all arrive at once

    async def ready(self) -> None:
        """Initialise the SDK App once (JWT validator, messaging route, proactive sending)."""
        if self._process is not None:
            return
        async with self._initialising:
            if self._process is None:
                await self._initialise()

    async def _initialise(self) -> None:
        await self.app.initialize()
        process = self.app.server.on_request
        assert process is not None

        async def checked(event: ActivityEvent) -> InvokeResponse[Any]:
            # Runs after JWT validation: a signed but malformed activity is the sender's bug, not ours (400,
            # so the Bot Framework doesn't retry it), and it changes nothing.
            body = event.body.model_dump(by_alias=True, exclude_none=True)
            try:
                ActivityTypeAdapter.validate_python(body)
            except ValidationError as error:
                log.warning("malformed Teams activity", extra={"errors": error.error_count()})
                return InvokeResponse(status=400, body={"error": "malformed activity"})
            if self.inbox is None or not is_stored(body):
                return await process(event)
            return await self._store(body)

        self.app.server.on_request = checked
        self._process = process

    async def _store(self, body: dict[str, Any]) -> InvokeResponse[Any]:
        """Store a verified activity in the inbox and ack it; a redelivery finds its row and is acked too."""
        assert self.inbox is not None
        try:
            await self.inbox.receive(
                platform="teams", event_key=event_key(body), kind=KIND, content=activity_content(body)
            )
        except SQLAlchemyError as error:
            # Not acked, so the Bot Framework delivers it again; nothing acknowledged lives only in memory.
            log.warning("could not store a Teams activity", extra={"error": type(error).__name__})
            return InvokeResponse(status=503, body={"error": "try again"})
        return InvokeResponse(status=200)

    async def pipeline(self) -> Process:
        """The App's own activity pipeline (the listeners), for inbox workers; initialises the App first."""
        await self.ready()
        assert self._process is not None
        return self._process

    def router(self) -> APIRouter:
        """Return POST /api/messages for joinup's FastAPI app."""
        router = APIRouter()

        @router.post(MESSAGING_ENDPOINT)
        async def messages(request: Request) -> Response:
            await self.ready()
            try:
                body = json.loads(await request.body())
            except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
                body = None
            if not isinstance(body, dict):
                return JSONResponse({"error": "expected a JSON activity"}, status_code=400)
            if (problem := activity_problem(body)) is not None:
                log.warning("refused a Teams activity", extra={"reason": problem})
                return JSONResponse({"error": problem}, status_code=400)
            handler = self.adapter.handlers[MESSAGING_ENDPOINT]
            result = await handler(HttpRequest(body=body, headers=dict(request.headers)))
            if result.get("body") is None:
                return Response(status_code=result["status"])
            return JSONResponse(result["body"], status_code=result["status"])

        return router
