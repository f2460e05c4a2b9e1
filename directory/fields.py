"""Parse and check single directory values (keys, hours, phone numbers, addresses) for every import format.

Each function raises ValueError with a plain-English message that names what is wrong and how to fix it.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, time
from typing import Any

from directory.document import EXPECTATION_UNITS, HOURS_KEYS, ROUTE_KINDS, Hours
from schedules.time.calendar import LONDON, NATIONS

_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_SPAN = re.compile(r"^\s*(\S+)\s*-\s*(\S+)\s*$")
_UK_PHONE = re.compile(r"^(\+44|0)\d{9,10}$")
_SHORT_CODES = frozenset({"999", "112", "101", "111", "116111", "116123"})
_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0", ""})


def check_key(value: Any) -> str:
    """Check an id such as front-door: lower case letters, digits, dots and dashes."""
    text = str(value or "").strip()
    if not _KEY.match(text):
        raise ValueError(
            f"{text!r} is not a valid id; use lower case letters, digits and dashes, like front-door"
        )
    return text


_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")


def check_postcode(value: Any) -> str:
    """Check a UK postcode (an office's, like M1 1AA), returned in capitals; empty is allowed."""
    text = " ".join(str(value or "").upper().split())
    if text and not _POSTCODE.match(text):
        raise ValueError(f"{text!r} is not a UK postcode; write it like M1 1AA")
    return text


def check_text(value: Any, *, required: bool = False, max_length: int = 2000) -> str:
    """Return `value` as stripped text."""
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise ValueError("is empty; it must have a value")
    if len(text) > max_length:
        raise ValueError(f"is {len(text)} characters long; the most allowed is {max_length}")
    return text


def parse_bool(value: Any) -> bool:
    """Read yes/no, true/false or 1/0."""
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not yes or no")


def parse_count(value: Any, *, minimum: int = 0, optional: bool = False) -> int | None:
    """Read a whole number no smaller than `minimum` (empty means None when `optional`)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise ValueError("is empty; it must be a whole number")
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None
    if number < minimum:
        raise ValueError(f"{number} is too small; it must be {minimum} or more")
    return number


def check_choice(value: Any, choices: tuple[str, ...]) -> str:
    """Check `value` is one of `choices`."""
    text = str(value or "").strip()
    if text not in choices:
        raise ValueError(f"{text!r} is not one of {', '.join(choices)}")
    return text


def check_nation(value: Any) -> str:
    """Check a UK nation code."""
    return check_choice(str(value or "ENG").strip().upper(), NATIONS)


def check_route_kind(value: Any) -> str:
    """Check a contact route kind."""
    return check_choice(value, ROUTE_KINDS)


def check_unit(value: Any) -> str:
    """Check an expectation unit (working_hours or working_days)."""
    return check_choice(value or "working_days", EXPECTATION_UNITS)


def check_phone(value: Any) -> str:
    """Check a UK phone number (or an emergency short code such as 999 or 101)."""
    text = str(value or "").strip()
    digits = re.sub(r"[\s()-]", "", text)
    if digits in _SHORT_CODES or _UK_PHONE.match(digits):
        return text
    raise ValueError(f"{text!r} is not a UK phone number; write it like 0161 496 0123")


def check_email(value: Any) -> str:
    """Check an e-mail address."""
    text = str(value or "").strip()
    if not _EMAIL.match(text):
        raise ValueError(f"{text!r} is not an e-mail address; write it like duty@northbrook.example.org")
    return text


def check_url(value: Any) -> str:
    """Check a web address."""
    text = str(value or "").strip()
    if not _URL.match(text):
        raise ValueError(f"{text!r} is not a web address; it must start with https://")
    return text


def check_route_value(kind: str, value: Any) -> str:
    """Check a route's value against its kind (a phone number, an e-mail address or a web address)."""
    if kind == "phone":
        return check_phone(value)
    if kind in ("email", "secure_email"):
        return check_email(value)
    return check_url(value)


def _clock_minutes(text: str) -> int:
    if not _CLOCK.match(text):
        raise ValueError(f"{text!r} is not a time like 09:00 or 17:15 (24-hour clock)")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def parse_span(value: Any) -> tuple[str, str]:
    """Read one opening span: '09:00-17:15' or ['09:00', '17:15']."""
    if isinstance(value, list | tuple) and len(value) == 2:
        start, end = str(value[0]).strip(), str(value[1]).strip()
    else:
        match = _SPAN.match(str(value))
        if match is None:
            raise ValueError(f"{value!r} is not opening hours like 09:00-17:15")
        start, end = match.group(1), match.group(2)
    try:
        if _clock_minutes(start) >= _clock_minutes(end):
            raise ValueError(f"{start}-{end} closes before it opens; split spans that cross midnight")
    except ValueError as error:
        raise ValueError(f"{value!r}: {error}") from None
    return start, end


def parse_hours(value: Any) -> Hours:
    """Read opening hours per weekday: {'mon': ['09:00-17:15'], ...}; empty means open 24/7."""
    if value in (None, "", {}):
        return {}
    if isinstance(value, str):
        return parse_hours_text(value)
    if not isinstance(value, dict):
        raise ValueError("must list days, like mon: [09:00-17:15]")
    hours: Hours = {}
    for day, spans in value.items():
        name = str(day).strip().lower()
        if name not in HOURS_KEYS:
            raise ValueError(f"{day!r} is not a day; use {', '.join(HOURS_KEYS)}")
        items = spans if isinstance(spans, list) else ([] if spans in (None, "") else [spans])
        parsed = sorted(parse_span(span) for span in items)
        for (_, end), (start, _) in itertools.pairwise(parsed):
            if _clock_minutes(start) < _clock_minutes(end):
                raise ValueError(f"{name} has opening spans that overlap")
        hours[name] = parsed
    return hours


def format_hours_text(hours: Hours) -> str:
    """Write hours as one line: 'mon 09:00-17:15; fri 09:00-17:00' (the CSV form)."""
    return "; ".join(
        f"{day} " + ",".join(f"{start}-{end}" for start, end in spans) for day, spans in hours.items()
    )


def parse_hours_text(text: str) -> Hours:
    """Read hours written as one line: 'mon 09:00-17:15; tue 09:00-17:15' ('mon closed' for none)."""
    raw: dict[str, list[str]] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        day, _, spans = part.partition(" ")
        if not spans.strip():
            raise ValueError(f"{part!r} is not a day and hours, like mon 09:00-17:15")
        raw[day] = [] if spans.strip().lower() == "closed" else [s for s in spans.split(",") if s.strip()]
    return parse_hours(raw)


def parse_day(value: Any) -> str:
    """Read a closure day as an ISO date (2026-12-29)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not a date like 2026-12-29") from None


def parse_moment(value: Any) -> datetime | None:
    """Read a verification date or time; a bare date means midday London time that day."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(12), tzinfo=LONDON)
    else:
        text = str(value).strip()
        try:
            moment = (
                datetime.combine(date.fromisoformat(text), time(12), tzinfo=LONDON)
                if len(text) == 10
                else datetime.fromisoformat(text)
            )
        except ValueError:
            raise ValueError(
                f"{value!r} is not a date like 2026-11-02 or 2026-11-02T09:30:00+00:00"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_moment(moment: datetime | None) -> str:
    """Write a verification time in ISO form, in UTC."""
    return "" if moment is None else moment.astimezone(UTC).isoformat()


def split_list(text: str) -> list[str]:
    """Split 'a; b; c' into items."""
    return [item.strip() for item in text.split(";") if item.strip()]
