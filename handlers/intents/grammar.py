"""The words every command shares: politeness and filler around a command, and the word "case" before a
case reference. Handled here once, so no handler strips them (or forgets to) on its own."""

from __future__ import annotations

import re

# Words people put before a command that don't change what they ask: "@joinup", "hi joinup,", "please",
# "can you", "could you please".
FILLER = re.compile(
    r"^(?:@?joinup\b[:,]?\s*|(?:hi|hello|hey)\s+joinup\b[:,!]?\s*|please\s+|pls\s+"
    r"|(?:can|could|would|will)\s+you\s+(?:please\s+)?)+",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"[\s,]+(?:please|pls|thanks|thank\s+you|ta)[.!]*$", re.IGNORECASE)
# "case", "case ref", "case reference", "case number", "case no." before a case reference.
CASE_WORD = re.compile(r"\bcase(?:\s+(?:ref(?:erence)?|number|no\.?|id))?\s*[:#]?\s+", re.IGNORECASE)


def strip_filler(text: str) -> str:
    """Return `text` without the politeness around a command ("please refer ..." → "refer ...")."""
    stripped = _TRAILING.sub("", FILLER.sub("", text.strip())).strip()
    return stripped or text.strip()


def split_case_word(text: str) -> tuple[str | None, str]:
    """Take the word after "case" out of `text`: ("NB-1", "front door by phone") for
    "front door case NB-1 by phone"; (None, text) when the word "case" isn't followed by anything."""
    match = CASE_WORD.search(text)
    if match is None:
        return None, text
    after = text[match.end() :].split(maxsplit=1)
    if not after:
        return None, text
    rest = text[: match.start()] + " " + (after[1] if len(after) > 1 else "")
    return after[0], " ".join(rest.split())


def without_case_word(text: str) -> str:
    """Drop a leading "case" / "case ref" before a reference ("case NB-2026-0999" → "NB-2026-0999")."""
    match = CASE_WORD.match(text.strip())
    return text.strip()[match.end() :].strip() if match else text.strip()
