"""Insight counts call backs and information requests apart from referrals, and reports each team's
call-back reliability: the share returned on time and the median delay."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.web_pages.insight_tables import build
from schedules.insight.kinds import kind_figures
from schedules.insight.periods import Period
from schedules.time.clock import FakeClock
from storage.db import make_sessions
from tests.test_tracking_chat import Chat, button, utc

PERIOD = Period(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC), "November 2026")


@pytest.fixture
def chat(sessions: sessionmaker[Session], clock: FakeClock) -> Chat:
    return Chat(sessions, clock)


async def test_call_backs_and_requests_are_counted_apart_with_call_back_reliability(chat: Chat) -> None:
    await _reliability(chat)


@pytest.mark.postgres
async def test_the_same_figures_on_postgresql(pg_engine: Engine, clock: FakeClock) -> None:
    await _reliability(Chat(make_sessions(pg_engine), clock))


async def _reliability(chat: Chat) -> None:
    await chat.say("hv.amy", "refer front door case NB-204518 by phone")
    on_time = await chat.say("hv.amy", "callback front door case NB-204519 by 11am")
    late = await chat.say("hv.amy", "callback front door case NB-204520 by 11am")
    await chat.say("hv.amy", "ask front door case NB-204521 for a chronology by 14/01/2027")
    chat.clock.set(utc(11, 25, 10, 30))
    await chat.press("hv.amy", button(on_time, "called_back"))
    chat.clock.set(utc(11, 25, 13))  # two hours after 11am
    await chat.press("hv.amy", button(late, "called_back"))
    with chat.sessions() as session:
        (front_door,) = kind_figures(session=session, period=PERIOD, now=chat.clock.now())
        board = build(session=session, period=PERIOD, now=chat.clock.now(), team_ids=None)
    assert (front_door.referrals, front_door.callbacks, front_door.information_requests) == (1, 2, 1)
    assert (front_door.callbacks_on_time.met, front_door.callbacks_on_time.due) == (1, 2)
    assert front_door.callback_delay.count == 2
    assert front_door.callback_delay.median == 0  # nearest rank: the on-time one
    assert front_door.callback_delay.p90 == 120
    (row,) = board.tables["kinds"].rows
    assert row == ("Children's front door (MASH)", 1, 2, 50, 0.0, 1, None)
