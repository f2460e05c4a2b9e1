"""Platform-neutral replies → Adaptive Cards 1.5 for Teams, with a plain-text fallback."""

from __future__ import annotations

import re
from typing import Any

from microsoft_teams.api.activities import MessageActivityInput
from microsoft_teams.cards import (
    ActionSet,
    AdaptiveCard,
    CardElement,
    Choice,
    ChoiceSetInput,
    Container,
    DateInput,
    Fact,
    FactSet,
    SubmitAction,
    TextBlock,
    TextInput,
)

from bot.teams.forms import required_messages
from handlers.messages import Button, Field, Form, FormInput, Reply, Section

CARD_VERSION = "1.5"  # the newest version Teams renders
# Keys that a card's submit data carries itself; form inputs must use other ids, or Teams overwrites them.
RESERVED_INPUT_IDS = frozenset({"action", "value", "msteams"})
_ACTION_STYLES = {"primary": "positive", "danger": "destructive"}


# Markdown that a TextBlock or fact would act on: a link or image ("[click](https://…)"), or an autolink
# ("<https://…>"). Text that came from people or imports (a feedback reason, a directory entry) must never
# become a clickable link in someone else's chat, so a zero-width space breaks the syntax; the words and
# the address still show.
_MARKDOWN_LINK = re.compile(r"\]\s*\(")
_AUTOLINK = re.compile(r"<(?=[a-z][a-z0-9+.\-]*:)", re.IGNORECASE)
ZERO_WIDTH_SPACE = "\u200b"


def safe_markdown(text: str) -> str:
    """Return `text` with Markdown links and autolinks broken, so it shows as typed and links nowhere."""
    text = _MARKDOWN_LINK.sub("]" + ZERO_WIDTH_SPACE + "(", text)
    return _AUTOLINK.sub("<" + ZERO_WIDTH_SPACE, text)


def _text(text: str, **style: Any) -> TextBlock:
    return TextBlock(text=safe_markdown(text), wrap=True, **style)


def _facts(fields: tuple[Field, ...]) -> FactSet:
    return FactSet(
        facts=[Fact(title=safe_markdown(field.label), value=safe_markdown(field.value)) for field in fields]
    )


def _submit(label: str, action: str, value: str, style: str = "default") -> SubmitAction:
    submit = SubmitAction(title=label).with_data({"action": action, "value": value})
    if style in _ACTION_STYLES:
        submit.style = _ACTION_STYLES[style]  # type: ignore[assignment]
    return submit


def _actions(buttons: tuple[Button, ...]) -> ActionSet:
    return ActionSet(actions=[_submit(b.label, b.action, b.value, b.style) for b in buttons])


def _section(section: Section) -> Container:
    items: list[CardElement] = [_text(section.title, weight="Bolder")]
    if section.text:
        items.append(_text(section.text))
    if section.fields:
        items.append(_facts(section.fields))
    if section.buttons:
        items.append(_actions(section.buttons))
    return Container(items=items, separator=True)


def _input(form_input: FormInput, missing: str = "") -> CardElement:
    if form_input.id in RESERVED_INPUT_IDS:
        raise ValueError(f"form input id {form_input.id!r} is reserved for the card's own data")
    common: dict[str, Any] = {
        "id": form_input.id,
        "label": form_input.label,
        "is_required": form_input.is_required,
    }
    if form_input.is_required or form_input.error:
        common["error_message"] = form_input.error or missing or f"Enter {form_input.label.lower()}"
    if form_input.initial:
        common["value"] = form_input.initial
    if form_input.placeholder:
        common["placeholder"] = form_input.placeholder
    match form_input.kind:
        case "choice":
            choices = [Choice(title=c.label, value=c.value) for c in form_input.choices]
            return ChoiceSetInput(choices=choices, style="compact", **common)
        case "date":
            return DateInput(**common)
        case "multiline":
            return TextInput(is_multiline=True, **common)
        case _:
            return TextInput(**common)


def _form(form: Form) -> list[CardElement]:
    elements: list[CardElement] = [TextBlock(text=form.title, wrap=True, weight="Bolder", separator=True)]
    missing = required_messages(form.submit_action)  # shown by Teams itself when a required input is empty
    for form_input in form.inputs:
        elements.append(_input(form_input, missing.get(form_input.id, "")))
        if form_input.error:
            # A refused value: the card comes back with the reason right under its input.
            elements.append(TextBlock(text=form_input.error, color="Attention", wrap=True, spacing="None"))
    elements.append(
        ActionSet(actions=[_submit(form.submit_label, form.submit_action, form.value, "primary")])
    )
    return elements


def plain_text(reply: Reply) -> str:
    """Render a reply as plain text, for clients that can't show cards and for notifications."""
    lines = [reply.text]
    lines += [f"{f.label}: {f.value}" for f in reply.fields]
    for section in reply.sections:
        lines.append(f"- {section.title}")
        if section.text:
            lines.append(f"  {section.text}")
        lines += [f"  {f.label}: {f.value}" for f in section.fields]
    if reply.form is not None:
        lines.append(f"{reply.form.title}: " + "; ".join(i.label for i in reply.form.inputs))
    return "\n".join(line for line in lines if line)


def to_card(reply: Reply) -> AdaptiveCard:
    """Render a reply as an Adaptive Card 1.5: text, facts, one container per section, inputs, buttons.

    Raises:
        ValueError: a form input uses a reserved id ("action", "value" or "msteams").
    """
    body: list[CardElement] = [_text(reply.text)]
    if reply.fields:
        body.append(_facts(reply.fields))
    body += [_section(section) for section in reply.sections]
    if reply.form is not None:
        body += _form(reply.form)
    if reply.buttons:
        body.append(_actions(reply.buttons))
    card = AdaptiveCard(body=body, version=CARD_VERSION)
    card.fallback_text = safe_markdown(plain_text(reply))
    return card


def card_json(reply: Reply) -> dict[str, Any]:
    """Return the card for a reply as the JSON Teams receives."""
    return to_card(reply).model_dump(by_alias=True, exclude_none=True)


def to_activity(reply: Reply) -> MessageActivityInput:
    """Build the message activity for a reply: one Adaptive Card (its fallbackText carries the plain text)."""
    return MessageActivityInput().add_card(to_card(reply))
