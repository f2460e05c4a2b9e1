"""Log redaction: every log record passes through `RedactingFilter`, which hides anything shaped like personal
data. Broader than the privacy guard (logs never need a phone number or an e-mail), and built on its detectors
in storage/privacy.py."""

from __future__ import annotations

import logging
import re

from storage.privacy import (
    _ADDRESS,
    _DIGIT_RUN,
    _DOB,
    _EMAIL,
    _INTERNATIONAL_PHONE,
    _NHS_SHAPE,
    _NINO,
    _NOT_DIGIT,
    _OBFUSCATED_EMAIL,
    _ORDINAL_OR_TIME,
    _PHONE,
    _POSTCODE,
    _normalise_phone,
    is_valid_nhs_number,
)


def redact(text: str) -> str:
    """Replace anything that looks like personal data with a placeholder; for log lines.

    Broader than `find_personal_data`: every 10-digit run written the way NHS numbers are (valid or not)
    is hidden, and every e-mail and phone number, since logs never need them. A date and hour such as
    "2026-11-25 20" is not an NHS number's shape and is kept.
    """
    text = _DOB.sub("[date of birth]", text)
    text = _EMAIL.sub("[email]", text)
    text = _OBFUSCATED_EMAIL.sub("[email]", text)
    text = _NINO.sub("[ni number]", text)
    text = _DIGIT_RUN.sub(_redact_digit_run, text)
    text = _PHONE.sub(
        lambda m: "[phone]" if 10 <= len(_normalise_phone(m.group(0))) <= 11 else m.group(0), text
    )
    text = _INTERNATIONAL_PHONE.sub("[phone]", text)
    text = _ADDRESS.sub("[address]", text)
    return _POSTCODE.sub(
        lambda m: (
            m.group(0)
            if m.group("inward")[1:].lower() in _ORDINAL_OR_TIME and not m.group("inward")[1:].isupper()
            else "[postcode]"
        ),
        text,
    )


def _redact_digit_run(match: re.Match[str]) -> str:
    run = match.group(1)
    digits = _NOT_DIGIT.sub("", run)
    if len(digits) == 10 and (is_valid_nhs_number(digits) or _NHS_SHAPE.fullmatch(run)):
        return "[nhs number]"
    return run


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
