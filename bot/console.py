"""The console chat: the embedded default. Plain text for people, JSON lines for scripts."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TextIO

from handlers.messages import Button, Field, Form, InboundMessage, Reply
from schedules.time.clock import FakeClock

_ADVANCE = re.compile(r"^(\d+)\s*(wd|h|d|m)$", re.IGNORECASE)


WIDTH = 100


def _wrap(text: str, indent: str) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(paragraph, WIDTH, initial_indent=indent, subsequent_indent=indent) or [""]
    return lines


def _field_lines(fields: tuple[Field, ...], indent: str) -> list[str]:
    lines: list[str] = []
    for field_ in fields:
        lines += textwrap.wrap(
            f"{field_.label}: {field_.value}",
            WIDTH,
            initial_indent=indent,
            subsequent_indent=indent + "    ",
        ) or [indent + field_.label + ":"]
    return lines


def _button_line(buttons: list[Button], first: int, indent: str) -> str:
    return indent + "  ".join(f"[{n}] {b.label}" for n, b in enumerate(buttons, start=first))


def render_form(form: Form) -> list[str]:
    """Describe a form's inputs; the console then asks for them one at a time."""
    lines = [
        f"{form.title}: I'll ask for each answer in turn (type - to skip an optional one, cancel to stop)."
    ]
    for item in form.inputs:
        optional = "" if item.is_required else " (optional)"
        choices = f": {' / '.join(c.label for c in item.choices)}" if item.choices else ""
        lines.append(f"  - {item.label}{optional}{choices}")
    return lines


def render_text(reply: Reply) -> tuple[str, list[Button]]:
    """Render a reply as plain text; return the text and the buttons in the order they are numbered.

    Each result's buttons are shown under it, numbered on from the ones before, so `/press N` is unambiguous.
    """
    lines = _wrap(reply.text, "")
    buttons: list[Button] = []
    lines += _field_lines(reply.fields, "  ")
    for section in reply.sections:
        lines.append("")
        lines += _wrap(f"• {section.title}", "")
        if section.text:
            lines += _wrap(section.text, "  ")
        lines += _field_lines(section.fields, "  ")
        if section.buttons:
            lines.append(_button_line(list(section.buttons), len(buttons) + 1, "  "))
            buttons += section.buttons
    if reply.form is not None:
        lines += render_form(reply.form)
    if reply.buttons:
        lines.append(_button_line(list(reply.buttons), len(buttons) + 1, "  " if reply.sections else ""))
        buttons += reply.buttons
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
            if reply.form is not None:
                record["form"] = {
                    "title": reply.form.title,
                    "submit_action": reply.form.submit_action,
                    "inputs": [{"id": i.id, "label": i.label, "kind": i.kind} for i in reply.form.inputs],
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


def console_message(
    handle: str,
    *,
    text: str = "",
    button: Button | None = None,
    form: Form | None = None,
    values: dict[str, str] | None = None,
) -> InboundMessage:
    """Build the InboundMessage for a line typed, a button pressed or a form submitted in the console."""
    if form is not None:
        return InboundMessage(
            platform="console",
            sender_key=handle,
            action=form.submit_action,
            action_value=form.value,
            form=dict(values or {}),
            address={"handle": handle},
        )
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
