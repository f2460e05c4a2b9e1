"""Factories for the Slack Web API client and the slack-bolt AsyncApp. Nothing is built at import."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import ConfigError
from bot.runtime import Runtime
from bot.slack.client import build_web_client
from bot.slack.identity import BotIdentity
from bot.slack.listeners import SlackListeners
from bot.slack.work import SlackWork


def build_slack_app(
    runtime: Runtime,
    *,
    client: AsyncWebClient | None = None,
    socket_mode: bool = False,
    identity: BotIdentity | None = None,
) -> AsyncApp:
    """Build the bolt app: signatures verified, repeated events dropped, every listener registered.

    Requests are authorised by `identity` (the bot token, and the bot's ids once auth.test has answered),
    so Slack being unreachable never fails a request.

    Raises:
        ConfigError: the signing secret or bot token is missing.
    """
    slack = runtime.settings.slack
    if slack.signing_secret is None and not socket_mode:
        raise ConfigError("Slack is enabled but JOINUP_SLACK__SIGNING_SECRET is not set.")
    client = client or build_web_client(slack)
    identity = identity or BotIdentity(client=client)
    # bolt chooses its single-workspace authorisation (auth.test on the first request) whenever its
    # client holds a token; this one has none, and `authorize` hands each request the token instead.
    tokenless = AsyncWebClient(
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=list(client.retry_handlers),
        logger=client.logger,
    )
    app = AsyncApp(
        client=tokenless,
        authorize=identity.authorizer(),
        signing_secret=slack.signing_secret.get_secret_value() if slack.signing_secret else None,
        # Socket Mode requests arrive over an authenticated websocket and carry no signature.
        request_verification_enabled=not socket_mode,
        # Listeners ack and hand their work to a background task, then return; bolt answers as soon as
        # they return, instead of polling for the ack every 10 ms while the work competes for the loop.
        # Slack waits 3 seconds at most for the ack; the work's own answer arrives through the Web API.
        process_before_response=True,
    )
    # No separate de-duplication step: each listener's inbox row has the event's unique key, written before
    # the ack. Claiming the event id first would turn a failed write (answered 500, so Slack retries) into a
    # dropped retry.
    inbox = runtime.inbox
    if inbox is None:
        raise ConfigError("joinup's runtime has no inbox; build it with build_runtime.")
    # Workers (here, or in `joinup worker`) post replies with the bot's own client, outside any request.
    SlackWork(runtime, client=client).register(inbox)
    SlackListeners(runtime, inbox=inbox).register(app)
    return app
