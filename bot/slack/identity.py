"""Who a Slack user is (users.info, so the same person links across Slack and Teams), and who the bot is
(auth.test, learned in the background)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from handlers.messages import InboundMessage
from schedules.time.clock import Clock
from storage.models import Person

log = logging.getLogger(__name__)


# A lookup that failed is tried again on a later message, but not more often than this.
RETRY_AFTER = timedelta(minutes=10)
# Once joinup knows a user's e-mail it is not looked up again; the database is asked again after this long
# (a person removed by an admin is then met afresh), so most requests cost no query for the profile at all.
KNOWN_FOR = timedelta(minutes=10)


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
        self._known_at: dict[str, datetime] = {}  # Slack user id -> when their e-mail was last seen stored

    def _needs_profile(self, user_id: str) -> bool:
        now = self.clock.now()
        known = self._known_at.get(user_id)
        if known is not None and timedelta(0) <= now - known < KNOWN_FOR:
            return False
        if needs_profile(sessions=self.sessions, user_id=user_id):
            self._known_at.pop(user_id, None)
            return True
        self._known_at[user_id] = now
        return False

    async def add_to(self, msg: InboundMessage, *, client: AsyncWebClient) -> InboundMessage:
        """Return `msg` with the sender's e-mail and name when they are needed and users.info gives them."""
        if msg.sender_email or not self._needs_profile(msg.sender_key):
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


# Waits between auth.test attempts while Slack can't be reached: quick at first, then once a minute.
IDENTITY_RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


class BotIdentity:
    """Who the bot is in its workspace (auth.test), learned at start-up and in the background.

    bolt's single-workspace authorisation calls auth.test on the first request and answers 500 when Slack
    can't be reached. joinup authorises every request from what it already knows instead: the bot token,
    plus the bot's ids once auth.test has answered. Nothing on a request's path waits for Slack.
    """

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        retry_seconds: tuple[float, ...] = IDENTITY_RETRY_SECONDS,
    ) -> None:
        self.client = client
        self.retry_seconds = retry_seconds
        self.auth_test: dict[str, Any] | None = None
        self.known = asyncio.Event()  # set once auth.test has answered
        self._task: asyncio.Task[None] | None = None

    async def fetch(self) -> bool:
        """Ask auth.test once; True when the bot's ids are now known."""
        try:
            response = await self.client.auth_test()
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            log.warning(
                "auth.test failed; Slack requests are served meanwhile", extra={"error": _name(error)}
            )
            return False
        self.auth_test = dict(response.data) if isinstance(response.data, dict) else {}
        self.known.set()
        return True

    async def _keep_trying(self) -> None:
        attempt = 0
        while not await self.fetch():
            await asyncio.sleep(self.retry_seconds[min(attempt, len(self.retry_seconds) - 1)])
            attempt += 1

    def start(self) -> None:
        """Learn the bot's ids in the background, retrying until Slack answers (idempotent)."""
        if self.auth_test is None and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(
                self._keep_trying(), name="joinup-loop:slack-identity"
            )

    async def stop(self) -> None:
        """Stop retrying (at shut-down)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def result(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:
        """The bot token always; the bot's ids once auth.test has given them."""
        self.start()  # not awaited: a request never waits for Slack to say who the bot is
        known = self.auth_test or {}
        return AuthorizeResult(
            enterprise_id=enterprise_id or known.get("enterprise_id"),
            team_id=team_id or known.get("team_id"),
            team=known.get("team"),
            url=known.get("url"),
            bot_user_id=known.get("user_id"),
            bot_id=known.get("bot_id"),
            bot_token=self.client.token,
            user_id=user_id,
        )

    def authorizer(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """bolt's `authorize` function (bolt passes arguments by their names, so this is a plain function)."""

        async def authorize(
            enterprise_id: str | None, team_id: str | None, user_id: str | None
        ) -> AuthorizeResult:
            return self.result(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)

        return authorize


def _name(error: BaseException) -> str:
    # Slack's own error code when it answered; otherwise the kind of failure (never the token).
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or error.response.status_code)
    return type(error).__name__
