"""What a reference looks like: the one rule for case references, and joinup's own item and escalation refs.

A case reference is the agency's own identifier for a child's case (NB-204518, CP/2026/0042): letters,
digits and / - _ . with at least one digit, no spaces, at most 40 characters, and never a name or a command
word. joinup stores case references instead of anything that identifies a child, so this check is what keeps
a name ("Jane Doe", "JAYDEN-SMITH") out of the database. An area's own prefixes (MASH, CIN ...) are allowed
as alphabetic parts; every other alphabetic part of three letters or more is taken to be a possible name.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from storage.errors import InvalidInput, PersonalDataRefused
from storage.names import NAME
from storage.privacy import find_personal_data, find_personal_data_in_reference, looks_like_name

MAX_CASE_REF = 40
# The one case-reference pattern: the characters allowed, and at least one digit.
CASE_REF_PATTERN = re.compile(rf"(?=[^\d]*\d)[A-Za-z0-9/_.\-]{{1,{MAX_CASE_REF}}}")
# Prefixes areas commonly put on case references; an area sets its own in settings (reference_prefixes).
DEFAULT_REFERENCE_PREFIXES: tuple[str, ...] = ("NB", "ED", "CP", "MASH", "CIN", "CLA", "LAC", "EHA", "CSC")
CASE_REF_EXAMPLE = "NB-204518"
CASE_REF_SHAPE = (
    f"Case references look like {CASE_REF_EXAMPLE} or CP/2026/0042: letters and numbers (with / - _ or .), "
    "at least one number, no spaces, never a name."
)
_ITEM_REF = re.compile(r"TI-?0*(\d{1,9})", re.IGNORECASE)
_ESCALATION_REF = re.compile(r"ES-?0*(\d{1,9})", re.IGNORECASE)


class CaseRef(str):
    """A case reference that passed `parse_case_ref`, in upper case."""

    __slots__ = ()


def parse_item_ref(text: str) -> str | None:
    """Return the canonical item reference ("TI-0042") for "TI-42", "ti0042" or "TI-0042", else None."""
    match = _ITEM_REF.fullmatch(text.strip())
    return f"TI-{int(match.group(1)):04d}" if match else None


def parse_escalation_ref(text: str) -> str | None:
    """Return "ES-0007" for "ES-7", "es0007" or "ES-0007", else None."""
    match = _ESCALATION_REF.fullmatch(text.strip())
    return f"ES-{int(match.group(1)):04d}" if match else None


def case_ref_problem(
    text: str,
    *,
    prefixes: Collection[str] = DEFAULT_REFERENCE_PREFIXES,
    reserved_words: Collection[str] = (),
) -> str | None:
    """Say what is wrong with `text` as a case reference (one sentence, then what one looks like), or None.

    Raises:
        PersonalDataRefused: it holds an NHS number, a postcode, a phone number or similar.
    """
    ref = text.strip()
    if not ref:
        return f"Enter the case reference. {CASE_REF_SHAPE}"
    what = find_personal_data(ref) or find_personal_data_in_reference(ref)
    if what == NAME:
        return f"That looks like a name. joinup stores case references, never names. {CASE_REF_SHAPE}"
    if what is not None:
        raise PersonalDataRefused(what, field="case reference")
    shown = ref if len(ref) <= MAX_CASE_REF else ref[:MAX_CASE_REF] + "…"
    if parse_item_ref(ref) or parse_escalation_ref(ref):
        return f"{shown.upper()} is one of joinup's own references, not your agency's. {CASE_REF_SHAPE}"
    if ref.lower() in {word.lower() for word in reserved_words}:
        return f"'{shown}' is a command word, not a case reference. {CASE_REF_SHAPE}"
    if looks_like_name(ref, reference_prefixes=prefixes):
        return f"That looks like a name. joinup stores case references, never names. {CASE_REF_SHAPE}"
    if len(ref) > MAX_CASE_REF:
        return f"Case references are at most {MAX_CASE_REF} characters. {CASE_REF_SHAPE}"
    if not CASE_REF_PATTERN.fullmatch(ref):
        return f"'{shown}' isn't a case reference. {CASE_REF_SHAPE}"
    return None


def parse_case_ref(
    text: str,
    *,
    prefixes: Collection[str] = DEFAULT_REFERENCE_PREFIXES,
    reserved_words: Collection[str] = (),
    example: str = "",
) -> CaseRef:
    """Return `text` as a checked case reference, in upper case.

    Raises:
        InvalidInput: it isn't a case reference (field "case_ref"); the problem says what one looks like.
        PersonalDataRefused: it holds an NHS number, a postcode, a phone number or similar.
    """
    if isinstance(text, CaseRef):
        return text
    problem = case_ref_problem(text, prefixes=prefixes, reserved_words=reserved_words)
    if problem is not None:
        raise InvalidInput("case_ref", problem, example=example)
    return CaseRef(text.strip().upper())


def is_case_ref(text: str, *, prefixes: Collection[str] = DEFAULT_REFERENCE_PREFIXES) -> bool:
    """Tell whether `text` passes the case-reference rule (personal data never does)."""
    try:
        return case_ref_problem(text, prefixes=prefixes) is None
    except PersonalDataRefused:
        return False
