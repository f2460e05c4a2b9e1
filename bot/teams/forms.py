"""Teams cards for the longer forms, where Slack opens a modal: log a referral, record feedback.

Typing just `refer` (or `feedback`, or `feedback TI-0042`) answers with the form; a submitted form becomes
the command a person could type (`refer front door case NB-204518 by phone`), so the handlers stay
platform-neutral and every rule they apply (NHS numbers refused, unknown teams explained) still applies.
"""

from __future__ import annotations

import dataclasses
import re

from handlers.messages import Choice, Form, FormInput, InboundMessage, Reply
from handlers.tracking.words import OUTCOME_WORDS, feedback_command_text, refer_command_text

REFER_FORM = "teams-form:refer"
FEEDBACK_FORM = "teams-form:feedback"
METHODS = (("Phone", "phone"), ("Secure email", "email"), ("Online form or portal", "portal"))
_BARE_REFER = re.compile(r"^/?refer[.!?]?$", re.IGNORECASE)
_BARE_FEEDBACK = re.compile(r"^/?feedback(?:\s+(?P<item>TI-?\d{1,9}))?[.!?]?$", re.IGNORECASE)


def refer_form() -> Reply:
    """The referral form: which team, the case reference, how, and a short note."""
    return Reply(
        text="Log a referral or call, and I'll track the reply and chase it.",
        form=Form(
            title="Log a referral",
            submit_action=REFER_FORM,
            submit_label="Log it",
            inputs=(
                FormInput(
                    "team", "Which team did you refer to?", placeholder="e.g. front door or health visiting"
                ),
                FormInput(
                    "case_ref", "Case reference", placeholder="Your agency's reference, e.g. NB-204518"
                ),
                FormInput(
                    "method",
                    "How did you refer?",
                    "choice",
                    tuple(Choice(label, value) for label, value in METHODS),
                ),
                FormInput(
                    "about",
                    "What it's about (optional)",
                    "multiline",
                    is_required=False,
                    placeholder="A few words; no names, dates of birth or NHS numbers",
                ),
            ),
        ),
    )


def feedback_form(item: str = "") -> Reply:
    """The feedback form: which item, what came back, and why (needed for no further action)."""
    outcomes = tuple(Choice(words.capitalize(), key) for key, words in OUTCOME_WORDS.items())
    return Reply(
        text="Record what came of a referral, and I'll close it.",
        form=Form(
            title="Record feedback",
            submit_action=FEEDBACK_FORM,
            submit_label="Record it",
            inputs=(
                FormInput("item", "Which item?", placeholder="e.g. TI-0042", initial=item),
                FormInput("outcome", "What came back?", "choice", outcomes),
                FormInput(
                    "reason",
                    "Reasons or next steps (optional)",
                    "multiline",
                    is_required=False,
                    placeholder="Needed for no further action",
                ),
            ),
        ),
    )


def form_for(text: str) -> Reply | None:
    """Return the form a bare `refer` or `feedback [item]` stands for, else None."""
    if _BARE_REFER.match(text):
        return refer_form()
    match = _BARE_FEEDBACK.match(text)
    if match:
        return feedback_form((match["item"] or "").upper())
    return None


refer_text = refer_command_text
feedback_text = feedback_command_text


COMMAND_FOR_FORM = {REFER_FORM: refer_text, FEEDBACK_FORM: feedback_text}


def as_typed(msg: InboundMessage) -> InboundMessage:
    """Turn a submitted Teams-only form into the typed command it stands for; other messages pass through."""
    to_text = COMMAND_FOR_FORM.get(msg.action or "")
    if to_text is None:
        return msg
    return dataclasses.replace(msg, text=to_text(msg.form), action=None, action_value=None)
