"""The console chat loop: read lines, handle in-chat commands, print replies and reminders."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TextIO

from sqlmodel import col, select

from bot.console import ConsoleNotifier, ConsoleOutput, console_message, parse_advance
from bot.runtime import Runtime
from handlers.messages import Reply
from schedules.calendar import WorkingCalendar
from schedules.clock import FakeClock
from storage.models import Person

CONSOLE_HELP = (
    "Console commands: /as HANDLE (switch person), /advance 2wd|3h|1d|30m (fake clock only), "
    "/press N (press button N), /who (list demo people), /quit."
)


class ConsoleChat:
    """One console session: the current person, the clock, and what was last shown."""

    def __init__(self, runtime: Runtime, *, handle: str, output: ConsoleOutput, fake_clock: FakeClock | None):
        self.runtime = runtime
        self.handle = handle
        self.output = output
        self.fake_clock = fake_clock

    def refresh_handles(self) -> None:
        """Let the notifier print recipients by handle."""
        notifier = self.runtime.notifier
        if isinstance(notifier, ConsoleNotifier):
            with self.runtime.sessions() as session:
                notifier.handles.update({p.id: p.handle for p in session.exec(select(Person)) if p.id})

    def say(self, text: str) -> None:
        """Print a console-level message to the current person."""
        self.output.show(to=self.handle, reply=Reply(text=text))

    async def line(self, raw: str) -> bool:
        """Handle one line of input; return False when the chat should end."""
        text = raw.strip()
        if not text:
            return True
        if text.startswith("/"):
            return await self._console_command(text)
        await self._send(console_message(self.handle, text=text))
        return True

    async def _send(self, msg: object) -> None:
        from handlers.messages import InboundMessage

        assert isinstance(msg, InboundMessage)
        reply = await self.runtime.dispatcher.handle(msg)
        self.refresh_handles()
        self.output.show(to=self.handle, reply=reply)
        await self.runtime.run_jobs_once()

    async def _console_command(self, text: str) -> bool:
        word, _, rest = text.partition(" ")
        word, rest = word.lower(), rest.strip()
        if word in ("/quit", "/exit", "/q"):
            return False
        if word == "/as" and rest:
            self.handle = rest
            self.say(f"You are now {rest}.")
        elif word == "/who":
            with self.runtime.sessions() as session:
                people = session.exec(select(Person).order_by(col(Person.handle))).all()
            self.say(
                "\n".join(f"{p.handle}: {p.display_name}, {p.job_title}" for p in people) or "No people yet."
            )
        elif word == "/press":
            await self._press(rest)
        elif word == "/advance":
            await self._advance(rest)
        elif word != "/help" and word.lstrip("/"):
            await self._send(console_message(self.handle, text=text.lstrip("/")))
        else:
            self.say(CONSOLE_HELP)
        return True

    async def _press(self, rest: str) -> None:
        buttons = self.output.buttons.get(self.handle, [])
        if not rest.isdigit() or not 1 <= int(rest) <= len(buttons):
            self.say(
                f"There's no button {rest or '(none given)'}. Buttons are numbered [1] to [{len(buttons)}]."
            )
            return
        await self._send(console_message(self.handle, button=buttons[int(rest) - 1]))

    async def _advance(self, rest: str) -> None:
        if self.fake_clock is None:
            self.say("The clock is real. Start the chat with --clock 2026-11-25T09:00 to move time.")
            return
        amount = parse_advance(rest)
        if amount is None:
            self.say("Say how far to move, like /advance 2wd (working days), /advance 3h or /advance 1d.")
            return
        now = self.fake_clock.now()
        if isinstance(amount, int):
            calendar = WorkingCalendar(self.runtime.settings.default_nation)
            local = calendar.local(now)
            day = calendar.add_working_days_to_date(local.date(), amount)
            target = now + (calendar.start_of_day(day) - calendar.start_of_day(local.date()))
        else:
            target = now + amount
        await self.runtime.advance_to(self.fake_clock, target)
        local_target = WorkingCalendar().local(self.fake_clock.now())
        self.say(f"It is now {local_target:%A %d %B %Y, %H:%M}.")


async def run_console(chat: ConsoleChat, *, stdin: TextIO, interactive: bool) -> None:
    """Read lines until end of input or /quit; in an interactive chat on a real clock, sweep in the background."""
    chat.refresh_handles()
    sweeper: asyncio.Task[None] | None = None
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (history and line editing for input())
        chat.say("Welcome to joinup. Type help to see what I can do. " + CONSOLE_HELP)
        if chat.fake_clock is None:
            sweeper = asyncio.create_task(_sweep_forever(chat.runtime))
    try:
        while True:
            if interactive:
                try:
                    raw = await asyncio.to_thread(input, f"{chat.handle}> ")
                except EOFError:
                    break
            else:
                raw = stdin.readline()
                if not raw:
                    break
            if not await chat.line(raw):
                break
    finally:
        if sweeper is not None:
            sweeper.cancel()


async def _sweep_forever(runtime: Runtime) -> None:
    while True:
        await asyncio.sleep(runtime.settings.reminders.sweep_interval_seconds)
        await runtime.run_jobs_once()
