"""Opening hours: boundaries, Fridays, bank holidays, closure days, nations and the clock changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from directory.hours import closes_at, describe_hours, is_open, next_open
from directory.search import search
from storage.models import Team

LONDON = ZoneInfo("Europe/London")


def london(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def team(session: Session, key: str) -> Team:
    return session.exec(select(Team).where(col(Team.key) == key)).one()


@pytest.mark.parametrize(
    ("moment", "front_door_open"),
    [
        (london(2026, 11, 26, 17, 14), True),  # Thursday, GMT
        (london(2026, 11, 26, 17, 15), False),
        (london(2026, 11, 26, 17, 16), False),
        (london(2026, 7, 16, 17, 14), True),  # Thursday, BST
        (london(2026, 7, 16, 17, 16), False),
        (london(2026, 11, 27, 16, 59), True),  # Friday closes at 17:00
        (london(2026, 11, 27, 17, 0), False),
        (london(2026, 11, 23, 8, 59), False),  # Monday before opening
        (london(2026, 11, 23, 9, 0), True),
        (london(2026, 11, 28, 11, 0), False),  # Saturday
        (london(2026, 12, 28, 11, 0), False),  # Boxing Day (substitute) bank holiday
        (london(2026, 12, 29, 11, 0), True),
    ],
)
def test_front_door_boundaries(demo: Session, moment: datetime, front_door_open: bool) -> None:
    assert is_open(team(demo, "front-door"), moment) is front_door_open
    assert is_open(team(demo, "edt"), moment) is not front_door_open


def test_next_open_skips_weekends_and_bank_holidays(demo: Session) -> None:
    front_door = team(demo, "front-door")
    assert next_open(front_door, london(2026, 11, 26, 17, 16)) == london(2026, 11, 27, 9, 0)
    assert next_open(front_door, london(2026, 12, 24, 17, 20)) == london(2026, 12, 29, 9, 0)
    open_now = london(2026, 11, 26, 12, 0)
    assert next_open(front_door, open_now) == open_now


def test_next_open_across_the_clock_changes(demo: Session) -> None:
    front_door = team(demo, "front-door")
    # Clocks go forward on Sunday 29 March 2026: Monday 09:00 is 08:00 UTC.
    assert next_open(front_door, london(2026, 3, 28, 12, 0)) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    # Clocks go back on Sunday 25 October 2026: Monday 09:00 is 09:00 UTC.
    assert next_open(front_door, london(2026, 10, 24, 12, 0)) == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
    # The emergency duty team covers the night the clocks change, by wall-clock time.
    assert is_open(team(demo, "edt"), datetime(2026, 10, 25, 1, 30, tzinfo=UTC))


def test_closes_at_follows_spans_past_midnight(demo: Session) -> None:
    edt = team(demo, "edt")
    assert closes_at(edt, london(2026, 11, 26, 18, 0)) == london(2026, 11, 27, 9, 0)
    assert closes_at(edt, london(2026, 11, 28, 12, 0)) == london(2026, 11, 30, 9, 0)
    assert closes_at(team(demo, "front-door"), london(2026, 11, 26, 10, 0)) == london(2026, 11, 26, 17, 15)
    assert closes_at(team(demo, "front-door"), london(2026, 11, 28, 10, 0)) is None
    assert closes_at(team(demo, "crisis-team"), london(2026, 12, 25, 3, 0)) is None
    assert is_open(team(demo, "crisis-team"), london(2026, 12, 25, 3, 0))


def test_closure_days_and_nations(demo: Session) -> None:
    schools = team(demo, "schools")
    assert not is_open(schools, london(2026, 12, 21, 10, 0))
    assert next_open(schools, london(2026, 12, 18, 17, 0)) == london(2027, 1, 5, 8, 0)
    front_door = team(demo, "front-door")
    second_of_january = london(2026, 1, 2, 10, 0)  # a bank holiday in Scotland only
    assert is_open(front_door, second_of_january)
    front_door.nation = "SCT"
    assert not is_open(front_door, second_of_january)


def test_describe_hours(demo: Session) -> None:
    assert (
        describe_hours(team(demo, "front-door"))
        == "Mon–Thu 09:00–17:15; Fri 09:00–17:00; closed on bank holidays"
    )
    assert describe_hours(team(demo, "crisis-team")) == "open 24 hours, every day"
    assert "bank holidays 00:00–24:00" in describe_hours(team(demo, "edt"))


def test_search_at_the_thursday_boundary(demo: Session) -> None:
    before = search(demo, "front door", at=london(2026, 11, 26, 17, 14))[0]
    assert before.team.key == "front-door" and before.open_now and before.fallback is None
    assert before.closes_at == london(2026, 11, 26, 17, 15)
    after = search(demo, "front door", at=london(2026, 11, 26, 17, 16))[0]
    assert after.team.key == "front-door" and not after.open_now
    assert after.fallback is not None and after.fallback.team.key == "edt" and after.fallback.open_now
    assert after.opens_at == london(2026, 11, 27, 9, 0)
    assert after.danger_note is not None and "999" in after.danger_note


def test_bank_holiday_search_offers_edt(demo: Session) -> None:
    result = search(demo, "MASH", at=london(2026, 12, 25, 11, 0))[0]
    assert result.team.key == "front-door" and not result.open_now
    assert result.fallback is not None and result.fallback.team.key == "edt" and result.fallback.open_now
