"""Directory answers promise a reply in the hours the team's clocks count in: a team that never closes counts
plain hours ("within 1 hour"), an office-hours team working hours ("within 4 working hours")."""

from __future__ import annotations

import io
import re

from sqlalchemy import Engine

from bot.config import Settings
from bot.console import ConsoleNotifier, ConsoleOutput
from bot.console_loop import ConsoleChat, run_console
from bot.runtime import build_runtime
from directory.demo import load_demo
from schedules.time.clock import FakeClock


async def _ask(engine: Engine, clock: FakeClock, lines: list[str]) -> str:
    out = io.StringIO()
    output = ConsoleOutput(stream=out, as_json=False)
    runtime = build_runtime(settings=Settings(), clock=clock, notifier=ConsoleNotifier(output), engine=engine)
    with runtime.sessions.begin() as session:
        load_demo(session, clock)
    chat = ConsoleChat(runtime, handle="hv.amy", output=output, fake_clock=clock)
    await run_console(chat, stdin=io.StringIO("\n".join(lines) + "\n"), interactive=False)
    return re.sub(r"\s+", " ", out.getvalue())


async def test_the_emergency_duty_team_promises_plain_hours_and_the_front_door_working_hours(
    engine: Engine, clock: FakeClock
) -> None:
    text = await _ask(engine, clock, ["find emergency duty team", "/press 1", "find front door"])
    assert "Emergency duty team (out of hours)" in text
    assert "Call 0161 496 0110. Expect it acknowledged within 1 hour." in text
    assert "acknowledged within 1 working hour" not in text
    # The full result (More) says the same in its route field.
    assert re.search(r"0161 496 0110\): [^|]*Expect it acknowledged within 1 hour", text)
    assert "Expect it acknowledged within 4 working hours" in text  # the front door keeps office hours
