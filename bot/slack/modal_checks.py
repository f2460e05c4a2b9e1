"""Checking a submitted modal in its acknowledgement: field errors, then the one privacy guard.

A referral or feedback modal is checked as the typed command is: its inputs fill the intent field by field
(`modals.modal_errors`), then the free-text input (the referral's note, the feedback's reason) goes
through the same privacy guard `hand_over` uses, with the same allow-lists (joinup users' names, directory
contacts), so the modal and the typed line agree exactly on what is refused.

A refused note keeps the modal open (`response_action: update`): the input says what kind of data it
holds (never the value) and that nothing was saved, a line previews the note without it, and a checkbox
"Save without the flagged part" lets a second submit save the cleaned note. Only the cleaned text is
put in the inbox row the worker runs; what was typed is never stored, logged or audited.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from bot.slack import modals
from bot.slack.parse import VIEW_PREFIX, form_values
from handlers.intents.guard import can_save_without, check_free_text, field_refusal
from handlers.intents.tracking import (
    FEEDBACK_FREE_TEXT_INPUTS,
    REFER_FREE_TEXT_INPUTS,
    feedback_from_form,
    refer_from_form,
)
from handlers.tracking.forms import FEEDBACK_FORM, REFER_FORM
from storage.errors import PersonalDataRefused

SAVE_WITHOUT_BLOCK = "save_without"  # the checkbox input's block and action id
PREVIEW_BLOCK = "save_without_preview"
SAVE_WITHOUT_OPTION = "Save without the flagged part"
_VIEW_KEYS = ("type", "callback_id", "title", "submit", "close", "private_metadata", "notify_on_close")


@dataclass(frozen=True, slots=True)
class ModalVerdict:
    """What to answer a submitted modal with: `ack` (empty when it can be filed), and the cleaned text
    of any input to file instead of what was typed ({block id: text})."""

    ack: dict[str, Any] = field(default_factory=dict)
    cleaned: dict[str, str] = field(default_factory=dict)


def _action(callback_id: str) -> str:
    return modals.ACTION_FOR_VIEW.get(callback_id, callback_id.removeprefix(VIEW_PREFIX))


def _refusals(
    action: str, inputs: Mapping[str, str], session: Session
) -> dict[str, tuple[PersonalDataRefused, str]]:
    """{input id: (refusal, input label)} for each free-text input the privacy guard refuses."""
    if action == REFER_FORM:
        _, refused = check_free_text(refer_from_form(inputs), session)
        named = REFER_FREE_TEXT_INPUTS
    elif action == FEEDBACK_FORM:
        _, refused = check_free_text(feedback_from_form(inputs), session)
        named = FEEDBACK_FREE_TEXT_INPUTS
    else:
        return {}
    return {named[name][0]: (found, named[name][1]) for name, found in refused.items()}


def _ticked(values: Mapping[str, Any]) -> bool:
    element = (values.get(SAVE_WITHOUT_BLOCK) or {}).get(SAVE_WITHOUT_BLOCK) or {}
    return any(option.get("value") == "yes" for option in element.get("selected_options") or [])


def check_modal(
    view: Mapping[str, Any],
    *,
    session: Session,
    prefixes: Collection[str],
    reserved_words: Collection[str],
) -> ModalVerdict:
    """Check a submitted joinup modal: its fields' errors, then personal data in its free text."""
    callback_id = str(view.get("callback_id", ""))
    values = (view.get("state") or {}).get("values") or {}
    form = form_values(values)
    errors = modals.modal_errors(callback_id, form, prefixes=prefixes, reserved_words=reserved_words)
    if errors:  # shown beside the inputs; the modal stays open as typed
        return ModalVerdict(ack={"response_action": "errors", "errors": errors})
    inputs = modals.modal_inputs(callback_id, form) if callback_id in modals.ACTION_FOR_VIEW else form
    refusals = _refusals(_action(callback_id), inputs, session)
    if not refusals:
        return ModalVerdict()
    savable = all(can_save_without(refused) for refused, _ in refusals.values())
    if savable and _ticked(values):
        return ModalVerdict(cleaned={bid: refused.without for bid, (refused, _) in refusals.items()})
    if not savable:  # nothing left once it is cut out: only the error beside the input
        errors = {bid: field_refusal(refused, label) for bid, (refused, label) in refusals.items()}
        return ModalVerdict(ack={"response_action": "errors", "errors": errors})
    return ModalVerdict(ack={"response_action": "update", "view": with_save_without(view, refusals)})


def _blocks(view: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The modal's blocks as sent (Slack returns them with the submission), else as joinup builds them."""
    blocks = view.get("blocks")
    if isinstance(blocks, list) and blocks:
        return copy.deepcopy(blocks)
    callback_id = str(view.get("callback_id", ""))
    built = modals.feedback_modal() if callback_id == modals.FEEDBACK_VIEW else modals.refer_modal()
    return list(built["blocks"])


def with_save_without(
    view: Mapping[str, Any], refusals: Mapping[str, tuple[PersonalDataRefused, str]]
) -> dict[str, Any]:
    """The same modal again: each refused input says why under it, followed by the cleaned preview and the
    "Save without the flagged part" checkbox. Inputs keep what was typed (Slack keeps an input's value
    when its block and action ids are unchanged), so the flagged value is never sent back from here."""
    blocks: list[dict[str, Any]] = []
    for block in _blocks(view):
        block_id = block.get("block_id")
        if block_id in (SAVE_WITHOUT_BLOCK, PREVIEW_BLOCK):
            continue  # from an earlier refusal: drawn again below if still needed
        blocks.append(block)
        if block_id not in refusals:
            continue
        refused, label = refusals[str(block_id)]
        block["hint"] = modals.plain(field_refusal(refused, label))
        preview = f"Without it, {label[:1].lower()}{label[1:]} would read: \u201c{refused.without}\u201d"
        blocks.append({"type": "section", "block_id": PREVIEW_BLOCK, "text": modals.plain(preview[:3000])})
        blocks.append(
            {
                "type": "input",
                "block_id": SAVE_WITHOUT_BLOCK,
                "optional": True,
                "label": modals.plain("Save without it?"),
                "element": {
                    "type": "checkboxes",
                    "action_id": SAVE_WITHOUT_BLOCK,
                    "options": [{"text": modals.plain(SAVE_WITHOUT_OPTION), "value": "yes"}],
                },
            }
        )
    updated = {key: view[key] for key in _VIEW_KEYS if key in view}
    if "title" not in updated:  # a submission that came without its view's furniture
        built = (
            modals.feedback_modal()
            if view.get("callback_id") == modals.FEEDBACK_VIEW
            else modals.refer_modal()
        )
        updated.update({key: built[key] for key in ("title", "submit", "close")})
    updated["type"] = "modal"
    return {**updated, "blocks": blocks}


def cleaned_content(content: Mapping[str, Any], cleaned: Mapping[str, str]) -> dict[str, Any]:
    """The inbox row's content with each refused input's text replaced by its cleaned text."""
    if not cleaned:
        return dict(content)
    stored = copy.deepcopy(dict(content))
    values = ((stored.get("view") or {}).get("state") or {}).get("values") or {}
    for block_id, text in cleaned.items():
        for element in (values.get(block_id) or {}).values():
            if isinstance(element, dict):
                element["value"] = text
    return stored
