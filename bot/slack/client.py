"""The Slack Web API client joinup uses everywhere: one retry policy for 429s, 5xx and dropped connections,
and every call paced to Slack's published limits (bot/pacing.py) before it goes."""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.handler import default_interval_calculator
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot import pacing
from bot.config import ConfigError, SlackSettings

# 429: wait as long as Slack's Retry-After says, up to three times. 5xx and dropped connections: back off twice.
RATE_LIMIT_RETRIES = 3
SERVER_ERROR_RETRIES = 2
CONNECTION_ERROR_RETRIES = 2


class ServerErrorRetryHandler(AsyncRetryHandler):
    """Retry any 5xx answer (slack_sdk's built-in handler retries only 500 and 503, not 502 or 504)."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code >= 500


def retry_handlers(*, interval: RetryIntervalCalculator | None = None) -> list[AsyncRetryHandler]:
    """Return the retry policy every joinup Slack call uses."""
    backoff = interval or default_interval_calculator
    return [
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES, interval_calculator=backoff),
        AsyncConnectionErrorRetryHandler(
            max_retry_count=CONNECTION_ERROR_RETRIES, interval_calculator=backoff
        ),
    ]


# The workspace a call is made for, when the caller knows it (a person's stored team id); Slack counts limits
# per workspace. A single-workspace install leaves it unset and everything counts against one workspace.
current_workspace: ContextVar[str | None] = ContextVar("slack_workspace", default=None)
DEFAULT_WORKSPACE = "workspace"


def _channel(*bodies: Any) -> str | None:
    for body in bodies:
        if isinstance(body, dict) and isinstance(body.get("channel"), str):
            return str(body["channel"])
    return None


# DM channels a client remembers: conversations.open is a tier 3 method (50 a minute), so opening the DM before
# every message would be throttled long before chat.postMessage was. A DM channel's id never changes.
DM_CHANNELS_KEPT = 100_000


class PacedWebClient(AsyncWebClient):
    """An AsyncWebClient that waits for its turn with the process's pacer before each Web API call, and
    remembers the DM channels it has opened."""

    pacer: pacing.Pacer | None = None
    dm_channels: dict[str, str]
    keep_alive = False
    _session_loop: asyncio.AbstractEventLoop | None = None

    def _keep_alive(self) -> None:
        """Give the client one aiohttp session per event loop, so calls reuse connections (slack_sdk opens
        and closes a session per call when it has none)."""
        loop = asyncio.get_running_loop()
        if self.session is None or self._session_loop is not loop or self.session.closed:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
            self._session_loop = loop

    async def aclose(self) -> None:
        """Close the kept-alive session, if there is one (a process's last step)."""
        if self.session is not None and not self.session.closed:
            await self.session.close()

    def remember_dm(self, user_id: str, channel: str) -> None:
        """Keep a user's DM channel id (a bounded map: cleared when full, then refilled as people are messaged)."""
        if len(self.dm_channels) >= DM_CHANNELS_KEPT:
            self.dm_channels.clear()
        self.dm_channels[user_id] = channel

    async def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: Any = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> AsyncSlackResponse:
        """Wait for a free slot in every scope the call counts against, then make it on a kept-alive session."""
        if self.keep_alive:
            self._keep_alive()
        scopes: tuple[pacing.Scope, ...] = ()
        if self.pacer is not None:
            workspace = current_workspace.get() or DEFAULT_WORKSPACE
            scopes = pacing.slack_scopes(
                api_method, workspace=workspace, channel=_channel(json, params, data)
            )
            await self.pacer.wait(*scopes)
        try:
            return await super().api_call(
                api_method,
                http_verb=http_verb,
                files=files,
                data=data,
                params=params,
                json=json,
                headers=headers,
                auth=auth,
            )
        except SlackApiError as error:
            if self.pacer is not None and error.response.status_code == 429:
                # Still throttled after the retries: keep everyone else off these scopes for as long as Slack said.
                wait = retry_after_header(error.response.headers)
                for scope in scopes:
                    self.pacer.hold(scope, wait or 1.0)
            raise


def retry_after_header(headers: Any) -> float | None:
    """Read Retry-After (seconds) from Slack's response headers."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return float(raw)
            except (TypeError, ValueError):
                return None
    return None


def build_web_client(
    slack: SlackSettings,
    *,
    retry_interval: RetryIntervalCalculator | None = None,
    pacer: pacing.Pacer | None = None,
) -> AsyncWebClient:
    """Build a Web API client from the settings, with the retry policy and the process's pacer (or `pacer`).

    Raises:
        ConfigError: no bot token is configured.
    """
    if slack.bot_token is None:
        raise ConfigError("Slack is enabled but JOINUP_SLACK__BOT_TOKEN is not set.")
    client = PacedWebClient(
        token=slack.bot_token.get_secret_value(),
        base_url=slack.api_url,
        retry_handlers=retry_handlers(interval=retry_interval),
    )
    client.pacer = pacer or pacing.process_pacer()
    client.dm_channels = {}
    client.keep_alive = slack.keep_alive
    return client
