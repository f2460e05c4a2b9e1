"""Escalate as a typed intent: which case (or item), and which team the disagreement is with."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from handlers.intents.grammar import without_case_word
from storage.errors import InvalidInput
from storage.references import DEFAULT_REFERENCE_PREFIXES, CaseRef, parse_case_ref, parse_item_ref

EXAMPLE = "escalate NB-204518 about TI-0042"
_ABOUT = re.compile(r"\s+(?:about|re|with)\s+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Escalate:
    """Start the escalation walkthrough about a case, an item, or a case and the team disagreed with."""

    case_ref: CaseRef | None = None
    about_item: str | None = None  # a canonical item reference, TI-0042
    against_team: str = ""  # words naming the team ("front door"), resolved against the directory
    is_disagreement: bool = False


def escalate_from_text(
    text: str,
    *,
    is_disagreement: bool = False,
    prefixes: Collection[str] = DEFAULT_REFERENCE_PREFIXES,
    reserved_words: Collection[str] = (),
) -> Escalate:
    """Parse `<case ref | item> [about <item | team>]` ("case NB-1 about front door", "TI-0042").

    Raises:
        InvalidInput: no case or item, a case reference that breaks the rule, or two different items.
    """
    parts = _ABOUT.split(text.strip(), maxsplit=1)
    target = without_case_word(parts[0])
    about = parts[1].strip() if len(parts) > 1 else ""
    if not target:
        raise InvalidInput(
            "case_ref", "Tell me the case reference, and the item if you have one.", example=EXAMPLE
        )
    item_ref = parse_item_ref(target)
    case_ref = None
    if item_ref is None:
        case_ref = parse_case_ref(target, prefixes=prefixes, reserved_words=reserved_words, example=EXAMPLE)
    team = ""
    if about:
        about_item = parse_item_ref(about)
        if about_item and item_ref and about_item != item_ref:
            raise InvalidInput("item", "Name one item: the one you disagree about.", example=EXAMPLE)
        if about_item:
            item_ref = about_item
        else:
            team = about
    if is_disagreement and item_ref is None:
        raise InvalidInput(
            "item", "Tell me which item you disagree about, like TI-0042.", example="disagree TI-0042"
        )
    return Escalate(
        case_ref=case_ref, about_item=item_ref, against_team=team, is_disagreement=is_disagreement
    )
