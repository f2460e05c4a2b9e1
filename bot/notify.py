"""The production Notifier: sends each proactive message on the platform where the person last spoke to us."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot import pacing
from bot.addresses import RecentAddresses
from bot.config import Settings
from bot.metrics import count_send
from bot.slack.notifier import slack_notifier_factory
from bot.teams.notify import teams_notifier_factory
from handlers.messages import DeliveryFailed, Notifier, Reply

# Platform notifier factories: each returns (platform, notifier), or None when its platform is switched off.
NotifierFactory = Callable[[Settings, sessionmaker[Session]], tuple[str, Notifier] | None]
NOTIFIERS: list[NotifierFactory] = []
NOTIFIERS.append(slack_notifier_factory)  # Slack DMs (when JOINUP_SLACK__ENABLED)
NOTIFIERS.append(teams_notifier_factory)  # Teams personal chats (when JOINUP_TEAMS__ENABLED)


class RoutingNotifier:
    """Chooses Slack, Teams or the console per person from their stored conversation references."""

    def __init__(self, *, sessions: sessionmaker[Session], platforms: dict[str, Notifier]) -> None:
        self.sessions = sessions
        self.platforms = platforms
        self.addresses = RecentAddresses(sessions)

    async def _platform_for(self, person_id: int) -> str:
        refs, _ = await self.addresses.of(person_id)
        found = [platform for platform, _ in refs if platform in self.platforms]
        if not found:
            raise DeliveryFailed(
                f"person {person_id} has no conversation on a connected platform", is_retryable=False
            )
        return found[0]

    async def notify(self, *, person_id: int, reply: Reply) -> dict[str, Any]:
        """Send on the person's platform; the returned reference records which one."""
        platform = await self._platform_for(person_id)
        try:
            ref = await self.platforms[platform].notify(person_id=person_id, reply=reply)
        except DeliveryFailed as failure:
            count_send(platform, "retry" if failure.is_retryable else "failed")
            raise
        except Exception:
            count_send(platform, "error")
            raise
        count_send(platform, "sent")
        return {"platform": platform, **ref}

    async def update(self, *, person_id: int, message_ref: dict[str, Any], reply: Reply) -> None:
        """Update a message on the platform it was sent on."""
        platform = message_ref.get("platform")
        if isinstance(platform, str) and platform in self.platforms:
            await self.platforms[platform].update(person_id=person_id, message_ref=message_ref, reply=reply)


def build_routing_notifier(settings: Settings, sessions: sessionmaker[Session]) -> RoutingNotifier:
    """Build the RoutingNotifier with every enabled platform's notifier, sharing the process's pacer (which
    replies use too)."""
    pacing.configure(settings.pacing)
    platforms = dict(found for factory in NOTIFIERS if (found := factory(settings, sessions)) is not None)
    return RoutingNotifier(sessions=sessions, platforms=platforms)
