"""The Slack Web API client joinup uses everywhere, with one retry policy for 429s, 5xx and dropped connections."""

from __future__ import annotations

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


def build_web_client(
    slack: SlackSettings, *, retry_interval: RetryIntervalCalculator | None = None
) -> AsyncWebClient:
    """Build a Web API client from the settings, with the retry policy.

    Raises:
        ConfigError: no bot token is configured.
    """
    if slack.bot_token is None:
        raise ConfigError("Slack is enabled but JOINUP_SLACK__BOT_TOKEN is not set.")
    return AsyncWebClient(
        token=slack.bot_token.get_secret_value(),
        base_url=slack.api_url,
        retry_handlers=retry_handlers(interval=retry_interval),
    )
