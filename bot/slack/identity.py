"""Who a Slack user is: look up their e-mail (users.info), so the same person links across Slack and Teams."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from handlers.messages import InboundMessage
from schedules.time.clock import Clock
from storage.models import Person

log = logging.getLogger(__name__)


# A lookup that failed is tried again on a later message, but not more often than this.
RETRY_AFTER = timedelta(minutes=10)


def needs_profile(*, sessions: sessionmaker[Session], user_id: str) -> bool:
    """Tell whether joinup still lacks this Slack user's e-mail: never met, or met while users.info failed."""
    with sessions() as session:
        found = session.exec(
            select(Person.id, Person.email).where(col(Person.slack_user_id) == user_id)
        ).first()
    return found is None or found[1] is None


class SlackProfiles:
    """Adds the sender's e-mail and name from users.info while joinup doesn't know them, so the same person
    links across Slack and Teams (handlers.identity does the linking). A failed lookup is tried again on a
    later message, at most every RETRY_AFTER per user."""

    def __init__(self, *, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions, self.clock = sessions, clock
        self._failed_at: dict[str, datetime] = {}  # Slack user id -> when users.info last failed

    async def add_to(self, msg: InboundMessage, *, client: AsyncWebClient) -> InboundMessage:
        """Return `msg` with the sender's e-mail and name when they are needed and users.info gives them."""
        if msg.sender_email or not needs_profile(sessions=self.sessions, user_id=msg.sender_key):
            return msg
        failed = self._failed_at.get(msg.sender_key)
        if failed is not None and self.clock.now() - failed < RETRY_AFTER:
            return msg
        try:
            response = await client.users_info(user=msg.sender_key)
        except (SlackClientError, aiohttp.ClientError, TimeoutError):
            # Without the e-mail the person is created unlinked; onboarding still works.
            self._failed_at[msg.sender_key] = self.clock.now()
            log.warning("users.info failed", extra={"slack_user_id": msg.sender_key})
            return msg
        self._failed_at.pop(msg.sender_key, None)
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        email = profile.get("email") or None
        name = profile.get("real_name") or user.get("real_name") or None
        return dataclasses.replace(msg, sender_email=email, sender_name=name)
