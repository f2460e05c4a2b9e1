"""Neutral Reply and Form → Slack Block Kit. The only module that knows Block Kit's shapes and limits."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from bot.slack.parse import ACTION_PREFIX, FORM_SUBMIT_PREFIX, VIEW_PREFIX
from handlers.messages import Button, Field, Form, FormInput, Reply, Section

Block = dict[str, Any]

# Block Kit limits (api.slack.com/reference/block-kit): beyond these Slack rejects the whole message.
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_BUTTON_LABEL = 75
MAX_VALUE = 2000
MAX_ACTIONS = 25
MAX_OPTIONS = 100
MAX_VIEW_TITLE = 24
MAX_FALLBACK_TEXT = 3000


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _cut(text, limit) or " ", "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _cut(text, MAX_SECTION_TEXT) or " "}


def _fields_blocks(fields: Iterable[Field]) -> list[Block]:
    rendered = [_mrkdwn(_cut(f"*{escape(f.label)}*\n{escape(f.value)}", MAX_FIELD_TEXT)) for f in fields]
    return [
        {"type": "section", "fields": rendered[start : start + MAX_FIELDS]}
        for start in range(0, len(rendered), MAX_FIELDS)
    ]


def button_element(button: Button, *, action_id: str) -> dict[str, Any]:
    """Render one button; its action_id names the neutral action and its value the subject."""
    element: dict[str, Any] = {
        "type": "button",
        "text": _plain(button.label, MAX_BUTTON_LABEL),
        "action_id": action_id,
    }
    if button.value:
        element["value"] = _cut(button.value, MAX_VALUE)
    if button.style != "default":
        element["style"] = button.style
    return element


def _actions_block(buttons: Iterable[Button], *, block_id: str) -> Block:
    seen: Counter[str] = Counter()
    elements = []
    for button in list(buttons)[:MAX_ACTIONS]:
        seen[button.action] += 1
        # Slack needs action ids unique within a block; the suffix is dropped when parsing.
        suffix = "" if seen[button.action] == 1 else f"#{seen[button.action]}"
        elements.append(button_element(button, action_id=f"{ACTION_PREFIX}{button.action}{suffix}"))
    return {"type": "actions", "block_id": block_id, "elements": elements}


def _section_blocks(section: Section, *, index: int) -> list[Block]:
    text = f"*{escape(section.title)}*"
    if section.text:
        text += f"\n{escape(section.text)}"
    blocks: list[Block] = [{"type": "section", "text": _mrkdwn(text)}]
    blocks += _fields_blocks(section.fields)
    if section.buttons:
        blocks.append(_actions_block(section.buttons, block_id=f"joinup-section-{index}"))
    return blocks


def reply_blocks(reply: Reply) -> list[Block]:
    """Render a Reply as Block Kit blocks: text, fields, one group per section, then the buttons."""
    blocks: list[Block] = [{"type": "section", "text": _mrkdwn(escape(reply.text))}]
    blocks += _fields_blocks(reply.fields)
    tail = [_actions_block(reply.buttons, block_id="joinup-buttons")] if reply.buttons else []
    for index, section in enumerate(reply.sections):
        group = [{"type": "divider"}, *_section_blocks(section, index=index)]
        if len(blocks) + len(group) + len(tail) > MAX_BLOCKS:
            break  # Slack refuses more than 50 blocks; the handler's text still says what was found
        blocks += group
    return blocks + tail


# Added under a question asked in a channel: the answer may carry a case reference, which belongs in private.
ANSWER_PRIVATELY = (
    "Only you can see this. Answer privately: in a direct message to me, or with `/joinup <your answer>`, "
    "whose reply only you see. Don't answer in the channel."
)


def asking_privately(reply: Reply) -> Reply:
    """Return a question asked in a channel with the line saying to answer it privately."""
    return dataclasses.replace(reply, text=f"{reply.text}\n\n{ANSWER_PRIVATELY}")


def message_payload(reply: Reply) -> dict[str, Any]:
    """Return chat.postMessage / chat.update / respond arguments: fallback text plus blocks."""
    if reply.form is not None and reply.form.inputs:
        blocks = reply_blocks(reply) + form_message_blocks(reply.form)
        blocks = blocks[-MAX_BLOCKS:]
    else:
        blocks = reply_blocks(reply)
    # The fallback text is mrkdwn too (notifications, screen readers): escaped like the blocks, so a
    # "<https://…|click>" someone typed is never a link.
    return {"text": _cut(escape(reply.text), MAX_FALLBACK_TEXT), "blocks": blocks}


def _input_element(form_input: FormInput) -> dict[str, Any]:
    element: dict[str, Any]
    if form_input.kind == "choice":
        options = [
            {"text": _plain(choice.label, 75), "value": _cut(choice.value, 150)}
            for choice in form_input.choices[:MAX_OPTIONS]
        ]
        element = {"type": "static_select", "options": options}
        initial = [option for option in options if option["value"] == form_input.initial]
        if initial:
            element["initial_option"] = initial[0]
    elif form_input.kind == "date":
        element = {"type": "datepicker"}
        if form_input.initial:
            element["initial_date"] = form_input.initial
    else:
        element = {"type": "plain_text_input", "multiline": form_input.kind == "multiline"}
        if form_input.initial:
            element["initial_value"] = form_input.initial
    element["action_id"] = form_input.id
    if form_input.placeholder:
        element["placeholder"] = _plain(form_input.placeholder, 150)
    return element


def input_blocks(form: Form) -> list[Block]:
    """Render a form's inputs as Block Kit input blocks; each block_id is the input's id."""
    return [
        {
            "type": "input",
            "block_id": form_input.id,
            "label": _plain(form_input.label, 2000),
            "optional": not form_input.is_required,
            "element": _input_element(form_input),
        }
        for form_input in form.inputs
    ]


def form_view(form: Form, *, origin_channel: str = "") -> dict[str, Any]:
    """Render a Form as a modal for views.open; submitting it sends the form's submit action."""
    metadata = json.dumps({"value": form.value, "channel": origin_channel})
    blocks = input_blocks(form)
    title = form.title
    if len(title) > MAX_VIEW_TITLE:
        # Slack cuts modal titles at 24 characters; say it in full above the inputs instead.
        blocks.insert(0, {"type": "section", "text": _mrkdwn(f"*{escape(form.title)}*")})
        title = "joinup"
    return {
        "type": "modal",
        "callback_id": f"{VIEW_PREFIX}{form.submit_action}",
        "private_metadata": metadata,
        "title": _plain(title, MAX_VIEW_TITLE),
        "submit": _plain(form.submit_label, MAX_VIEW_TITLE),
        "close": _plain("Cancel", MAX_VIEW_TITLE),
        "blocks": blocks[:MAX_BLOCKS],
    }


def form_message_blocks(form: Form) -> list[Block]:
    """Render a Form inside a message (no trigger_id to open a modal): its inputs and a submit button."""
    submit = Button(form.submit_label, form.submit_action, form.value, style="primary")
    return [
        {"type": "section", "text": _mrkdwn(f"*{escape(form.title)}*")},
        *input_blocks(form),
        {
            "type": "actions",
            "block_id": "joinup-form",
            "elements": [button_element(submit, action_id=f"{FORM_SUBMIT_PREFIX}{form.submit_action}")],
        },
    ]


def after_action_blocks(original: list[Block], *, pressed_block_id: str | None, reply: Reply) -> list[Block]:
    """Rewrite a message after a button on it was pressed: drop that button row (and any form), add the reply."""
    kept = [
        block
        for block in original
        if block.get("type") != "input"
        and block.get("block_id") != "joinup-form"
        and not (pressed_block_id and block.get("block_id") == pressed_block_id)
    ]
    answer = reply_blocks(reply)
    taken = {block.get("block_id") for block in kept}
    for block in answer:
        base = block.get("block_id")
        if base is None:
            continue
        # Pressing buttons on the same message again must not repeat a block_id; Slack rejects duplicates.
        number = 2
        while block["block_id"] in taken:
            block["block_id"], number = f"{base}-{number}", number + 1
        taken.add(block["block_id"])
    room = MAX_BLOCKS - len(answer) - 1
    return [*kept[: max(room, 0)], {"type": "divider"}, *answer]
