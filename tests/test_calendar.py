"""WorkingCalendar: bank holidays per nation, weekends, working hours, and the clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from schedules.time.calendar import LONDON, WorkingCalendar


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def test_christmas_2026_in_england() -> None:
    calendar = WorkingCalendar("ENG")
    # Thursday 24 December 15:00: 25 Dec, the weekend and Monday 28 Dec (substitute Boxing Day) are off.
    assert calendar.is_bank_holiday(date(2026, 12, 28))
    assert calendar.add_working_days(london(2026, 12, 24, 15), 1) == london(2026, 12, 29, 17)


@pytest.mark.parametrize(
    ("nation", "day", "is_holiday"),
    [
        ("ENG", date(2026, 4, 6), True),  # Easter Monday
        ("SCT", date(2026, 4, 6), False),
        ("SCT", date(2026, 1, 2), True),
        ("ENG", date(2026, 1, 2), False),
        ("NIR", date(2026, 3, 17), True),  # St Patrick's Day
        ("ENG", date(2026, 3, 17), False),
        ("NIR", date(2026, 7, 13), True),  # the Twelfth falls on a Sunday in 2026: Monday is the holiday
        ("SCT", date(2026, 11, 30), True),  # St Andrew's Day
        ("WLS", date(2026, 11, 30), False),
    ],
)
def test_bank_holidays_differ_by_nation(nation: str, day: date, is_holiday: bool) -> None:
    calendar = WorkingCalendar(nation)
    assert calendar.is_bank_holiday(day) is is_holiday
    assert calendar.is_working_day(day) is not is_holiday


def test_first_core_group_worked_example_from_domain_md() -> None:
    # An ICPC on Monday 21 December 2026: 10 working days later is Thursday 7 January (ENG), Friday 8 in SCT.
    assert WorkingCalendar("ENG").add_working_days_to_date(date(2026, 12, 21), 10) == date(2027, 1, 7)
    assert WorkingCalendar("SCT").add_working_days_to_date(date(2026, 12, 21), 10) == date(2027, 1, 8)


def test_working_hours_across_the_october_clock_change() -> None:
    calendar = WorkingCalendar("ENG")
    friday = london(2026, 10, 23, 15)  # 14:00 UTC (BST)
    assert friday == datetime(2026, 10, 23, 14, 0, tzinfo=UTC)
    # Two working hours on Friday, three more from 9am GMT on Monday 26 October.
    assert calendar.add_working_hours(friday, 5) == datetime(2026, 10, 26, 12, 0, tzinfo=UTC)
    assert calendar.working_minutes_between(friday, datetime(2026, 10, 26, 12, 0, tzinfo=UTC)) == 300
    assert calendar.next_working_time(london(2026, 10, 24, 12)) == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_working_hours_across_the_march_clock_change() -> None:
    calendar = WorkingCalendar("ENG")
    # Friday 27 March 2026 16:00 GMT; the clocks go forward on Sunday 29 March.
    assert calendar.add_working_hours(london(2026, 3, 27, 16), 2) == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    assert calendar.end_of_day(date(2026, 3, 30)) == datetime(2026, 3, 30, 16, 0, tzinfo=UTC)


def test_working_time_and_closure_days() -> None:
    calendar = WorkingCalendar("ENG", closure_days=[date(2026, 12, 29)])
    assert not calendar.is_working_day(date(2026, 12, 29))
    assert calendar.add_working_days(london(2026, 12, 24, 15), 1) == london(2026, 12, 30, 17)
    assert calendar.is_working_time(london(2026, 11, 25, 9))
    assert not calendar.is_working_time(london(2026, 11, 25, 17))
    assert calendar.working_days_between(date(2026, 12, 24), date(2027, 1, 4)) == 3  # 30, 31 Dec and 4 Jan
