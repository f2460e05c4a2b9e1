"""The console chat: the embedded default. Plain text for people, JSON lines for scripts."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TextIO

from handlers.messages import Button, InboundMessage, Reply
from schedules.clock import FakeClock

_ADVANCE = re.compile(r"^(\d+)\s*(wd|h|d|m)$", re.IGNORECASE)


def render_text(reply: Reply) -> tuple[str, list[Button]]:
    """Render a reply as plain text; return the text and the buttons in the order they are numbered."""
    lines = [reply.text]
    buttons: list[Button] = []
    lines += [f"  {f.label}: {f.value}" for f in reply.fields]
    for section in reply.sections:
        lines.append(f"• {section.title}")
        if section.text:
            lines.append(f"  {section.text}")
        lines += [f"    {f.label}: {f.value}" for f in section.fields]
        buttons += section.buttons
    if reply.form is not None:
        lines.append(f"[{reply.form.title}] " + "; ".join(i.label for i in reply.form.inputs))
    buttons += reply.buttons
    if buttons:
        lines.append("  " + "  ".join(f"[{n}] {b.label}" for n, b in enumerate(buttons, start=1)))
    return "\n".join(lines), buttons


@dataclass
class ConsoleOutput:
    """Prints what joinup sends, to the current user or (for reminders) to anyone, as text or JSON."""

    stream: TextIO
    as_json: bool
    buttons: dict[str, list[Button]] = field(default_factory=dict)  # last buttons shown per handle

    def show(self, *, to: str, reply: Reply) -> None:
        """Print one outgoing message and remember its buttons for /press."""
        text, buttons = render_text(reply)
        self.buttons[to] = buttons
        if self.as_json:
            record: dict[str, Any] = {
                "to": to,
                "kind": reply.kind,
                "text": text,
                "buttons": [{"label": b.label, "action": b.action, "value": b.value} for b in buttons],
            }
            self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            prefix = "" if reply.kind == "reply" else f"── {reply.kind} for {to} ──\n"
            self.stream.write(prefix + text + "\n\n")
        self.stream.flush()


def parse_advance(text: str) -> timedelta | int | None:
    """Parse '2wd' (working days: returns the int), '3h', '1d' or '30m' (a timedelta)."""
    match = _ADVANCE.match(text.strip())
    if match is None:
        return None
    amount, unit = int(match.group(1)), match.group(2).lower()
    if unit == "wd":
        return amount
    return {"h": timedelta(hours=amount), "d": timedelta(days=amount), "m": timedelta(minutes=amount)}[unit]


def console_message(handle: str, *, text: str = "", button: Button | None = None) -> InboundMessage:
    """Build the InboundMessage for a line typed, or a button pressed, in the console."""
    if button is not None:
        return InboundMessage(
            platform="console",
            sender_key=handle,
            action=button.action,
            action_value=button.value,
            address={"handle": handle},
        )
    return InboundMessage(platform="console", sender_key=handle, text=text, address={"handle": handle})


def is_interactive(stream: TextIO) -> bool:
    """Tell whether a person is typing (readline prompt) or a script is piping input."""
    return stream.isatty()


def default_streams() -> tuple[TextIO, TextIO]:
    """Return stdin and stdout."""
    return sys.stdin, sys.stdout


__all__ = ["ConsoleOutput", "FakeClock", "console_message", "is_interactive", "parse_advance", "render_text"]


class ConsoleNotifier:
    """Delivers proactive messages (reminders, chases, digests) by printing them, addressed by handle."""

    def __init__(self, output: ConsoleOutput, handles: dict[int, str] | None = None) -> None:
        self.output = output
        self.handles = handles if handles is not None else {}

    async def notify(self, *, person_id: int, reply: Reply) -> dict[str, Any]:
        """Print the message for its recipient."""
        self.output.show(to=self.handles.get(person_id, f"person-{person_id}"), reply=reply)
        return {"console": True}

    async def update(self, *, person_id: int, message_ref: dict[str, Any], reply: Reply) -> None:
        """Consoles can't edit what was printed; updates are silent."""
