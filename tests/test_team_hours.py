"""Each team's clocks count in its own opening hours, on its nation's working days; 24/7 teams count plain hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.demo import demo_document
from directory.hours import spans_on
from handlers.tracking.chasing import expectation
from handlers.tracking.words import due_words
from schedules.settings import ReminderSettings
from schedules.time.calendar import LONDON, NATIONS
from schedules.time.calendars import calendar_for_team, counts_plain_hours, day_calendar, hours_for_team
from schedules.tracking.items import due_dates
from storage.models import ContactRoute, Team

SETTINGS = ReminderSettings()
FRONT_DOOR_HOURS = {d: [["09:00", "17:15"]] for d in ("mon", "tue", "wed", "thu")} | {
    "fri": [["09:00", "17:00"]]
}
SCHOOL_HOURS = {d: [["08:00", "16:30"]] for d in ("mon", "tue", "wed", "thu")} | {"fri": [["08:00", "16:00"]]}


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def team(hours: dict[str, list[list[str]]], *, nation: str = "ENG", open_bank_holidays: bool = False) -> Team:
    return Team(
        key="t",
        agency_id=1,
        name="A team",
        hours=hours,
        nation=nation,
        is_open_bank_holidays=open_bank_holidays,
    )


def route(ack: int, unit: str) -> ContactRoute:
    return ContactRoute(
        key="r", team_id=1, kind="phone", value="0161 496 0100", ack_expected=ack, ack_unit=unit
    )


def test_front_door_4_working_hours_from_christmas_eve_afternoon_is_10_45_on_tuesday_29_december() -> None:
    # Thu 24 Dec 15:00: 2h15 left that day (to 17:15); 25 Dec, the weekend and 28 Dec are bank holidays or
    # weekend; the remaining 1h45 runs from 09:00 on Tuesday 29 December.
    ack, _ = due_dates(
        settings=SETTINGS,
        team=team(FRONT_DOOR_HOURS),
        route=route(4, "working_hours"),
        sent_at=london(2026, 12, 24, 15),
    )
    assert ack == london(2026, 12, 29, 10, 45)


def test_a_day_clock_runs_out_when_the_team_closes_that_day() -> None:
    school = team(SCHOOL_HOURS)
    # Wednesday: the school closes at 16:30, not at the configured 17:00.
    ack, _ = due_dates(
        settings=SETTINGS, team=school, route=route(1, "working_days"), sent_at=london(2026, 11, 24, 10)
    )
    assert ack == london(2026, 11, 25, 16, 30)
    # Thursday's referral is due on Friday, when it closes at 16:00.
    ack, _ = due_dates(
        settings=SETTINGS, team=school, route=route(1, "working_days"), sent_at=london(2026, 11, 26, 10)
    )
    assert ack == london(2026, 11, 27, 16)


def test_working_hours_start_when_the_team_opens() -> None:
    school = team(SCHOOL_HOURS)
    # Sent at 07:00 on Monday: the clock starts at 08:00, not 09:00.
    ack, _ = due_dates(
        settings=SETTINGS, team=school, route=route(2, "working_hours"), sent_at=london(2026, 11, 23, 7)
    )
    assert ack == london(2026, 11, 23, 10)


def test_a_team_closed_on_fridays_has_no_working_day_on_friday() -> None:
    no_fridays = team({d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu")})
    ack, _ = due_dates(
        settings=SETTINGS, team=no_fridays, route=route(1, "working_days"), sent_at=london(2026, 11, 26, 10)
    )
    assert ack == london(2026, 11, 30, 17)  # Monday, skipping Friday and the weekend


def test_a_team_with_no_hours_given_counts_the_configured_working_day() -> None:
    unknown = team({})
    assert not counts_plain_hours(unknown)
    assert hours_for_team(team=unknown, settings=SETTINGS).own is False
    ack, _ = due_dates(
        settings=SETTINGS, team=unknown, route=route(4, "working_hours"), sent_at=london(2026, 11, 24, 15)
    )
    assert ack == london(2026, 11, 25, 11)


def test_out_of_hours_and_24_7_teams_count_plain_hours() -> None:
    edt = team(
        {d: [["00:00", "09:00"], ["17:15", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
        | {"sat": [["00:00", "24:00"]], "sun": [["00:00", "24:00"]]},
        open_bank_holidays=True,
    )
    crisis = team({}, open_bank_holidays=True)
    for plain in (edt, crisis):
        assert counts_plain_hours(plain)
        # Christmas Eve 15:00 plus 4 hours is 19:00 the same evening, holiday or not.
        ack, _ = due_dates(
            settings=SETTINGS, team=plain, route=route(4, "working_hours"), sent_at=london(2026, 12, 24, 15)
        )
        assert ack == london(2026, 12, 24, 19)
        calendar = calendar_for_team(team=plain, settings=SETTINGS)
        assert calendar.is_working_time(london(2026, 12, 25, 3))


def test_a_team_keeps_its_nations_bank_holidays() -> None:
    scottish = team(FRONT_DOOR_HOURS, nation="SCT")
    # Friday 1 Jan and Monday 4 Jan 2027 are Scottish holidays: 31 Dec 16:15 + 2h is 10:00 on Tuesday 5 Jan.
    ack, _ = due_dates(
        settings=SETTINGS,
        team=scottish,
        route=route(2, "working_hours"),
        sent_at=london(2026, 12, 31, 16, 15),
    )
    assert ack == london(2027, 1, 5, 10)


OFFICE_TEAMS = [
    Team(
        key=doc.key,
        agency_id=1,
        name=doc.name,
        hours={day: [list(span) for span in spans] for day, spans in doc.hours.items()},
        is_open_bank_holidays=doc.is_open_bank_holidays,
        closure_days=doc.closure_days,
    )
    for doc in demo_document().teams
]
OFFICE_TEAMS = [t for t in OFFICE_TEAMS if not counts_plain_hours(t)]


def test_the_demo_directory_has_office_hours_teams_and_plain_hours_teams() -> None:
    keys = {t.key for t in OFFICE_TEAMS}
    assert {"front-door", "schools", "early-help"} <= keys
    assert not {"edt", "crisis-team", "police-emergency"} & keys


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    office=st.sampled_from(OFFICE_TEAMS),
    nation=st.sampled_from(NATIONS),
    sent=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)),
    amount=st.integers(min_value=0, max_value=40),
    unit=st.sampled_from(["working_hours", "working_days"]),
)
def test_an_acknowledgement_is_due_inside_the_teams_hours_on_a_working_day_of_its_nation(
    office: Team, nation: str, sent: datetime, amount: int, unit: str
) -> None:
    office.nation = nation
    sent_at = sent.replace(tzinfo=UTC)
    ack, _ = due_dates(settings=SETTINGS, team=office, route=route(amount, unit), sent_at=sent_at)
    local = ack.astimezone(LONDON)
    # A due time at exactly 00:00 would belong to the day before; office teams never close at midnight.
    day, minute = local.date(), local.hour * 60 + local.minute
    assert day_calendar(nation=nation).is_working_day(day)
    assert any(start <= minute <= end for start, end in spans_on(office, day)), (office.key, local)
    assert ack >= sent_at


@pytest.mark.parametrize("nation", NATIONS)
def test_each_weekday_of_the_week_counts_its_own_closing_time(nation: str) -> None:
    front_door = team(FRONT_DOOR_HOURS, nation=nation)
    calendar = calendar_for_team(team=front_door, settings=SETTINGS)
    monday = date(2026, 11, 23)
    for offset, closes in enumerate(["17:15", "17:15", "17:15", "17:15", "17:00"]):
        day = monday + timedelta(days=offset)
        if nation == "SCT" and day == date(2026, 11, 30):
            continue
        hours, minutes = closes.split(":")
        assert calendar.end_of_day(day) == london(day.year, day.month, day.day, int(hours), int(minutes))


def test_a_plain_hours_team_promises_hours_not_working_hours() -> None:
    edt = team({"mon": [["00:00", "09:00"], ["17:15", "24:00"]], "sat": [["00:00", "24:00"]]})
    promise = route(4, "working_hours")
    promise.response_expected, promise.response_unit = 1, "working_days"
    assert expectation(promise, edt) == "acknowledged within 4 hours, a response within 1 day"
    assert expectation(promise, team(FRONT_DOOR_HOURS)) == (
        "acknowledged within 4 working hours, a response within 1 working day"
    )


def test_overdue_words_count_plain_days_for_a_plain_hours_team() -> None:
    crisis = calendar_for_team(team=team({}, open_bank_holidays=True), settings=SETTINGS)
    office = calendar_for_team(team=team(FRONT_DOOR_HOURS), settings=SETTINGS)
    due, now = london(2026, 12, 24, 19), london(2026, 12, 28, 10)
    assert due_words(due, now=now, calendar=crisis) == "4 days overdue"
    # The front door's working days after Christmas Eve: none until Tuesday 29 December.
    assert due_words(london(2026, 12, 23, 17, 15), now=london(2026, 12, 29, 10), calendar=office) == (
        "2 working days overdue"
    )
