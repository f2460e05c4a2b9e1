"""Spot personal data in free text so it is refused before it is stored or logged."""

from __future__ import annotations

import re
from collections.abc import Collection

_DIGIT_RUN = re.compile(r"(?<![\d-])(\d[\d \-]{8,14}\d)(?![\d-])")
_DOB = re.compile(
    r"\b(dob|d\.o\.b\.?|born|date of birth)\b[\s:]*(on\s+)?"
    r"(\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{1,2}(st|nd|rd|th)?\s+[a-z]{3,9}\s+\d{2,4})",
    re.IGNORECASE,
)
# The full UK postcode format (outward + inward code), e.g. NB4 7XY, M1 1AE, SW1A 1AA.
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE)
_NINO = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(\+44\s?|0)(\d[\s-]?){9,10}(?!\d)")


def is_valid_nhs_number(digits: str) -> bool:
    """Tell whether ten digits pass the NHS number modulus-11 check."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def find_nhs_number(text: str) -> bool:
    """Tell whether `text` holds a 10-digit run (spaces or dashes allowed) that is a valid NHS number."""
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"[ -]", "", match.group(1))
        if len(digits) == 10 and is_valid_nhs_number(digits):
            return True
    return False


def _normalise_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return "0" + digits[2:] if digits.startswith("44") else digits


def find_personal_data(text: str, *, known_contacts: Collection[str] = ()) -> str | None:
    """Return what kind of personal data `text` seems to hold, or None.

    `known_contacts` are directory e-mail addresses and phone numbers, which are not personal data.
    """
    if find_nhs_number(text):
        return "an NHS number"
    if _DOB.search(text):
        return "a date of birth"
    if _NINO.search(text):
        return "a National Insurance number"
    if _POSTCODE.search(text):
        return "a postcode"
    known = {c.lower() for c in known_contacts} | {_normalise_phone(c) for c in known_contacts}
    for match in _EMAIL.finditer(text):
        if match.group(0).lower() not in known:
            return "an e-mail address"
    for match in _PHONE.finditer(text):
        if _normalise_phone(match.group(0)) not in known:
            return "a phone number"
    return None
