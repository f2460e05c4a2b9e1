"""Opening hours from a pulled service: HSDS 3.0 `schedules` and the ORUK 1.0 `regular_schedules` style.

The result is the directory's own hours mapping ({"mon": [["09:00", "17:00"]], ...}), which the opening-hours
checks and the working-day clocks already read. A service whose feed gives no weekly hours, or hours we
cannot read, gets None: its hours are "not published", which is never the same as open round the clock.
Times are taken as London wall-clock times (an offset or a trailing Z on a time is dropped: UK feeds
mean local time, and an hour off matters less than no hours at all).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from directory.hours import WEEKDAY_KEYS

_ICAL_DAYS = {"MO": "mon", "TU": "tue", "WE": "wed", "TH": "thu", "FR": "fri", "SA": "sat", "SU": "sun"}
_DAY_NAMES = {
    **{name: key for key, name in zip(WEEKDAY_KEYS, ("monday", "tuesday", "wednesday", "thursday",
                                                    "friday", "saturday", "sunday"), strict=True)},
    **{key: key for key in WEEKDAY_KEYS},
}  # fmt: skip
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?\s*$", re.IGNORECASE)


def _clock(value: Any) -> str | None:
    """'9:00', '09:00:00', '09:00Z' or '09:00+01:00' → '09:00'; None when it is not a time of day."""
    match = _TIME.match(str(value or ""))
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        return None
    return f"{hour:02d}:{minute:02d}"


def _weekday(value: Any) -> str | None:
    """An ORUK 1.0 weekday: a name ('Monday', 'mon') or a number (1 Monday … 7 Sunday)."""
    if isinstance(value, int) or str(value).strip().isdigit():
        number = int(value)
        return WEEKDAY_KEYS[number - 1] if 1 <= number <= 7 else None
    return _DAY_NAMES.get(str(value or "").strip().lower())


def _days(schedule: dict[str, Any]) -> list[str]:
    """The weekdays a schedule covers: its `byday` (HSDS 3.0) or its `weekday` (ORUK 1.0)."""
    if schedule.get("byday"):
        freq = str(schedule.get("freq") or "WEEKLY").upper()
        if freq != "WEEKLY":
            return []  # monthly ("first Tuesday") hours don't fit a weekly timetable
        parts = [p.strip().upper() for p in str(schedule["byday"]).split(",")]
        days = [_ICAL_DAYS.get(p) for p in parts]
        return [d for d in days if d] if all(days) else []
    day = _weekday(schedule.get("weekday"))
    return [day] if day else []


def _schedules(record: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """Every schedule given for the service itself or at any of its locations."""
    holders = [record] + [s for s in record.get("service_at_locations") or [] if isinstance(s, dict)]
    for holder in holders:
        for name in ("schedules", "regular_schedules"):
            for schedule in holder.get(name) or []:
                if isinstance(schedule, dict):
                    yield schedule


def read_hours(record: dict[str, Any]) -> dict[str, list[list[str]]] | None:
    """The service's weekly opening hours, or None when the feed publishes none we can read."""
    spans: dict[str, list[list[str]]] = {}
    for schedule in _schedules(record):
        opens, closes = _clock(schedule.get("opens_at")), _clock(schedule.get("closes_at"))
        if opens is None or closes is None:
            continue
        if closes == "00:00":
            closes = "24:00"
        for day in _days(schedule):
            if closes > opens:
                spans.setdefault(day, []).append([opens, closes])
            elif closes < opens:  # runs past midnight: the rest of this day, then the start of the next
                spans.setdefault(day, []).append([opens, "24:00"])
                following = WEEKDAY_KEYS[(WEEKDAY_KEYS.index(day) + 1) % 7]
                spans.setdefault(following, []).append(["00:00", closes])
    if not spans:
        return None
    return {day: _merged(spans[day]) for day in WEEKDAY_KEYS if day in spans}


def _merged(spans: list[list[str]]) -> list[list[str]]:
    """Overlapping or touching spans as one: 00:00–09:00 and 00:00–24:00 are 00:00–24:00."""
    out: list[list[str]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return out
