"""Where to reach a person on each platform, read from their stored conversation references in one query and
remembered for a minute, so a sweep sending a person several reminders reads them once.

Read on the caller's thread: on SQLite every transaction takes the write lock on the one connection, so a read
in a worker thread would collide with the sweep's own writes.

A reference that changes (a person moves to Teams, reinstalls the app) is used within a minute.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from storage.models import ConversationRef, Person

KEEP_SECONDS = 60.0
KEPT_PEOPLE = 100_000


class RecentAddresses:
    """Each person's addresses by platform (newest reference first), and their Slack user id from the directory
    of people, cached for KEEP_SECONDS."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._kept: dict[int, tuple[float, list[tuple[str, dict[str, Any]]], str | None]] = {}

    def _read(self, person_id: int) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        with self.sessions() as session:
            refs = session.exec(
                select(ConversationRef.platform, ConversationRef.address)
                .where(col(ConversationRef.person_id) == person_id)
                .order_by(col(ConversationRef.updated_at).desc())
            ).all()
            person = session.get(Person, person_id)
            slack_user_id = person.slack_user_id if person is not None else None
        return [(str(platform), dict(address or {})) for platform, address in refs], slack_user_id

    async def of(self, person_id: int) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        """Return (platform, address) pairs, newest first, and the person's Slack user id if known."""
        now = time.monotonic()
        kept = self._kept.get(person_id)
        if kept is not None and now - kept[0] < KEEP_SECONDS:
            return kept[1], kept[2]
        refs, slack_user_id = self._read(person_id)
        if len(self._kept) >= KEPT_PEOPLE:
            self._kept.clear()
        self._kept[person_id] = (now, refs, slack_user_id)
        return refs, slack_user_id

    async def on(self, person_id: int, platform: str) -> dict[str, Any]:
        """The person's newest address on one platform ({} when there is none)."""
        refs, _ = await self.of(person_id)
        return next((address for found, address in refs if found == platform), {})
