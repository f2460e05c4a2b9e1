"""Proactive Teams messages: send to a stored conversation reference, and update cards sent earlier."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from microsoft_teams.api.activities import MessageActivityInput
from microsoft_teams.api.auth.cloud_environment import CloudEnvironment
from microsoft_teams.api.auth.credentials import TokenProvider
from microsoft_teams.apps import App
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.addresses import RecentAddresses
from bot.config import ConfigError, Settings, TeamsSettings
from bot.teams.app import RouterAdapter, app_options
from bot.teams.render import to_activity
from bot.teams.retry import Sleep, current_tenant, is_retryable, retry_after_seconds
from handlers.messages import DeliveryFailed, Notifier, Reply

log = logging.getLogger(__name__)


def delivery_failure(error: Exception) -> DeliveryFailed:
    """Describe a failed connector call for the outbox: retry later, or give up."""
    if isinstance(error, httpx.HTTPStatusError):
        status = error.response.status_code
        return DeliveryFailed(
            f"Teams answered {status}",
            is_retryable=is_retryable(status),
            retry_after_seconds=retry_after_seconds(error.response),
        )
    return DeliveryFailed(f"Teams unreachable: {type(error).__name__}", is_retryable=True)


class TeamsNotifier:
    """Sends replies to people's personal chats with the bot, and updates cards sent earlier."""

    def __init__(self, *, app: App, sessions: sessionmaker[Session]) -> None:
        self.app = app
        self.sessions = sessions
        self.addresses = RecentAddresses(sessions)
        self._is_ready = False

    async def _ready(self) -> None:
        if not self._is_ready:
            await self.app.initialize()
            self._is_ready = True

    async def _address(self, person_id: int) -> dict[str, Any]:
        address = await self.addresses.on(person_id, "teams")
        if not address.get("conversation_id") or not address.get("service_url"):
            raise DeliveryFailed(f"person {person_id} has not installed joinup in Teams", is_retryable=False)
        return address

    async def _send(self, address: dict[str, Any], activity: MessageActivityInput, *, person_id: int) -> str:
        await self._ready()
        tenant = current_tenant.set(str(address["tenant_id"]) if address.get("tenant_id") else None)
        try:
            sent = await self.app.send(
                str(address["conversation_id"]), activity, service_url=str(address["service_url"])
            )
        except (httpx.HTTPStatusError, httpx.TransportError) as error:
            failure = delivery_failure(error)
            # Expected: one line naming the platform, the call, the answer and the person's id; no traceback.
            log.warning(
                "teams call failed",
                extra={
                    "platform": "teams",
                    "method": "update" if activity.id else "send",
                    "status": failure.reason,
                    "person_id": person_id,
                    "is_retryable": failure.is_retryable,
                },
            )
            raise failure from None
        finally:
            current_tenant.reset(tenant)
        return str(sent.id)

    async def notify(self, *, person_id: int, reply: Reply) -> dict[str, Any]:
        """Send `reply` as an Adaptive Card; return the ids needed to update it later.

        Raises:
            DeliveryFailed: no conversation is stored, or Teams refused the message.
        """
        address = await self._address(person_id)
        activity_id = await self._send(address, to_activity(reply), person_id=person_id)
        return {
            "conversation_id": address["conversation_id"],
            "service_url": address["service_url"],
            "activity_id": activity_id,
        }

    async def update(self, *, person_id: int, message_ref: dict[str, Any], reply: Reply) -> None:
        """Replace a card sent earlier (e.g. drop its buttons once the item is resolved).

        Raises:
            DeliveryFailed: Teams refused the update.
        """
        activity_id = message_ref.get("activity_id")
        if not activity_id:
            return
        has_address = message_ref.get("conversation_id") and message_ref.get("service_url")
        address = message_ref if has_address else await self._address(person_id)
        activity = to_activity(reply)
        activity.id = str(activity_id)  # an activity with an id is an update, not a new message
        await self._send(address, activity, person_id=person_id)


def build_teams_notifier(
    teams: TeamsSettings,
    *,
    sessions: sessionmaker[Session],
    token: TokenProvider | None = None,
    cloud: CloudEnvironment | None = None,
    sleep: Sleep | None = None,
) -> TeamsNotifier:
    """Build the notifier with its own SDK App (it only sends); the keyword arguments are for tests.

    Raises:
        ConfigError: no app id is configured.
    """
    if not teams.app_id:
        raise ConfigError("Teams is enabled but JOINUP_TEAMS__APP_ID is not set.")
    options = app_options(teams, adapter=RouterAdapter(), token=token, cloud=cloud, sleep=sleep)
    return TeamsNotifier(app=App(**options), sessions=sessions)


def teams_notifier_factory(
    settings: Settings, sessions: sessionmaker[Session]
) -> tuple[str, Notifier] | None:
    """The RoutingNotifier's Teams entry, when Teams is enabled."""
    if not settings.teams.enabled:
        return None
    return "teams", build_teams_notifier(settings.teams, sessions=sessions)
