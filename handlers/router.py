"""Text and button actions → intents → handlers. Every handler module registers itself explicitly."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from handlers.context import HandlerContext
from handlers.intents.grammar import strip_filler
from handlers.messages import InboundMessage, Reply
from handlers.outbox.renderers import ReminderRenderers

log = logging.getLogger(__name__)

Handler = Callable[[InboundMessage, HandlerContext], Awaitable[Reply]]
FlowHandler = Callable[[InboundMessage, HandlerContext, str], Awaitable[Reply]]

MAX_TEXT_LENGTH = 2000
# C0 and C1 control characters, and the invisible format characters (zero-width space, bidi overrides).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


@dataclass(frozen=True, slots=True)
class FlowInfo:
    """A registered multi-step conversation: how to continue it, and how to talk about it."""

    handler: FlowHandler
    label: str  # "the referral questions": what "Left ..." and "Back to ..." call it
    actions: frozenset[str]  # button actions that answer its questions (not another message's buttons)
    # Steps whose answer is free text: there a line only leaves the question if it is unmistakably a
    # command (a bare command word, or a command naming a reference), so "referred to early help" answers.
    free_text_steps: frozenset[str]
    resume: Callable[[HandlerContext, str], Awaitable[Reply]] | None
    # Whether a line is a good answer to the question at a step ("consent" when asked for the lawful
    # basis is an answer, though it is also a command word).
    accepts: Callable[[HandlerContext, str, str], bool] | None = None
    # Whether a command typed instead ends it outright, rather than setting it aside for `continue`
    # (a cleaned note waiting for "Save without it" is not a question worth coming back to).
    ends_on_command: bool = False


@dataclass(frozen=True, slots=True)
class Command:
    """A registered command: its name, aliases and one-line help."""

    name: str
    handler: Handler
    aliases: tuple[str, ...] = ()
    summary: str = ""
    usage: str = ""
    needs_onboarding: bool = False
    details: str = ""  # the longer explanation `help <command>` shows
    examples: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Intent:
    """What a line of text asks for: a command name and the rest of the line."""

    name: str  # a command name, or "search" for free text
    args: str = ""
    word: str = field(default="", compare=False)  # the command word as typed ("hello" for help)


def clean_text(text: str) -> str:
    """Normalise Unicode, drop control characters and squeeze whitespace."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())


class Router:
    """Parses text into intents and routes them, and button actions, to handlers."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._words: dict[str, str] = {}  # command word or alias → command name
        self._phrases: list[tuple[re.Pattern[str], str]] = []
        self._actions: dict[str, tuple[Handler, bool]] = {}
        self._flows: dict[str, FlowInfo] = {}
        self._fallback: Handler | None = None
        # How each reminder kind is turned into a message; handler modules add theirs in register().
        self.reminders = ReminderRenderers()

    # --- registration -----------------------------------------------------------------------
    def command(
        self,
        name: str,
        handler: Handler,
        *,
        aliases: tuple[str, ...] = (),
        summary: str = "",
        usage: str = "",
        needs_onboarding: bool = False,
        details: str = "",
        examples: tuple[str, ...] = (),
    ) -> None:
        """Register a command word (and aliases) for a handler."""
        if name in self._commands:
            raise ValueError(f"command {name!r} is registered twice")
        taken = [w for w in (name, *aliases) if w.lower() in self._words]
        if taken:
            raise ValueError(f"command {name!r}: {taken} already belong to another command")
        self._commands[name] = Command(
            name, handler, aliases, summary, usage or name, needs_onboarding, details, examples
        )
        for word in (name, *aliases):
            self._words[word.lower()] = name

    def phrase(self, pattern: str, name: str) -> None:
        """Map a natural phrasing to a command; the named group `args` becomes the arguments."""
        self._phrases.append((re.compile(pattern, re.IGNORECASE), name))

    def action(self, action_id: str, handler: Handler, *, needs_onboarding: bool = False) -> None:
        """Register the handler for a button action or form submission."""
        if action_id in self._actions:
            raise ValueError(f"action {action_id!r} is registered twice")
        self._actions[action_id] = (handler, needs_onboarding)

    def flow(
        self,
        name: str,
        handler: FlowHandler,
        *,
        label: str = "",
        actions: tuple[str, ...] = (),
        free_text_steps: tuple[str, ...] = (),
        resume: Callable[[HandlerContext, str], Awaitable[Reply]] | None = None,
        accepts: Callable[[HandlerContext, str, str], bool] | None = None,
        ends_on_command: bool = False,
    ) -> None:
        """Register the handler that continues a multi-step conversation called `name`.

        `actions` are the buttons that answer its questions (the flow's own name always is); `resume`
        asks the question at a step again, for `continue` after the person left the questions.
        """
        self._flows[name] = FlowInfo(
            handler,
            label or f"the {name} questions",
            frozenset({name, *actions}),
            frozenset(free_text_steps),
            resume,
            accepts,
            ends_on_command,
        )

    def fallback(self, handler: Handler) -> None:
        """Register what handles free text that matches no command (directory search)."""
        self._fallback = handler

    # --- lookup -----------------------------------------------------------------------------
    @property
    def commands(self) -> list[Command]:
        """Return every registered command, in registration order."""
        return list(self._commands.values())

    def get_command(self, name: str) -> Command | None:
        """Return a command by name."""
        return self._commands.get(name)

    def get_action(self, action_id: str) -> tuple[Handler, bool] | None:
        """Return the handler for an action id and whether it needs onboarding."""
        return self._actions.get(action_id)

    def get_flow(self, name: str) -> FlowHandler | None:
        """Return the handler that continues a flow."""
        info = self._flows.get(name)
        return info.handler if info is not None else None

    def flow_info(self, name: str) -> FlowInfo | None:
        """Return everything registered about a flow."""
        return self._flows.get(name)

    @property
    def words(self) -> frozenset[str]:
        """Return every command word and alias (a case reference may not be one of them)."""
        return frozenset(self._words)

    @property
    def fallback_handler(self) -> Handler | None:
        """Return the free-text handler."""
        return self._fallback

    def _typo(self, word: str) -> str | None:
        """Return the command word `word` is a typo of, or None.

        "refr", "escalte", "acknowlege" and swapped letters ("fidn", "roel"). Short words must match exactly,
        or "ok" becomes "ack"; and a longer word that merely starts with a command ("shared", "helper") is
        not a typo of it.
        """
        single = [w for w in self._words if " " not in w]
        if len(word) < 4 or any(word.startswith(w) for w in single):
            return None
        for candidate in single:
            if len(candidate) < 4 or OSA.distance(word, candidate) != 1:
                continue
            # One swapped pair in any word of 4 letters or more; any one slip in words of 5 or more.
            if sorted(word) == sorted(candidate) or (len(word) >= 5 and len(candidate) >= 5):
                return candidate
        # 85, not 80: at 80 "hoarding" became "sharing" and "SARC" became "search".
        best = process.extractOne(word, single, scorer=fuzz.ratio, score_cutoff=85)
        return None if best is None else str(best[0])

    def parse(self, text: str) -> Intent:
        """Turn a line of text into an intent, forgiving case, slashes, punctuation and small typos."""
        return self._parse(text, forgive_typos=True)

    def parse_command(self, text: str) -> Intent | None:
        """Return the command a line unmistakably is (no typo guessing, never a search), else None."""
        found = self._parse(text, forgive_typos=False)
        return found if found is not None and found.name != "search" else None

    def _parse(self, text: str, *, forgive_typos: bool) -> Intent:
        text = clean_text(text).lstrip("/").strip()
        text = strip_filler(text)
        if not text:
            return Intent("help")
        for pattern, name in self._phrases:
            match = pattern.fullmatch(text) or pattern.fullmatch(text.rstrip(" ?!."))
            if match:
                args = match.groupdict().get("args") or ""
                return Intent(name, args.strip(" ?!.").strip(), word=text.partition(" ")[0].lower())
        first, _, rest = text.partition(" ")
        for word in (first.lower(), first.lower().rstrip("?!.:,")):
            if word in self._words:
                return Intent(self._words[word], rest.strip(), word=word)
        word = first.lower().rstrip("?!.:,")
        typo = self._typo(word) if forgive_typos else None
        if typo is not None:
            return Intent(self._words[typo], rest.strip(), word=word)
        return Intent("search", text)
