"""What every handler receives besides the message: who is asking, the time, the database, a notifier."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from handlers.messages import InboundMessage, Notifier, Reply
from schedules.settings import DomainSettings
from schedules.time.clock import Clock
from storage.models import Person


@dataclass(frozen=True, slots=True)
class HandlerContext:
    """Capabilities a handler may use; never a platform client."""

    person: Person  # detached snapshot of the sender, resolved from the platform address
    clock: Clock
    sessions: sessionmaker[Session]
    notifier: Notifier
    settings: DomainSettings
    message: InboundMessage
    # The command's arguments as the grammar parsed them ("core group from 21/12/2026" for
    # "due core group from 21/12/2026", or what a phrase captured); for an answer to a pending question,
    # the answer. Handlers read this, never the raw message text.
    args: str = ""
    # The command word as typed ("hello" for help); empty for buttons and answers to questions.
    word: str = ""
    # Every command word, so a case reference can't be one ("refer front door case feedback").
    words: frozenset[str] = frozenset()
    # Handle another message as if the same person had just sent it (onboarding replays the command
    # that started it). None outside the Dispatcher.
    dispatch: Callable[[InboundMessage], Awaitable[Reply]] | None = None

    @property
    def person_id(self) -> int:
        """Return the sender's person id."""
        assert self.person.id is not None
        return self.person.id

    @property
    def actor(self) -> str:
        """Return the name the audit log uses for the sender (a handle, never a display name)."""
        return self.person.handle
