"""The console chat loop: read lines, handle in-chat commands, print replies and reminders."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TextIO

import platformdirs
from sqlmodel import col, select

from bot.console import ConsoleNotifier, ConsoleOutput, console_message, parse_advance
from bot.console_forms import FormFiller
from bot.runtime import Runtime
from handlers.messages import InboundMessage, Reply
from schedules.time.calendars import calendar_for_nation
from schedules.time.clock import FakeClock
from schedules.time.words import moment_in_words
from storage.models import Person, Team

CONSOLE_HELP = (
    "Console commands: /as HANDLE (switch person), /who (list demo people), /press N (press button N), "
    "/advance 2wd|3h|1d|30m (fake clock only), quit (or Ctrl-D) to leave."
)
# Leaving the console chat (Ctrl-D too): a terminal habit, so never searched for as a service.
LEAVE_WORDS = frozenset({"quit", "exit", "bye", "goodbye", "/quit", "/exit", "/q"})
TRY = (
    "find health visitor · worried about a baby · role lead professional · due icpc from 2026-12-17 · share?"
)


class ConsoleChat:
    """One console session: the current person, the clock, and what was last shown."""

    def __init__(self, runtime: Runtime, *, handle: str, output: ConsoleOutput, fake_clock: FakeClock | None):
        self.runtime = runtime
        self.handle = handle
        self.output = output
        self.fake_clock = fake_clock
        self.form: FormFiller | None = None

    def refresh_handles(self) -> None:
        """Let the notifier print recipients by handle."""
        notifier = self.runtime.notifier
        if isinstance(notifier, ConsoleNotifier):
            with self.runtime.sessions() as session:
                notifier.handles.update({p.id: p.handle for p in session.exec(select(Person)) if p.id})

    def say(self, text: str) -> None:
        """Print a console-level message to the current person (the buttons shown last stay pressable)."""
        buttons = self.output.buttons.get(self.handle)
        self.output.show(to=self.handle, reply=Reply(text=text))
        if buttons is not None:
            self.output.buttons[self.handle] = buttons

    def describe(self, handle: str) -> str:
        """Say who a handle is: 'hv.amy (Amy Hughes, Health visitor, Health visiting)'."""
        with self.runtime.sessions() as session:
            person = session.exec(select(Person).where(col(Person.handle) == handle)).first()
            if person is None:
                return handle
            team = session.get(Team, person.team_id) if person.team_id else None
        details = [d for d in (person.display_name, person.job_title, team.name if team else "") if d]
        return f"{handle} ({', '.join(details)})"

    def welcome(self) -> str:
        """The first thing a person sees in an interactive chat."""
        clock = ""
        if self.fake_clock is not None:
            now = self.fake_clock.now()
            clock = (
                f" The clock is fake: it is {moment_in_words(now, with_year=True)}; move it with /advance."
            )
        return (
            "Welcome to joinup, in the fictional borough of Northbrook. "
            f"You are {self.describe(self.handle)}.{clock}\n"
            f"Say what you need, or try: {TRY}\nType help for everything.\n{CONSOLE_HELP}"
        )

    async def line(self, raw: str) -> bool:
        """Handle one line of input; return False when the chat should end."""
        text = raw.strip()
        if text.lower().strip(" .!") in LEAVE_WORDS:
            self.say("Bye. Anything you logged is kept; type joinup chat to come back.")
            return False
        if self.form is not None and not text.startswith("/"):
            await self._fill(text)
            return True
        if not text:
            return True
        if text.startswith("/"):
            return await self._console_command(text)
        await self._send(console_message(self.handle, text=text))
        return True

    async def _send(self, msg: InboundMessage) -> None:
        reply = await self.runtime.dispatcher.handle(msg)
        self.refresh_handles()
        self.output.show(to=self.handle, reply=reply)
        if reply.form is not None:
            self.form = FormFiller(reply.form)
            self.say(self.form.prompt())
        await self.runtime.run_jobs_once()

    async def _fill(self, text: str) -> None:
        assert self.form is not None
        if text.lower() in ("cancel", "stop"):
            self.form = None
            self.say("OK, I've dropped that form. Nothing was sent.")
            return
        problem = self.form.answer(text)
        if problem:
            self.say(f"{problem} {self.form.prompt()}")
            return
        if not self.form.is_complete:
            self.say(self.form.prompt())
            return
        form, values = self.form.form, self.form.values
        self.form = None
        await self._send(console_message(self.handle, form=form, values=values))

    async def _console_command(self, text: str) -> bool:
        word, _, rest = text.partition(" ")
        word, rest = word.lower(), rest.strip()
        if word in ("/quit", "/exit", "/q"):
            return False
        if word == "/as" and rest:
            self.form = None
            self.handle = rest
            known = self.describe(rest) != rest
            note = "" if known else " That isn't a demo person, so joinup will treat you as someone new."
            self.say(f"You are now {self.describe(rest)}.{note}")
        elif word == "/who":
            await self._who()
        elif word == "/press":
            await self._press(rest)
        elif word == "/advance":
            await self._advance(rest)
        elif word != "/help" and word.lstrip("/"):
            await self._send(console_message(self.handle, text=text.lstrip("/")))
        else:
            self.say(CONSOLE_HELP)
        return True

    async def _who(self) -> None:
        with self.runtime.sessions() as session:
            handles = list(session.exec(select(Person.handle).order_by(col(Person.handle))).all())
        if not handles:
            self.say("No people yet.")
            return
        lines = [f"  {self.describe(h)}{'  ← you' if h == self.handle else ''}" for h in handles]
        self.say("People in this chat (switch with /as HANDLE):\n" + "\n".join(lines))

    async def _press(self, rest: str) -> None:
        buttons = self.output.buttons.get(self.handle, [])
        if not buttons and self.form is not None:
            self.say(
                f"This question has no buttons: type your answer, or cancel to drop the form. {self.form.prompt()}"
            )
            return
        if not buttons:
            self.say("There are no buttons to press right now.")
            return
        if not rest.isdigit() or not 1 <= int(rest) <= len(buttons):
            self.say(
                f"There's no button {rest or '(none given)'}. Buttons are numbered [1] to [{len(buttons)}]."
            )
            return
        self.form = None
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
            calendar = calendar_for_nation(
                nation=self.runtime.settings.default_nation, settings=self.runtime.settings.reminders
            )
            local = calendar.local(now)
            day = calendar.add_working_days_to_date(local.date(), amount)
            target = now + (calendar.start_of_day(day) - calendar.start_of_day(local.date()))
        else:
            target = now + amount
        await self.runtime.advance_to(self.fake_clock, target)
        self.say(f"It is now {moment_in_words(self.fake_clock.now(), with_year=True)}.")


async def run_console(chat: ConsoleChat, *, stdin: TextIO, interactive: bool) -> None:
    """Read lines until end of input or /quit; in an interactive chat on a real clock, sweep in the background."""
    chat.refresh_handles()
    sweeper: asyncio.Task[None] | None = None
    history = _load_history() if interactive else None
    if interactive:
        chat.say(chat.welcome())
        if chat.fake_clock is None:
            sweeper = asyncio.create_task(_sweep_forever(chat.runtime))
    said_anything = False
    try:
        while True:
            if interactive:
                try:
                    raw = await asyncio.to_thread(input, f"{chat.handle}> ")
                except (EOFError, KeyboardInterrupt):
                    break
            else:
                raw = stdin.readline()
                if not raw:
                    if not said_anything:  # `make demo < /dev/null`: still show who you are and what to try
                        chat.say(chat.welcome())
                    break
                said_anything = True
            if not await chat.line(raw):
                break
    finally:
        if sweeper is not None:
            sweeper.cancel()
        if history is not None:
            _save_history(history)


def _load_history() -> Path | None:
    """Turn on line editing for input(), with the history of earlier chats; None without readline."""
    try:
        import readline
    except ImportError:
        return None
    path = platformdirs.user_data_path("joinup") / "chat_history"
    readline.set_history_length(1000)
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    return path


def _save_history(path: Path) -> None:
    import readline

    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(path)


async def _sweep_forever(runtime: Runtime) -> None:
    while True:
        await asyncio.sleep(runtime.settings.reminders.sweep_interval_seconds)
        await runtime.run_jobs_once()
