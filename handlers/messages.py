"""Platform-neutral messages: what comes in from any chat platform, and what goes back out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Platform = Literal["slack", "teams", "console"]
Kind = Literal["reply", "reminder", "digest"]
ButtonStyle = Literal["default", "primary", "danger"]
InputKind = Literal["text", "multiline", "choice", "date"]


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One thing a person said or pressed, on any platform."""

    platform: Platform
    sender_key: str  # platform user id (Slack U…, Teams AAD object id, console handle)
    text: str = ""
    action: str | None = None  # button intent, e.g. "ack"
    action_value: str | None = None  # its subject, e.g. "TI-0042"
    form: Mapping[str, str] = field(default_factory=dict)  # submitted modal / card inputs
    address: Mapping[str, Any] = field(default_factory=dict)  # where to reach the sender proactively
    sender_name: str | None = None
    sender_email: str | None = None
    event_id: str | None = None  # platform event id, for de-duplication


@dataclass(frozen=True, slots=True)
class Field:
    """A label and value shown side by side (Slack fields, Adaptive Card facts)."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Button:
    """A button that sends `action` with `value` back to the router."""

    label: str
    action: str
    value: str = ""
    style: ButtonStyle = "default"


@dataclass(frozen=True, slots=True)
class Section:
    """One result in a list, e.g. a directory team with its routes."""

    title: str
    text: str = ""
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class Choice:
    """An option in a choice input."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class FormInput:
    """One field of a form (a Slack modal input, an Adaptive Card Input.*)."""

    id: str
    label: str
    kind: InputKind = "text"
    choices: tuple[Choice, ...] = ()
    is_required: bool = True
    placeholder: str = ""
    initial: str = ""
    error: str = ""  # why the last value given was refused, shown beside the input


@dataclass(frozen=True, slots=True)
class Form:
    """A multi-field form; submitting it sends `submit_action` with the inputs in `InboundMessage.form`."""

    title: str
    submit_action: str
    inputs: tuple[FormInput, ...]
    submit_label: str = "Submit"
    value: str = ""  # context carried back on submit, e.g. an item reference


@dataclass(frozen=True, slots=True)
class Reply:
    """What joinup says: rendered to Block Kit, Adaptive Cards or plain text at the edge."""

    text: str
    fields: tuple[Field, ...] = ()
    sections: tuple[Section, ...] = ()
    buttons: tuple[Button, ...] = ()
    form: Form | None = None
    kind: Kind = "reply"
    is_private: bool = False  # Slack: ephemeral reply to a slash command


class Notifier(Protocol):
    """Sends a message to someone other than the current conversation (reminders, chases, digests)."""

    async def notify(self, *, person_id: int, reply: Reply) -> dict[str, Any]:
        """Deliver `reply` to the person and return a platform reference for later updates.

        Raises:
            DeliveryFailed: the platform refused the message (retryable or not).
        """
        ...

    async def update(self, *, person_id: int, message_ref: dict[str, Any], reply: Reply) -> None:
        """Replace a message sent earlier (e.g. remove stale buttons once an item is resolved)."""
        ...


class DeliveryFailed(Exception):
    """A platform refused or failed to take a message."""

    def __init__(self, reason: str, *, is_retryable: bool = True, retry_after_seconds: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.is_retryable = is_retryable
        self.retry_after_seconds = retry_after_seconds


class RecordingNotifier:
    """A Notifier that keeps what it was asked to send; for the console chat and handler tests."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, Reply]] = []
        self.updated: list[tuple[int, dict[str, Any], Reply]] = []

    async def notify(self, *, person_id: int, reply: Reply) -> dict[str, Any]:
        """Record the message and return its position as the reference."""
        self.sent.append((person_id, reply))
        return {"index": len(self.sent) - 1}

    async def update(self, *, person_id: int, message_ref: dict[str, Any], reply: Reply) -> None:
        """Record the update."""
        self.updated.append((person_id, message_ref, reply))
