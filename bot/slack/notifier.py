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
from sqlmodel import Session, col, select

from bot.config import Settings, SlackSettings
from bot.slack.client import build_web_client
from bot.slack.deliver import send_dm
from bot.slack.render import message_payload
from handlers.messages import DeliveryFailed, Notifier, Reply
from storage.models import ConversationRef, Person

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


def _retry_after(error: SlackApiError) -> float | None:
    headers = error.response.headers or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return float(raw)
            except (TypeError, ValueError):
                return None
    return None


def to_delivery_failed(error: SlackApiError) -> DeliveryFailed:
    """Classify a Web API error that survived the client's own retries."""
    status = error.response.status_code
    code = str(error.response.get("error") or f"http_{status}")
    if status == 429 or code == "ratelimited":
        return DeliveryFailed(f"slack: {code}", is_retryable=True, retry_after_seconds=_retry_after(error))
    if status >= 500:
        return DeliveryFailed(f"slack: {code}", is_retryable=True)
    return DeliveryFailed(f"slack: {code}", is_retryable=code not in PERMANENT_ERRORS)


class SlackNotifier:
    """Delivers proactive messages to a person's Slack DM."""

    def __init__(self, *, client: AsyncWebClient, sessions: sessionmaker[Session]) -> None:
        self.client = client
        self.sessions = sessions

    def _user_id(self, person_id: int) -> str:
        with self.sessions() as session:
            ref = session.exec(
                select(ConversationRef)
                .where(col(ConversationRef.person_id) == person_id)
                .where(col(ConversationRef.platform) == "slack")
            ).first()
            person = session.get(Person, person_id)
        user_id = (ref.address.get("user_id") if ref else None) or (person.slack_user_id if person else None)
        if not user_id:
            raise DeliveryFailed(f"person {person_id} has no Slack user id", is_retryable=False)
        return str(user_id)

    async def notify(self, *, person_id: int, reply: Reply) -> dict[str, Any]:
        """DM the person; return the channel and ts so the message can be updated later.

        Raises:
            DeliveryFailed: Slack refused the message after the client's retries (429, 5xx, connection).
        """
        user_id = self._user_id(person_id)
        try:
            return await send_dm(self.client, user_id=user_id, reply=reply)
        except SlackApiError as error:
            raise to_delivery_failed(error) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryFailed(f"slack: {type(error).__name__}", is_retryable=True) from None

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
