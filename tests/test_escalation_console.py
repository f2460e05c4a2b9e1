"""The escalation walkthrough through the console adapter: the whole runtime, scripted input, /advance."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from sqlalchemy import Engine

from bot.config import Settings
from bot.console import ConsoleNotifier, ConsoleOutput
from bot.console_loop import ConsoleChat, run_console
from bot.runtime import build_runtime
from directory.demo import load_demo
from schedules.escalation import policy
from schedules.time.clock import FakeClock


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


async def test_refer_escalate_time_out_and_move_up_in_the_console(engine: Engine, clock: FakeClock) -> None:
    out = io.StringIO()
    output = ConsoleOutput(stream=out, as_json=True)
    runtime = build_runtime(settings=Settings(), clock=clock, notifier=ConsoleNotifier(output), engine=engine)
    with runtime.sessions.begin() as session:
        load_demo(session, clock)
        policy.seed(session, clock)
    chat = ConsoleChat(runtime, handle="hv.amy", output=output, fake_clock=clock)
    script = "\n".join(
        [
            "refer front door case NB-204518 by phone",
            "escalate NB-204518",
            "no",
            "/advance 3wd",  # Wednesday to Monday: level 1 ran out on Friday
            "escalations ES-0001",
            "/press 2",  # Not resolved: go to level 2
            "called the duty senior practitioner twice",
            "still below threshold, no new reasons given",
            "/advance 6wd",
        ]
    )
    await run_console(chat, stdin=io.StringIO(script + "\n"), interactive=False)
    messages: list[dict[str, Any]] = [json.loads(line) for line in out.getvalue().splitlines()]
    # Digests and tracking chases go out too; follow the escalation's own messages.
    # (Tracking chases mention the open escalation too; they are tested in test_chasing_whole_case.py.)
    mine = [
        m
        for m in messages
        if "ES-0001" in m["text"] and m["kind"] in ("reply", "reminder") and "TI-0001" not in m["text"]
    ]
    flow = [(m["to"], m["kind"], m["text"]) for m in mine]
    expected = [
        ("hv.amy", "reply", "Thank you. I've opened ES-0001 at level 1 and started its clock."),
        (
            "hv.amy",
            "reminder",
            "Time's up for level 1, Practitioner to practitioner, of ES-0001 (case NB-204518): it was due on "
            "Friday 27 November. If it's resolved, press Resolved. If not, move it to level 2.",
        ),
        ("mgr.kate", "reply", "Amy Hughes moved ES-0001 (case NB-204518) to level 2."),
        ("hv.amy", "reply", "I've recorded that level 1 didn't resolve it. ES-0001 is now at level 2."),
        (
            "hv.amy",
            "reminder",
            "Time's up for level 2, Manager to manager, of ES-0001 (case NB-204518): it was due on Monday "
            "7 December. If it's resolved, press Resolved. If not, move it to level 3.",
        ),
        (
            "mgr.kate",
            "reminder",
            "Amy Hughes's escalation ES-0001 (case NB-204518) ran out of time at level 2, Manager to manager, "
            "on Monday 7 December. You act at this level: check in with them. If it's resolved, press "
            "Resolved. If not, move it to level 3.",
        ),
    ]
    # In this order, with the card and the questions (typed, or a console form) in between. The console
    # wraps long lines, so compare without the line breaks.
    remaining = iter(flow)
    for want_to, want_kind, want_start in expected:
        assert any(
            (to, kind) == (want_to, want_kind) and squeeze(text).startswith(squeeze(want_start))
            for to, kind, text in remaining
        ), (want_to, want_kind, want_start, flow)
    assert squeeze(
        "Before we start on case NB-204518: is a child at immediate risk of harm right now?"
    ) in squeeze(out.getvalue())
    assert squeeze("Duty senior practitioner (phone 0161 496 0102)") in squeeze(mine[0]["text"])
    assert mine[1]["buttons"][1] == {
        "label": "Not resolved: go to level 2",
        "action": "escalation_next",
        "value": "ES-0001",
    }


async def test_the_front_door_responds_and_the_health_visitor_decides_in_the_console(
    engine: Engine, clock: FakeClock
) -> None:
    out = io.StringIO()
    output = ConsoleOutput(stream=out, as_json=True)
    runtime = build_runtime(settings=Settings(), clock=clock, notifier=ConsoleNotifier(output), engine=engine)
    with runtime.sessions.begin() as session:
        load_demo(session, clock)
        policy.seed(session, clock)
    chat = ConsoleChat(runtime, handle="hv.amy", output=output, fake_clock=clock)
    script = "\n".join(
        [
            "refer front door case NB-204518 by phone",
            "escalate NB-204518",
            "no",
            "/as mgr.tom",
            "escalations ES-0001",
            "/press 1",  # the front door's manager may only record a response
            "1",  # decision maintained
            "Below threshold: early help is already in place",
            "/as hv.amy",
            "escalations ES-0001",
            "/press 2",  # Don't accept: go to level 2
            "",  # keep the pre-filled "what did you try"
            "Three missed health visits since",
        ]
    )
    await run_console(chat, stdin=io.StringIO(script + "\n"), interactive=False)
    messages: list[dict[str, Any]] = [json.loads(line) for line in out.getvalue().splitlines()]
    tom_card = next(m for m in messages if m["to"] == "mgr.tom" and "disagrees with your team" in m["text"])
    assert [b["label"] for b in tom_card["buttons"]] == ["Record our response"]
    told = next(m for m in messages if m["to"] == "hv.amy" and "responded to ES-0001" in m["text"])
    assert "decision maintained" in told["text"]
    assert [b["label"] for b in told["buttons"]][:2] == ["Accept: resolved", "Don't accept: go to level 2"]
    moved = next(m for m in messages if m["to"] == "hv.amy" and "is now at level 2" in m["text"])
    assert squeeze("Their position") in squeeze(moved["text"])
    kate = next(m for m in messages if m["to"] == "mgr.kate" and "moved ES-0001" in m["text"])
    assert "Your manager" not in kate["text"]


async def test_moving_up_asks_what_was_tried_once_in_the_console(engine: Engine, clock: FakeClock) -> None:
    out = io.StringIO()
    output = ConsoleOutput(stream=out, as_json=False)
    runtime = build_runtime(settings=Settings(), clock=clock, notifier=ConsoleNotifier(output), engine=engine)
    with runtime.sessions.begin() as session:
        load_demo(session, clock)
        policy.seed(session, clock)
    chat = ConsoleChat(runtime, handle="hv.amy", output=output, fake_clock=clock)
    script = [
        "refer front door case NB-204518 by phone",
        "escalate NB-204518",
        "no",
        "/press 2",  # Not resolved: go to level 2
        "called the duty senior practitioner twice",
        "still below threshold, no new reasons given",
    ]
    await run_console(chat, stdin=io.StringIO("\n".join(script) + "\n"), interactive=False)
    text = squeeze(out.getvalue())
    assert text.count(squeeze("What did you try at this level?")) == 1
    assert text.count(squeeze("Why didn't it resolve?")) == 1
    assert squeeze("ES-0001 is now at level 2") in text
