"""What every handler receives besides the message: who is asking, the time, the database, a notifier."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from handlers.messages import InboundMessage, Notifier
from schedules.clock import Clock
from schedules.settings import DomainSettings
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

    @property
    def person_id(self) -> int:
        """Return the sender's person id."""
        assert self.person.id is not None
        return self.person.id

    @property
    def actor(self) -> str:
        """Return the name the audit log uses for the sender (a handle, never a display name)."""
        return self.person.handle
