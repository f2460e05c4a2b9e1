"""joinup chat: the console chat on the embedded database."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

import click

from bot.cli.common import load_settings, open_engine
from bot.console import ConsoleNotifier, ConsoleOutput, is_interactive
from bot.console_loop import ConsoleChat, run_console
from bot.runtime import build_runtime, seed_demo
from schedules.time.calendar import LONDON
from schedules.time.clock import Clock, FakeClock, SystemClock
from storage import migrate


def _parse_clock(value: str) -> FakeClock:
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use an ISO date and time, like 2026-11-25T09:00") from None
    return FakeClock(start if start.tzinfo else start.replace(tzinfo=LONDON).astimezone(UTC))


@click.command(help="Chat with joinup in the terminal (SQLite and the demo borough by default).")
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
@click.option(
    "--as", "handle", default="hv.amy", show_default=True, help="Who you are (a demo person's handle)."
)
@click.option(
    "--clock", "clock_at", help="Start a fake clock at this London time (ISO), moved with /advance."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print each outgoing message as one JSON object per line."
)
@click.option(
    "--no-demo", is_flag=True, help="Don't load the Northbrook demo directory into an empty database."
)
def chat(database_url: str | None, handle: str, clock_at: str | None, as_json: bool, no_demo: bool) -> None:
    """Start the console chat."""
    settings = load_settings(database_url)
    engine = open_engine(settings)
    migrate.upgrade(engine)
    fake = _parse_clock(clock_at) if clock_at else None
    clock: Clock = fake or SystemClock()
    output = ConsoleOutput(stream=sys.stdout, as_json=as_json)
    runtime = build_runtime(settings=settings, clock=clock, notifier=ConsoleNotifier(output), engine=engine)
    if not no_demo:
        seed_demo(runtime)
    console = ConsoleChat(runtime, handle=handle, output=output, fake_clock=fake)
    asyncio.run(run_console(console, stdin=sys.stdin, interactive=is_interactive(sys.stdin) and not as_json))
