"""Proactive Slack messages: a DM per reminder (conversations.open + chat.postMessage), and chat.update
when the item it was about is resolved, so stale buttons don't linger."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.addresses import RecentAddresses
from bot.config import Settings, SlackSettings
from bot.slack.client import build_web_client, current_workspace, retry_after_header
from bot.slack.deliver import forget_dm, open_dm
from bot.slack.render import message_payload
from handlers.messages import DeliveryFailed, Notifier, Reply

log = logging.getLogger(__name__)

# Slack error codes that another attempt cannot fix: the person, the token or the message is the problem.
PERMANENT_ERRORS = frozenset(
    {
        "account_inactive",
        "user_not_found",
        "user_disabled",
        "users_not_found",
        "cannot_dm_bot",
        "channel_not_found",
        "is_archived",
        "not_authed",
        "invalid_auth",
        "token_revoked",
        "token_expired",
        "account_disabled",
        "missing_scope",
        "not_allowed_token_type",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "restricted_action",
    }
)
# A message that is gone or too old to edit: nothing to update, and not worth retrying.
UNEDITABLE = frozenset(
    {"message_not_found", "cant_update_message", "edit_window_closed", "channel_not_found"}
)


def to_delivery_failed(error: SlackApiError) -> DeliveryFailed:
    """Classify a Web API error that survived the client's own retries."""
    status = error.response.status_code
    code = str(error.response.get("error") or f"http_{status}")
    if status == 429 or code == "ratelimited":
        return DeliveryFailed(
            f"slack: {code}",
            is_retryable=True,
            retry_after_seconds=retry_after_header(error.response.headers),
        )
    if status >= 500:
        return DeliveryFailed(f"slack: {code}", is_retryable=True)
    return DeliveryFailed(f"slack: {code}", is_retryable=code not in PERMANENT_ERRORS)


def log_failure(failure: DeliveryFailed, *, method: str, person_id: int) -> None:
    """One line for an expected platform failure: platform, method, status and item, no traceback."""
    log.warning(
        "slack call failed",
        extra={"platform": "slack", "method": method, "status": failure.reason, "person_id": person_id},
    )


class SlackNotifier:
    """Delivers proactive messages to a person's Slack DM."""

    def __init__(self, *, client: AsyncWebClient, sessions: sessionmaker[Session]) -> None:
        self.client = client
        self.sessions = sessions
        self.addresses = RecentAddresses(sessions)

    async def _address(self, person_id: int) -> tuple[str, str | None, str | None]:
        refs, slack_user_id = await self.addresses.of(person_id)
        address = next((found for platform, found in refs if platform == "slack"), {})
        user_id = address.get("user_id") or slack_user_id
        if not user_id:
            raise DeliveryFailed(f"person {person_id} has no Slack user id", is_retryable=False)
        team_id, dm_channel = address.get("team_id"), address.get("dm_channel")
        return str(user_id), str(team_id) if team_id else None, str(dm_channel) if dm_channel else None

    async def notify(self, *, person_id: int, reply: Reply) -> dict[str, Any]:
        """DM the person; return the channel and ts so the message can be updated later.

        Raises:
            DeliveryFailed: Slack refused the message after the client's retries (429, 5xx, connection).
        """
        user_id, team_id, dm_channel = await self._address(person_id)
        workspace = current_workspace.set(team_id)
        method = "conversations.open"
        try:
            # The DM channel, when it was stored with the person's address (the channel of a DM they sent us),
            # saves a conversations.open.
            channel = dm_channel or await open_dm(self.client, user_id=user_id)
            method = "chat.postMessage"
            posted = await self.client.chat_postMessage(channel=channel, **message_payload(reply))
        except SlackApiError as error:
            if error.response.get("error") == "channel_not_found":
                forget_dm(
                    self.client, user_id=user_id
                )  # a remembered DM that is gone: opened afresh next time
            failure = to_delivery_failed(error)
            log_failure(failure, method=method, person_id=person_id)
            raise failure from None
        except (aiohttp.ClientError, TimeoutError) as error:
            failure = DeliveryFailed(f"slack: {type(error).__name__}", is_retryable=True)
            log_failure(failure, method=method, person_id=person_id)
            raise failure from None
        finally:
            current_workspace.reset(workspace)
        return {"channel": channel, "ts": str(posted["ts"])}

    async def update(self, *, person_id: int, message_ref: dict[str, Any], reply: Reply) -> None:
        """Replace a message sent earlier (its buttons go with it unless the new reply has some).

        Raises:
            DeliveryFailed: Slack refused the update for a reason other than the message being gone.
        """
        channel, ts = message_ref.get("channel"), message_ref.get("ts")
        if not channel or not ts:
            return
        try:
            await self.client.chat_update(channel=channel, ts=ts, **message_payload(reply))
        except SlackApiError as error:
            if error.response.get("error") in UNEDITABLE:
                log.info("stale Slack message can't be updated", extra={"person_id": person_id})
                return
            raise to_delivery_failed(error) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryFailed(f"slack: {type(error).__name__}", is_retryable=True) from None


def build_slack_notifier(
    slack: SlackSettings,
    *,
    sessions: sessionmaker[Session],
    retry_interval: RetryIntervalCalculator | None = None,
) -> SlackNotifier:
    """Build the notifier with its own Web API client and the standard retry policy."""
    return SlackNotifier(client=build_web_client(slack, retry_interval=retry_interval), sessions=sessions)


def slack_notifier_factory(
    settings: Settings, sessions: sessionmaker[Session]
) -> tuple[str, Notifier] | None:
    """Register Slack with the RoutingNotifier when it is enabled."""
    if not settings.slack.enabled:
        return None
    return "slack", build_slack_notifier(settings.slack, sessions=sessions)
