"""Spot personal data in free text so it is refused before it is stored, and redacted before it is logged.

joinup stores case references, never identifying details. Free-text fields (about, rationale, reason, note)
go through `refuse_personal_data` (or `find_personal_data`), and every log record through `redact`.
The patterns aim to catch what a practitioner might paste by habit (an NHS number, a date of birth, a home
postcode, a National Insurance number, a family's phone or e-mail) without refusing the words of the trade:
case references like NB-2026-00123, "s47 2nd strategy", "ICPC at 3pm", professional contacts from the directory.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterator

from sqlmodel import Session, col, select

from storage.errors import PersonalDataRefused
from storage.models import ContactRoute, EscalationContact, Person

# A run of 10 digits, alone or grouped with spaces or dashes (3-3-4 is usual). A run that continues a
# dashed reference (NB-2026-0012345678) is not a candidate; one glued to letters (NHS9434765919) still is.
_DIGIT_RUN = re.compile(r"(?<![\d-])(\d[\d \-]{8,14}\d)(?![\d-])")

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}"  # 03/04/2019, 3.4.19, 03-04-2019
    r"|\d{4}-\d{1,2}-\d{1,2}"  # 2019-04-03
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?\s+\d{{2,4}}"  # 3rd April 2019, 3 Apr 19
    rf"|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # April 3rd, 2019
    rf"|{_MONTH}\.?\s+\d{{4}})"  # April 2019
)
_DOB_WORD = r"(?:dob|d\.\s?o\.\s?b\.?|born|date\s+of\s+birth|birth\s+date|birthday)"
# "DOB: 03/04/2019", "born on 3rd April 2019", and the other way round: "03/04/2019 (DOB)".
_DOB = re.compile(
    rf"\b{_DOB_WORD}(?![a-z])[\s:.\-=(]*(?:on\s+|in\s+|is\s+)?{_DATE}(?!\d)"
    rf"|(?<!\d){_DATE}[\s,]*[(\[]?\s*{_DOB_WORD}(?![a-z])",
    re.IGNORECASE,
)

# A full UK postcode: outward code (area letters, district) and inward code (sector digit, unit letters).
# Letter positions follow the Royal Mail rules (no Q, V or X first; no I, J or Z second; no C, I, K, M, O or V
# in the unit), which keeps words like "s47" followed by "2nd" from matching as often.
_POSTCODE = re.compile(
    r"\b(?P<outward>[A-PR-UWYZ](?:[A-HK-Y]?\d[A-Z\d]?|\d[A-HJKPSTUW]?))\s?(?P<inward>\d[ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)
# Inward codes that read as ordinals, times or durations ("s47 2nd", "ICPC2 3pm", "s17 3wd"): refused only
# when typed in capitals, the way a postcode is written.
_ORDINAL_OR_TIME = frozenset({"st", "nd", "rd", "th", "am", "pm", "wd", "hr", "hd"})

# National Insurance number: two prefix letters (some pairs never issued), six digits, suffix A-D.
_NINO = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A UK phone number: +44 or 0, then digits with optional spaces, dashes or brackets around the area code.
# Not glued to a word or dash, so references like NB-01614960123 are not phone numbers.
_PHONE = re.compile(r"(?<![\w+\-])(?:\+44\s?\(?0?\)?|\(?0)\d[\d\s\-()]{7,14}\d(?![\w\-])")

NHS_NUMBER = "an NHS number"
DATE_OF_BIRTH = "a date of birth"
NI_NUMBER = "a National Insurance number"
POSTCODE = "a postcode"
EMAIL = "an e-mail address"
PHONE = "a phone number"


def is_valid_nhs_number(digits: str) -> bool:
    """Tell whether ten digits pass the NHS number modulus-11 check."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _nhs_numbers(text: str) -> Iterator[re.Match[str]]:
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"[ -]", "", match.group(1))
        if len(digits) == 10 and is_valid_nhs_number(digits):
            yield match


def find_nhs_number(text: str) -> bool:
    """Tell whether `text` holds a 10-digit run (spaces or dashes allowed) that is a valid NHS number."""
    return next(_nhs_numbers(text), None) is not None


def _postcodes(text: str) -> Iterator[re.Match[str]]:
    for match in _POSTCODE.finditer(text):
        unit = match.group("inward")[1:]
        if unit.lower() in _ORDINAL_OR_TIME and not unit.isupper():
            continue
        yield match


def _normalise_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if digits.startswith("44"):
        digits = digits[2:]
        return digits if digits.startswith("0") else "0" + digits
    return digits


def _phones(text: str) -> Iterator[re.Match[str]]:
    for match in _PHONE.finditer(text):
        digits = _normalise_phone(match.group(0))
        # UK numbers are 0 plus 9 or 10 digits; 00 starts an international prefix, not a UK number.
        if 10 <= len(digits) <= 11 and digits[1] != "0":
            yield match


def find_personal_data(text: str, *, known_contacts: Collection[str] = ()) -> str | None:
    """Return what kind of personal data `text` seems to hold, or None.

    `known_contacts` are directory e-mail addresses and phone numbers, which are professional contacts and
    not personal data.
    """
    if find_nhs_number(text):
        return NHS_NUMBER
    if _DOB.search(text):
        return DATE_OF_BIRTH
    if _NINO.search(text):
        return NI_NUMBER
    if next(_postcodes(text), None) is not None:
        return POSTCODE
    known = {c.strip().lower() for c in known_contacts} | {
        _normalise_phone(c) for c in known_contacts if "@" not in c
    }
    for match in _EMAIL.finditer(text):
        if match.group(0).lower() not in known:
            return EMAIL
    for match in _phones(text):
        if _normalise_phone(match.group(0)) not in known:
            return PHONE
    return None


def directory_contacts(*, session: Session) -> frozenset[str]:
    """Return every e-mail address and phone number the directory and the people table hold."""
    values: set[str] = set()
    values.update(session.exec(select(ContactRoute.value)).all())
    values.update(session.exec(select(EscalationContact.route_value)).all())
    values.update(e for e in session.exec(select(Person.email).where(col(Person.email).is_not(None))) if e)
    return frozenset(v for v in values if v)


def refuse_personal_data(*, session: Session, text: str, field: str) -> None:
    """Check one free-text field before storing it; directory contacts are allowed.

    Raises:
        PersonalDataRefused: the text seems to hold personal data; nothing should be stored.
    """
    if not text.strip():
        return
    what = find_personal_data(text, known_contacts=directory_contacts(session=session))
    if what is not None:
        raise PersonalDataRefused(what, field)


def redact(text: str) -> str:
    """Replace anything that looks like personal data with a placeholder; for log lines.

    Broader than `find_personal_data`: every 10-digit run is hidden (valid NHS number or not), and every
    e-mail and phone number, since logs never need them.
    """
    text = _DOB.sub("[date of birth]", text)
    text = _EMAIL.sub("[email]", text)
    text = _NINO.sub("[ni number]", text)
    text = _DIGIT_RUN.sub(
        lambda m: "[nhs number]" if len(re.sub(r"[ -]", "", m.group(1))) == 10 else m.group(0), text
    )
    text = _PHONE.sub(
        lambda m: "[phone]" if 10 <= len(_normalise_phone(m.group(0))) <= 11 else m.group(0), text
    )
    return _POSTCODE.sub(
        lambda m: (
            m.group(0)
            if m.group("inward")[1:].lower() in _ORDINAL_OR_TIME and not m.group("inward")[1:].isupper()
            else "[postcode]"
        ),
        text,
    )


class RedactingFilter(logging.Filter):
    """A logging filter that passes every record with personal data replaced by placeholders.

    Attach it to each handler (not a logger), so records from every module pass through it:
    `handler.addFilter(RedactingFilter())`. The message is formatted with its arguments first, so a
    personal detail in an argument is caught too; string values of `extra` fields are redacted as well.
    """

    _STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place and let it through."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed format string: log it as it is, still redacted
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        for name, value in list(vars(record).items()):
            if name not in self._STANDARD and isinstance(value, str):
                setattr(record, name, redact(value))
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            # Exception messages can quote user input; keep the traceback's shape, redact its text.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Add a RedactingFilter to every handler of `logger` (the root logger by default) that lacks one."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def looks_like_name(text: str, *, reference_prefixes: Collection[str] = ()) -> bool:
    """Tell whether `text` (a would-be case reference) seems to hold a person's name.

    Only alphabetic parts of three letters or more are looked at ("NB", "CP" and "s47" are never names),
    and an area's own reference prefixes (MASH, CIN ...) are not names, so MASH-2026-0042 passes while
    Jane, JAYDEN-SMITH and SMITH2026 do not.
    """
    allowed = {prefix.strip().upper() for prefix in reference_prefixes}
    return any(len(part) >= 3 and part.upper() not in allowed for part in re.findall(r"[^\W\d_]+", text))
