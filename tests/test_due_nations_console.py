"""due under each nation's own framework, through the console."""

from __future__ import annotations

import io
import json
import re

from sqlalchemy import Engine
from sqlmodel import col, select

from bot.config import Settings
from bot.console import ConsoleNotifier, ConsoleOutput
from bot.console_loop import ConsoleChat, run_console
from bot.runtime import build_runtime
from directory.demo import load_demo
from schedules.time.clock import FakeClock
from storage.models import Person


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


async def test_a_scottish_user_gets_a_cppm_and_a_welsh_user_their_core_group_in_the_console(
    engine: Engine, clock: FakeClock
) -> None:
    out = io.StringIO()
    output = ConsoleOutput(stream=out, as_json=True)
    runtime = build_runtime(settings=Settings(), clock=clock, notifier=ConsoleNotifier(output), engine=engine)
    with runtime.sessions.begin() as session:
        load_demo(session, clock)
        for handle, nation in (("gp.omar", "SCT"), ("dsl.priya", "WLS")):
            session.exec(select(Person).where(col(Person.handle) == handle)).one().nation = nation
    chat = ConsoleChat(runtime, handle="gp.omar", output=output, fake_clock=clock)
    script = "due icpc from 2026-12-17\ndue core group from 21/12/2026\n/as dsl.priya\ndue core group from 21/12/2026\n"
    await run_console(chat, stdin=io.StringIO(script), interactive=False)
    replies = [json.loads(line)["text"] for line in out.getvalue().splitlines()]
    text = squeeze("\n".join(replies))
    assert squeeze("The child protection planning meeting (CPPM) is due by Thursday 14 January 2027") in text
    assert squeeze("28 calendar days after Thursday 17 December 2026") in text
    assert squeeze("The first core group is due by Friday 15 January 2027 (15 working days") in text
    assert squeeze("The first core group is due by Thursday 7 January 2027 (10 working days") in text
    assert squeeze("as Wales Safeguarding Procedures sets out") in text
