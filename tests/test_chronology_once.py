"""A case's chronology holds every event once: a case walked through the console from referral to a resolved
escalation and a share? decision, then read back in chat and from the timeline."""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any

from sqlalchemy import Engine

from bot.config import Settings
from bot.console import ConsoleNotifier, ConsoleOutput
from bot.console_loop import ConsoleChat, run_console
from bot.runtime import build_runtime
from directory.demo import load_demo
from schedules.chronology import timeline
from schedules.escalation import policy
from schedules.time.clock import FakeClock

CASE = "NB-204518"


async def _walk(engine: Engine, clock: FakeClock, script: list[str]) -> tuple[list[str], str]:
    out = io.StringIO()
    output = ConsoleOutput(stream=out, as_json=True)
    runtime = build_runtime(settings=Settings(), clock=clock, notifier=ConsoleNotifier(output), engine=engine)
    with runtime.sessions.begin() as session:
        load_demo(session, clock)
        policy.seed(session, clock)
    chat = ConsoleChat(runtime, handle="hv.amy", output=output, fake_clock=clock)
    await run_console(chat, stdin=io.StringIO("\n".join(script) + "\n"), interactive=False)
    with runtime.sessions() as session:
        events = [e.event for e in timeline.build(session=session, clock=clock, case_ref=CASE).entries]
    messages: list[dict[str, Any]] = [json.loads(line) for line in out.getvalue().splitlines()]
    shown = next(m["text"] for m in reversed(messages) if m["text"].startswith(f"Chronology for case {CASE}"))
    return events, shown


SHARE = [
    "share?",
    "/press 1",  # to protect a child from harm
    "/press 1",  # public task
    "yes",
    "yes",
    "yes, I'll tell them",
    "children's front door by secure email",
    "share",
    "Worried about neglect; the front door needs the health history",
    CASE,
]


async def test_refer_ack_tried_feedback_escalate_respond_resolve_and_share_each_appear_once(
    engine: Engine, clock: FakeClock
) -> None:
    script = [
        f"refer front door case {CASE} by phone",
        "/advance 1h",
        "ack TI-0001",
        "/advance 1h",
        "tried TI-0001",
        "/press 1",  # spoke to them
        "/advance 1h",
        "feedback TI-0001",
        "/press 4",  # no further action
        "below threshold for social care",
        "/advance 1h",
        "disagree TI-0001",
        "no",  # no child at immediate risk
        "/as mgr.tom",
        "escalations ES-0001",
        "/press 1",  # record our response
        "maintained",
        "Below threshold: early help is in place",
        "/as hv.amy",
        "/advance 1h",
        "escalations ES-0001",
        "/press 1",  # accept: resolved
        "",  # keep the pre-filled outcome
        "Agreed after talking it through",
        *SHARE,
        f"chronology {CASE}",
    ]
    events, shown = await _walk(engine, clock, script)
    expected = [
        "Referral sent to Children's front door (MASH)",
        "Acknowledged by Children's front door (MASH)",
        "Contact attempt to Children's front door (MASH): spoke to them",
        "Feedback from Children's front door (MASH): no further action",
        "Escalation started at level 1 (Practitioner to practitioner)",
        "Response at level 1 (Practitioner to practitioner): decision maintained",
        "Resolved at level 1 (Practitioner to practitioner): Accepted the response from Children's front door "
        "(MASH): decision maintained",
        "Information shared with children's front door by secure email",
    ]
    assert events == expected
    assert all(count == 1 for count in Counter(events).values())
    # Chat shows the same entries, once each; who looked is the audit log's business.
    for event in expected:
        assert " ".join(shown.split()).count(event) == 1, event
    assert "Chronology exported" not in shown and "Access" not in shown


async def test_an_acknowledgement_and_feedback_in_the_same_minute_are_two_events(
    engine: Engine, clock: FakeClock
) -> None:
    script = [
        f"refer front door case {CASE} by phone",
        "/advance 1h",
        "ack TI-0001",
        "feedback TI-0001",
        "/press 4",
        "below threshold for social care",
        *SHARE,
        *SHARE,  # two share? decisions: each told once, not again from the audit log
        f"chronology {CASE}",
    ]
    events, _shown = await _walk(engine, clock, script)
    assert events.count("Acknowledged by Children's front door (MASH)") == 1
    assert events.count("Feedback from Children's front door (MASH): no further action") == 1
    assert events.count("Information shared with children's front door by secure email") == 2
    assert not [e for e in events if e.startswith("Sharing")]
