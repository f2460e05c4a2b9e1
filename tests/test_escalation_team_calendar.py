"""Escalation level deadlines count on the challenged team's calendar: its nation's bank holidays and its
hours, not the raiser's. Reminders, the unanswered-response nudge and the console card follow."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.config import Settings
from bot.console import ConsoleNotifier, ConsoleOutput
from bot.console_loop import ConsoleChat, run_console
from bot.runtime import build_runtime
from directory.demo import load_demo
from schedules.escalation import policy
from schedules.escalation.responses import RESPONSE_UNANSWERED
from schedules.time.clock import FakeClock
from storage.models import Escalation, Person, Reminder, Team
from tests.escalation_world import World, build_world

CASE = "NB-204518"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC moment (London is on GMT in winter, so this is London time too)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def world(sessions: sessionmaker[Session], clock: FakeClock) -> World:
    return build_world(sessions, clock)


def set_nation(
    sessions: sessionmaker[Session], *, team: str | None = None, handle: str | None = None
) -> None:
    with sessions.begin() as session:
        if team is not None:
            session.exec(select(Team).where(col(Team.key) == team)).one().nation = "SCT"
        if handle is not None:
            session.exec(select(Person).where(col(Person.handle) == handle)).one().nation = "SCT"


def due(world: World) -> datetime | None:
    with world.sessions() as session:
        return session.exec(select(Escalation)).one().level_due_at


async def open_about_front_door(world: World) -> None:
    world.item(case_ref=CASE, handle="hv.amy", team="front-door", outcome="no_further_action")
    await world.say("hv.amy", f"escalate {CASE}")
    card = await world.say("hv.amy", "no")
    assert "level 1 of 4" in card.text, card.text


@pytest.mark.parametrize(
    ("scottish_team", "scottish_raiser", "expected"),
    [
        # Both in England: Friday is day 1, Monday day 2, to the front door's Monday close (17:15).
        (False, False, at(2026, 11, 30, 17, 15)),
        # The front door in Scotland: St Andrew's Day (Monday 30 November) is not a working day for it.
        (True, False, at(2026, 12, 1, 17, 15)),
        # Only the raiser in Scotland: her holiday doesn't stop the front door's clock.
        (False, True, at(2026, 11, 30, 17, 15)),
    ],
)
async def test_a_level_deadline_counts_the_challenged_teams_holidays_and_hours(
    world: World, scottish_team: bool, scottish_raiser: bool, expected: datetime
) -> None:
    set_nation(
        world.sessions,
        team="front-door" if scottish_team else None,
        handle="hv.amy" if scottish_raiser else None,
    )
    world.clock.set(at(2026, 11, 26, 10))
    await open_about_front_door(world)
    assert due(world) == expected


async def test_the_reminders_and_the_managers_nudge_follow_the_challenged_teams_calendar(
    world: World,
) -> None:
    set_nation(world.sessions, team="front-door")
    world.clock.set(at(2026, 11, 26, 10))
    await open_about_front_door(world)
    # The front door's manager responds on Friday; the raiser's manager hears if she hasn't answered within
    # level 1's two working days of the Scottish front door (Tuesday, Wednesday: St Andrew's Day is off).
    world.clock.set(at(2026, 11, 27, 10))
    await world.press("mgr.tom", "escalation_respond", "ES-0001")
    await world.say("mgr.tom", "maintained")
    await world.say("mgr.tom", "Below threshold: early help is in place")
    with world.sessions() as session:
        nudge = session.exec(select(Reminder).where(col(Reminder.kind) == RESPONSE_UNANSWERED)).one()
        kate = session.exec(select(Person).where(col(Person.handle) == "mgr.kate")).one()
    assert nudge.recipient_person_id == kate.id
    assert nudge.due_at == at(2026, 12, 3, 9)  # Wednesday 2 December 17:15, delivered on Thursday morning
    # Nothing on Monday 30 November: level 1 runs to the front door's Tuesday close.
    assert [to for to, _ in await world.advance_to(at(2026, 11, 30, 17, 30))] == []
    delivered = await world.advance_to(at(2026, 12, 2, 9))
    assert [to for to, _ in delivered] == ["hv.amy"]
    assert "Time's up for level 1" in delivered[0][1].text


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


async def test_the_console_shows_a_level_deadline_across_the_challenged_teams_bank_holiday(
    engine: Engine, clock: FakeClock
) -> None:
    clock.set(at(2026, 11, 26, 10))
    out = io.StringIO()
    output = ConsoleOutput(stream=out, as_json=True)
    runtime = build_runtime(settings=Settings(), clock=clock, notifier=ConsoleNotifier(output), engine=engine)
    with runtime.sessions.begin() as session:
        load_demo(session, clock)
        policy.seed(session, clock)
    set_nation(runtime.sessions, team="front-door")
    chat = ConsoleChat(runtime, handle="hv.amy", output=output, fake_clock=clock)
    script = ["refer front door case NB-204518 by phone", "escalate NB-204518", "no", "/advance 4wd"]
    await run_console(chat, stdin=io.StringIO("\n".join(script) + "\n"), interactive=False)
    messages: list[dict[str, Any]] = [json.loads(line) for line in out.getvalue().splitlines()]
    card = next(m for m in messages if m["to"] == "hv.amy" and "level 1 of 4" in m["text"])
    assert squeeze("Try to resolve it by 5:15pm on Tuesday 1 December (2 working days).") in squeeze(
        card["text"]
    )
    reminder = next(m for m in messages if m["kind"] == "reminder" and "Time's up for level 1" in m["text"])
    assert reminder["to"] == "hv.amy"
    assert squeeze("it was due on Tuesday 1 December") in squeeze(reminder["text"])
