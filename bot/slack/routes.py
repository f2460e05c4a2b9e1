"""POST /slack/events: signature checked, payload shape checked, then handed to the bolt app."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from hashlib import sha256
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.request.internals import parse_body
from sqlalchemy.exc import SQLAlchemyError

from bot.runtime import Runtime
from bot.slack.app import build_slack_app
from bot.slack.client import build_web_client
from bot.slack.identity import BotIdentity
from bot.slack.listeners import COMMAND, SlackListeners
from bot.slack.parse import payload_problem

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Slack's own rule: a request whose timestamp is more than five minutes from now may be a replay.
SIGNATURE_WINDOW_SECONDS = 5 * 60


def view_problem(body: Mapping[str, Any]) -> str | None:
    """Return why a signed modal payload can't be routed (bolt reads `view.type` and `view.callback_id`)."""
    if body.get("type") not in ("view_submission", "view_closed"):
        return None
    view = body.get("view")
    if not isinstance(view, Mapping):
        return f"{body['type']} without a view"
    for key in ("type", "callback_id"):
        if not isinstance(view.get(key), str):
            return f"{body['type']} without view.{key}"
    return None


def _rejected(status: int, reason: str) -> JSONResponse:
    log.info("rejected a Slack request", extra={"status": status, "reason": reason})
    return JSONResponse({"error": reason}, status_code=status)


def slack_routes(runtime: Runtime) -> APIRouter:
    """Mount the Slack app at POST /slack/events when Slack is enabled (an empty router otherwise)."""
    router = APIRouter()
    slack = runtime.settings.slack
    if not slack.enabled or slack.signing_secret is None:
        return router
    client = build_web_client(slack)
    identity = BotIdentity(client=client)

    @asynccontextmanager
    async def learn_who_the_bot_is(_app: FastAPI) -> AsyncIterator[None]:
        identity.start()  # at start-up, in the background: Slack being down delays nothing
        try:
            yield
        finally:
            await identity.stop()

    router = APIRouter(lifespan=learn_who_the_bot_is)
    handler = AsyncSlackRequestHandler(build_slack_app(runtime, client=client, identity=identity))
    assert runtime.inbox is not None  # build_slack_app refuses a runtime without one
    listeners = SlackListeners(runtime, inbox=runtime.inbox)
    signing_key = slack.signing_secret.get_secret_value().encode()

    def is_signed(raw: bytes, timestamp: str | None, signature: str | None) -> bool:
        """Check Slack's v0 signature over the raw bytes and its 5-minute window.

        Over bytes, not text, so a correctly signed body that isn't UTF-8 is told apart (400, the sender's
        bug) from a forged one (401).
        """
        if not timestamp or not signature or not timestamp.isdigit():
            return False
        if abs(time.time() - int(timestamp)) > SIGNATURE_WINDOW_SECONDS:
            return False
        expected = "v0=" + hmac.new(signing_key, b"v0:" + timestamp.encode() + b":" + raw, sha256).hexdigest()
        return hmac.compare_digest(expected, signature)

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        raw = await request.body()
        # bolt parses the body before its own signature check, so garbage would reach it as a 500:
        # check the signature (and the 5-minute timestamp window) first, then the shape, then hand over.
        if not is_signed(raw, request.headers.get("x-slack-request-timestamp"),
                         request.headers.get("x-slack-signature")):  # fmt: skip
            return _rejected(401, "invalid signature")
        try:
            body = parse_body(raw.decode("utf-8"), request.headers.get("content-type"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return _rejected(400, "unreadable body")
        if not isinstance(body, dict):
            return _rejected(400, "body is not an object")
        problem = payload_problem(body) or view_problem(body)
        if problem is not None:
            return _rejected(400, problem)
        if body.get("command") == COMMAND and "ssl_check" not in body:
            return await store_command(body)
        return await handler.handle(request)

    async def store_command(body: dict[str, Any]) -> Response:
        # The acknowledging fast path: a signed slash command needs nothing from bolt but the ack (its listener
        # only stores the command, and the worker answers with its own client), so it is stored and acked here,
        # without bolt's second signature check, parse and middleware. Half of the ack's time, measured.
        try:
            await listeners.store_command(body)
        except SQLAlchemyError as error:
            log.warning("could not store a slash command", extra={"error": type(error).__name__})
            return _rejected(500, "could not store the command")
        return Response(status_code=200)

    return router


def with_socket_mode(app: FastAPI, runtime: Runtime) -> FastAPI:
    """Also receive Slack over Socket Mode while the server runs (local development, no public URL).

    Raises:
        ConfigError: Slack is off, or JOINUP_SLACK__APP_TOKEN or the bot token is missing.
    """
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.config import ConfigError

    slack = runtime.settings.slack
    if not slack.enabled:
        raise ConfigError("Socket Mode is for Slack: set JOINUP_SLACK__ENABLED=true and the Slack tokens.")
    if slack.app_token is None:
        raise ConfigError(
            "Socket Mode needs JOINUP_SLACK__APP_TOKEN (an xapp- token with connections:write)."
        )
    bolt = build_slack_app(runtime, socket_mode=True)
    app_token = slack.app_token.get_secret_value()
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(server: FastAPI) -> AsyncIterator[None]:
        async with inner(server):
            # Built here, not earlier: the handler's websocket client needs the running event loop.
            socket = AsyncSocketModeHandler(bolt, app_token)
            await socket.connect_async()  # type: ignore[no-untyped-call]
            try:
                yield
            finally:
                await socket.close_async()  # type: ignore[no-untyped-call]

    app.router.lifespan_context = lifespan
    return app
