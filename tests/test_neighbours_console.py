"""The Millbridge example in the console: a neighbour's routes and public services, labelled as pulled."""

from __future__ import annotations

import io
import json

from sqlalchemy import Engine

from bot.config import Settings
from bot.console import ConsoleNotifier, ConsoleOutput
from bot.console_loop import ConsoleChat, run_console
from bot.runtime import build_runtime
from schedules.time.clock import FakeClock
from tests.handlers.conftest import load_demo_fast
from tests.neighbours import ED_QUESTION, NOT_VERIFIED, pull_millbridge_async


async def test_a_child_from_millbridge_in_the_console(engine: Engine, clock: FakeClock) -> None:
    out = io.StringIO()
    output = ConsoleOutput(stream=out, as_json=True)
    runtime = build_runtime(settings=Settings(), clock=clock, notifier=ConsoleNotifier(output), engine=engine)
    load_demo_fast(runtime.sessions, clock)
    await pull_millbridge_async(runtime.sessions, clock)
    chat = ConsoleChat(runtime, handle="hv.amy", output=output, fake_clock=clock)
    script = f"{ED_QUESTION}\nparenting support group\nworried about a baby\n"
    await run_console(chat, stdin=io.StringIO(script), interactive=False)
    replies = [m for line in out.getvalue().splitlines() if (m := json.loads(line))["to"] == "hv.amy"]
    # The console wraps long lines; compare the words.
    neighbour, public, own = (" ".join(m["text"].split()) for m in replies[-3:])
    assert neighbour.startswith(
        "Millbridge children's front door (MASH): open now until 5pm. Call 0117 496 0100."
    )
    assert "Or: Millbridge emergency duty team (out of hours), call 0117 496 0199" in neighbour
    assert "From the Millbridge feed, last pulled 10am on Wednesday 25 November; " + NOT_VERIFIED in neighbour
    assert "If a child is in immediate danger, call 999." in neighbour
    assert "Public services (for signposting, not a safeguarding route):" in public
    assert (
        "Public: Parenting support group (Millbridge), call 0117 496 0510. From the Millbridge Families feed"
        in public
    )
    assert public.startswith("Early help hub"), "our own early help comes first"
    assert "Millbridge" not in own and own.startswith("Children's front door (MASH)")
