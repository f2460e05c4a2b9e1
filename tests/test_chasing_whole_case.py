"""Chasing knows the whole case: a repeat referral is questioned and chased as one, and an open escalation
replaces the 'consider escalating' nudge. Driven through the console with the whole runtime."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from bot.config import Settings
from bot.console import ConsoleNotifier, ConsoleOutput
from bot.console_loop import ConsoleChat, run_console
from bot.runtime import build_runtime
from directory.demo import load_demo
from schedules.escalation import policy
from schedules.time.clock import FakeClock
from storage.models import TrackedItem


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


async def _run(engine: Engine, clock: FakeClock, lines: list[str]) -> tuple[list[dict[str, Any]], Any]:
    out = io.StringIO()
    output = ConsoleOutput(stream=out, as_json=True)
    runtime = build_runtime(settings=Settings(), clock=clock, notifier=ConsoleNotifier(output), engine=engine)
    with runtime.sessions.begin() as session:
        load_demo(session, clock)
        policy.seed(session, clock)
    chat = ConsoleChat(runtime, handle="hv.amy", output=output, fake_clock=clock)
    await run_console(chat, stdin=io.StringIO("\n".join(lines) + "\n"), interactive=False)
    return [json.loads(line) for line in out.getvalue().splitlines()], runtime


async def test_a_second_referral_is_questioned_and_chased_as_one(engine: Engine, clock: FakeClock) -> None:
    messages, runtime = await _run(
        engine,
        clock,
        [
            "refer front door case NB-204518 by phone",
            "/advance 1wd",
            "refer front door case NB-204518 by phone",
            "/press 1",  # Chasing that one
            "refer front door case NB-204518 by phone",
            "new",
            "/advance 6wd",
        ],
    )
    texts = [squeeze(m["text"]) for m in messages]
    asked = [t for t in texts if squeeze("Is this a new referral, or chasing that one?") in t]
    assert len(asked) == 2
    assert (
        squeeze("You referred NB-204518 to Children's front door (MASH) on Wednesday 25 November") in asked[0]
    )
    assert any(
        squeeze("OK, I haven't logged a new referral. How did chasing TI-0001 go?") in t for t in texts
    )
    assert any(squeeze("I'll chase it together with the earlier referral, as one") in t for t in texts)
    with runtime.sessions() as session:
        refs = [i.ref for i in session.exec(select(TrackedItem).order_by(col(TrackedItem.id)))]
    assert refs == ["TI-0001", "TI-0002"]  # "chasing that one" logged nothing
    chases = [m for m in messages if m["kind"] == "reminder" and "TI-000" in m["text"]]
    assert any("TI-0001" in m["text"] for m in chases)
    # While TI-0001 is open and unanswered, the second referral's chases are not sent: one story per case.
    assert not any("TI-0002" in m["text"] for m in chases), [m["text"] for m in chases]


async def test_chasers_point_to_the_open_escalation_instead_of_suggesting_one(
    engine: Engine, clock: FakeClock
) -> None:
    messages, _ = await _run(
        engine,
        clock,
        [
            "refer front door case NB-204518 by phone",
            "escalate NB-204518",
            "no",
            "/advance 8wd",
        ],
    )
    reminders = [m for m in messages if m["kind"] == "reminder" and "TI-0001" in m["text"]]
    to_amy = [m for m in reminders if m["to"] == "hv.amy"]
    assert to_amy, reminders
    assert not any("Consider escalating" in m["text"] for m in reminders)
    assert any(
        squeeze("This case is already being escalated: ES-0001 is at level") in squeeze(m["text"])
        for m in to_amy
    )
    assert all("escalate" not in [b["action"] for b in m["buttons"]] for m in to_amy), [
        m["buttons"] for m in to_amy
    ]
    to_front_door = [m for m in reminders if m["to"] != "hv.amy"]
    assert any(
        squeeze("The referrer has escalated this case: ES-0001") in squeeze(m["text"]) for m in to_front_door
    )
