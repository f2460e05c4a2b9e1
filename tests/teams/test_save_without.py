"""Save without it, on each platform: a refused note, one press (a signed Slack button payload, a Teams
Action.Submit activity, console `/press N`), and only the cleaned text is stored, audited or logged."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.config import Settings
from bot.console import ConsoleNotifier, ConsoleOutput
from bot.console_loop import ConsoleChat, run_console
from bot.runtime import build_runtime
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, TrackedItem
from tests.conftest import START
from tests.handlers.conftest import load_demo_fast
from tests.teams.test_parity import PLATFORMS, fresh_engine

JOINUP_LOGGERS = {"bot", "handlers", "schedules", "storage", "directory", "joinup"}
NOTE = "child Jayden Smith, seen at school"
REFER = f"refer front door case NB-204518 by phone about {NOTE}"


def _stored(engine: Engine) -> tuple[list[str], str]:
    with Session(engine) as session:
        items = session.exec(select(TrackedItem)).all()
        audit = json.dumps([e.model_dump(mode="json") for e in session.exec(select(AuditEvent))])
        return [item.about for item in items], audit


@pytest.mark.parametrize("platform", ["slack", "teams"])
async def test_a_refused_note_is_saved_cleaned_with_one_press(
    platform: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    engine = fresh_engine()
    try:
        async for chat in PLATFORMS[platform](FakeClock(START), engine):
            refused = await chat.say(REFER)
            assert refused.startswith("That looks like a person's name.") and "Jayden" not in refused
            assert _stored(engine)[0] == []
            said = await chat.press("save_without", "yes")
            assert said[0].startswith("Logged TI-")
        abouts, audit = _stored(engine)
        assert len(abouts) == 1 and "seen at school" in abouts[0] and "Jayden" not in abouts[0]
        # joinup's own logs (the Teams SDK's DEBUG dump of every received activity is its own matter).
        ours = [r.getMessage() for r in caplog.records if r.name.split(".")[0] in JOINUP_LOGGERS]
        assert "Jayden" not in audit and not any("Jayden" in line for line in ours)
    finally:
        engine.dispose()


async def test_the_console_saves_without_it_with_press(engine: Engine, clock: FakeClock) -> None:
    out = io.StringIO()
    output = ConsoleOutput(stream=out, as_json=True)
    runtime = build_runtime(settings=Settings(), clock=clock, notifier=ConsoleNotifier(output), engine=engine)
    load_demo_fast(runtime.sessions, clock)
    chat = ConsoleChat(runtime, handle="hv.amy", output=output, fake_clock=clock)
    await run_console(chat, stdin=io.StringIO(f"{REFER}\n/press 1\n"), interactive=False)
    said = [m["text"] for line in out.getvalue().splitlines() if (m := json.loads(line))["to"] == "hv.amy"]
    assert said[0].startswith("That looks like a person's name.") and "Save without it" in said[0]
    assert said[1].startswith("Logged TI-")
    abouts, audit = _stored(engine)
    assert abouts == ["child [removed], seen at school"] and "Jayden" not in audit
