"""Teams cards for the longer forms, where Slack opens a modal: log a referral, record feedback.

Typing just `refer` (or `feedback`, or `feedback TI-0042`) answers with the form. A submitted card sends the
form's own action ("refer.form") with its inputs, and the Dispatcher fills the same typed intent a typed
command fills, field by field; a refused field comes back as the card again, with the error beside it.
"""

from __future__ import annotations

import re

from handlers.messages import Reply
from handlers.tracking.forms import FEEDBACK_FORM, REFER_FORM, feedback_form, refer_form
from storage.references import parse_item_ref

__all__ = ["FEEDBACK_FORM", "REFER_FORM", "feedback_form", "form_for", "refer_form"]

_BARE_REFER = re.compile(r"^/?refer[.!?]?$", re.IGNORECASE)
_BARE_FEEDBACK = re.compile(r"^/?feedback(?:\s+(?P<item>\S+))?[.!?]?$", re.IGNORECASE)


def form_for(text: str) -> Reply | None:
    """Return the form a bare `refer` or `feedback [item]` stands for, else None."""
    if _BARE_REFER.match(text):
        return refer_form()
    match = _BARE_FEEDBACK.match(text)
    if match and (match["item"] is None or parse_item_ref(match["item"])):
        return feedback_form(parse_item_ref(match["item"] or "") or "")
    return None
