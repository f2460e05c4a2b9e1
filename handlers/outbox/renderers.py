"""Turning a due reminder row into a message: one renderer per reminder kind, registered by its module."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from handlers.messages import Reply
from storage.models import Reminder

# Returns the message to send, or None when the reminder is moot (its subject was resolved meanwhile).
Renderer = Callable[[Session, Reminder], Reply | None]


class ReminderRenderers:
    """The registry of reminder kinds; handler modules add theirs in register()."""

    def __init__(self) -> None:
        self._renderers: dict[str, Renderer] = {}

    def add(self, kind: str, renderer: Renderer) -> None:
        """Register how to render reminders of `kind`."""
        if kind in self._renderers:
            raise ValueError(f"reminder kind {kind!r} is registered twice")
        self._renderers[kind] = renderer

    def render(self, session: Session, reminder: Reminder) -> Reply | None:
        """Render a reminder; unknown kinds are a programming error.

        Raises:
            KeyError: no renderer for the reminder's kind.
        """
        return self._renderers[reminder.kind](session, reminder)

    @property
    def kinds(self) -> list[str]:
        """Return every registered kind."""
        return sorted(self._renderers)
