"""First contact from a Slack user: look up their e-mail, so the same person links across Slack and Teams."""

from __future__ import annotations

import dataclasses
import logging

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from handlers.messages import InboundMessage
from storage.models import Person

log = logging.getLogger(__name__)


def is_known(*, sessions: sessionmaker[Session], user_id: str) -> bool:
    """Return True if a person already has this Slack user id."""
    with sessions() as session:
        found = session.exec(select(Person.id).where(col(Person.slack_user_id) == user_id)).first()
    return found is not None


async def with_profile(
    msg: InboundMessage, *, client: AsyncWebClient, sessions: sessionmaker[Session]
) -> InboundMessage:
    """Add the sender's e-mail and name from users.info when joinup hasn't met this Slack user before."""
    if msg.sender_email or is_known(sessions=sessions, user_id=msg.sender_key):
        return msg
    try:
        response = await client.users_info(user=msg.sender_key)
    except (SlackClientError, aiohttp.ClientError, TimeoutError):
        # Without the e-mail the person is created unlinked; onboarding still works.
        log.warning("users.info failed on first contact", extra={"slack_user_id": msg.sender_key})
        return msg
    user = response.get("user") or {}
    profile = user.get("profile") or {}
    email = profile.get("email") or None
    name = profile.get("real_name") or user.get("real_name") or None
    return dataclasses.replace(msg, sender_email=email, sender_name=name)
