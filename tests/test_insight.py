"""Insight figures against a hand-computed history (tests/insight_fixture.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from bot.config import Settings
from handlers.insight.jobs import fill_durations_job
from schedules.insight import figures as insight
from schedules.insight import trends as insight_trends
from schedules.insight.durations import CalendarCache, backfill_durations
from schedules.insight.periods import period_named, split_period_words
from schedules.time.clock import FakeClock
from storage.db import make_sessions
from storage.errors import InvalidInput
from storage.models import Escalation, TrackedItem
from tests.insight_fixture import DECEMBER, NOW, seed


def _load(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions.begin() as session:
        ids = seed(session)
        backfill_durations(session=session, calendars=CalendarCache())
    return ids


def _check_history(sessions: sessionmaker[Session]) -> None:
    ids = _load(sessions)
    with sessions() as session:
        minutes = dict(session.exec(select(TrackedItem.case_ref, TrackedItem.ack_working_minutes)).all())
        figures = {f.team_key: f for f in insight.team_figures(session=session, period=DECEMBER, now=NOW)}
        overall = insight.overall_figures(session=session, period=DECEMBER, now=NOW)
        escalations = insight.escalation_figures(session=session, period=DECEMBER)
        histogram = insight_trends.ack_histogram(
            session=session, period=DECEMBER, team_ids=[ids["front_door"]]
        )
        weeks = insight_trends.weekly_trend(
            session=session, period=DECEMBER, now=NOW, team_ids=[ids["front_door"]]
        )
        days = dict(session.exec(select(Escalation.ref, Escalation.resolution_working_days)).all())

    # Thu 24 Dec 16:00 to Tue 29 Dec 10:00 is 2 working hours: 25 and 28 December are bank holidays.
    assert minutes["NB-1003"] == 780
    assert days == {"ES-0001": 5, "ES-0002": 4, "ES-0003": None, "ES-0004": None}

    door = figures["front-door"]
    assert door.referrals == 4
    assert (door.ack.count, door.ack.median, door.ack.p90) == (3, 120, 780)
    assert (door.feedback.count, door.feedback.median, door.feedback.p90) == (2, 720, 1920)
    assert (door.ack_on_time.met, door.ack_on_time.due, door.ack_on_time.percent) == (2, 4, 50)
    assert (door.feedback_on_time.met, door.feedback_on_time.due) == (2, 4)
    assert (door.repeat_contacts, door.repeat_contact_percent) == (2, 50)
    assert (door.nfa, door.re_referred_after_nfa, door.re_referral_percent) == (1, 1, 100)

    lado = figures["lado"]
    assert (lado.referrals, lado.ack.median, lado.ack_on_time.percent) == (1, 120, 100)
    assert list(figures) == ["front-door", "lado"]  # busiest first; health visiting received nothing

    assert overall.referrals == 5
    assert (overall.ack.count, overall.ack.median, overall.ack.p90) == (4, 120, 780)
    assert (overall.ack_on_time.met, overall.ack_on_time.due) == (3, 5)

    [door_escalations] = escalations
    assert door_escalations.team_id == ids["front_door"]
    assert door_escalations.opened == 3
    assert door_escalations.by_level == {1: 1, 2: 1, 3: 1}
    assert door_escalations.by_status == {"open": 1, "resolved": 2}
    days_figures = door_escalations.resolution_days
    assert (days_figures.count, days_figures.median, days_figures.p90) == (2, 4, 5)

    assert dict(histogram) == {
        "under 1 hour": 1,
        "1 to 4 hours": 1,
        "4 to 8 hours": 0,
        "1 to 2 working days": 1,
        "2 to 5 working days": 0,
        "over 5 working days": 0,
    }
    by_week = {w.week_on.isoformat(): (w.referrals, w.ack.median) for w in weeks}
    assert by_week == {
        "2026-11-30": (1, 30),
        "2026-12-07": (1, 780),
        "2026-12-14": (1, None),
        "2026-12-21": (1, 120),
        "2026-12-28": (0, None),
    }


def test_figures_match_the_hand_computed_history_on_sqlite(sessions: sessionmaker[Session]) -> None:
    _check_history(sessions)


@pytest.mark.postgres
def test_figures_match_the_hand_computed_history_on_postgres(pg_engine: Engine) -> None:
    _check_history(make_sessions(pg_engine))


def test_team_scope_limits_every_figure(sessions: sessionmaker[Session]) -> None:
    ids = _load(sessions)
    with sessions() as session:
        figures = insight.team_figures(session=session, period=DECEMBER, now=NOW, team_ids=[ids["lado"]])
        escalations = insight.escalation_figures(session=session, period=DECEMBER, team_ids=[ids["lado"]])
    assert [f.team_key for f in figures] == ["lado"]
    assert escalations == []


def test_an_empty_period_gives_empty_figures(sessions: sessionmaker[Session]) -> None:
    _load(sessions)
    period = period_named("this month", now=datetime(2026, 6, 10, 9, tzinfo=UTC))
    with sessions() as session:
        overall = insight.overall_figures(session=session, period=period, now=NOW)
        assert insight.team_figures(session=session, period=period, now=NOW) == []
    assert (overall.referrals, overall.ack.median, overall.ack_on_time.percent) == (0, None, None)


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("this month", "2026-11-01", "2026-11-26"),
        ("last month", "2026-10-01", "2026-11-01"),
        ("last quarter", "2026-07-01", "2026-10-01"),
        ("this quarter", "2026-10-01", "2026-11-26"),
        ("past six months", "2026-05-01", "2026-11-26"),
    ],
)
def test_periods_are_london_calendar_windows(name: str, start: str, end: str) -> None:
    period = period_named(name, now=datetime(2026, 11, 25, 10, tzinfo=UTC))
    assert period.key == f"{start}_{end}"


def test_a_summer_period_starts_at_london_midnight() -> None:
    period = period_named("last month", now=datetime(2026, 8, 3, 10, tzinfo=UTC))
    assert period.start_at == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)  # 1 July 00:00 BST


def test_unknown_period_is_a_friendly_error() -> None:
    with pytest.raises(InvalidInput, match="I know these periods"):
        period_named("last fortnight", now=datetime(2026, 11, 25, tzinfo=UTC))


def test_period_words_are_split_from_the_team() -> None:
    assert split_period_words("front door last quarter") == ("front door", "last quarter")
    assert split_period_words("lado") == ("lado", None)
    assert split_period_words("this month") == ("", "this month")


@dataclass
class _Running:
    sessions: sessionmaker[Session]
    clock: FakeClock
    settings: Settings


async def test_the_job_fills_missing_durations_every_ten_minutes(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        seed(session)
    running = _Running(sessions=sessions, clock=FakeClock(NOW), settings=Settings(database_url="sqlite://"))
    await fill_durations_job(running)
    with sessions.begin() as session:
        days = dict(session.exec(select(Escalation.ref, Escalation.resolution_working_days)).all())
        assert days["ES-0001"] == 5
        late = session.exec(select(Escalation).where(Escalation.ref == "ES-0003")).one()
        late.closed_at, late.status = NOW, "resolved"
    await fill_durations_job(running)  # within ten minutes: nothing runs
    with sessions() as session:
        assert (
            session.exec(select(Escalation.resolution_working_days).where(Escalation.ref == "ES-0003")).one()
            is None
        )
    running.clock.advance(timedelta(minutes=10))
    await fill_durations_job(running)
    with sessions() as session:
        # After Wed 23 December 2026 up to Fri 15 January 2027: 24, 29, 30, 31 December and 10 days in January
        # (25 and 28 December and 1 January are bank holidays).
        assert (
            session.exec(select(Escalation.resolution_working_days).where(Escalation.ref == "ES-0003")).one()
            == 14
        )


async def _same_dashboard_in_parallel(sessions: sessionmaker[Session]) -> None:
    from bot.web_pages import insight_tables

    ids = _load(sessions)
    for team_ids in (None, frozenset({ids["front_door"]})):
        with sessions() as session:
            alone = insight_tables.build(session=session, period=DECEMBER, now=NOW, team_ids=team_ids)
        together = await insight_tables.build_in_parallel(
            sessions=sessions, period=DECEMBER, now=NOW, team_ids=team_ids
        )
        assert together.headline == alone.headline and together.tables == alone.tables
        assert together.tables["teams"].rows[0][:2] == ("Children's front door", 4)  # busiest first


async def test_the_dashboard_built_in_parallel_matches_one_session_on_sqlite(
    sessions: sessionmaker[Session],
) -> None:
    await _same_dashboard_in_parallel(sessions)


@pytest.mark.postgres
async def test_the_dashboard_built_in_parallel_matches_one_session_on_postgres(pg_engine: Engine) -> None:
    await _same_dashboard_in_parallel(make_sessions(pg_engine))
