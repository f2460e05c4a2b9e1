"""due <event> from <date>: statutory timescales in words, on the person's own nation's working days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz, process

from handlers.context import HandlerContext
from handlers.dates import NATION_NAMES, parse_day
from handlers.messages import Field, InboundMessage, Reply
from handlers.router import Router
from schedules.guidance.timescales import (
    Deadline,
    Event,
    NationPolicy,
    NoTimescale,
    Timescale,
    due_date,
    nation_policies,
    nation_policy,
)
from schedules.time.calendar import LONDON, NATIONS
from schedules.time.calendars import day_calendar
from schedules.time.words import date_in_words, list_days
from storage.errors import InvalidInput

USAGE = "due <event> from <date>"
EXAMPLE = "due core group from 21/12/2026"
UNIT_WORDS = {"working_days": "working day", "calendar_days": "calendar day", "months": "month"}
_SEPARATOR = re.compile(r"^(?P<event>.*?)\s+(?:from|after|since|following|counting from)\s+(?P<date>.+)$")
_FILLER = re.compile(r"^(?:(?:is|are|the|a|an|for|of|when|date|deadline)\s+)+|\s+(?:due|date|deadline)$")


@dataclass(frozen=True, slots=True)
class Found:
    """An event recognised in what someone typed, and the other nation's word if they used one."""

    event: Event
    foreign_word: str = ""  # "icpc" typed by someone in Scotland, where it is a CPPM


def _event_words(text: str) -> str:
    words = re.sub(r"[^\w&\s]", " ", text.lower())
    return _FILLER.sub("", " ".join(words.split())).strip()


def _aliases(policy: NationPolicy) -> dict[str, Event]:
    return {word: t.key for t in policy.events for word in (*t.words, t.short.lower())}


# Letters whose spoken name starts with a vowel sound: "an IRD", "an MDT", but "a CPPM".
_VOWEL_SOUND_LETTERS = frozenset("aefhilmnorsx")


def _display(words: str) -> str:
    """Write an abbreviation as one ("ird" is "IRD"); other words as typed."""
    return words.upper() if " " not in words and len(words) <= 4 else words


def _with_article(words: str) -> str:
    """Put "a" or "an" before the event's words: "a strategy discussion", "an IRD"."""
    shown = _display(words)
    abbreviation = shown != words
    vowel = shown[0].lower() in (_VOWEL_SOUND_LETTERS if abbreviation else frozenset("aeiou"))
    return f"{'an' if vowel else 'a'} {shown}"


def _everyone_elses(policy: NationPolicy) -> dict[str, Event]:
    other: dict[str, Event] = {}
    for nation, each in nation_policies().items():
        if nation != policy.nation:
            other.update({w: e for w, e in _aliases(each).items() if policy.timescale(e) is not None})
    return other


def _day(day: date) -> str:
    return date_in_words(day, with_year=True)


def _amount(timescale: Timescale) -> str:
    unit = UNIT_WORDS[timescale.unit]
    return f"{timescale.amount} {unit}{'' if timescale.amount == 1 else 's'}"


def recognise(text: str, nation: str = "ENG") -> Found:
    """Recognise an event in the words of the person's nation (or another nation's words for it).

    Raises:
        InvalidInput: no event matches, or the words name an event that starts a clock.
    """
    policy = nation_policy(nation)
    words = _event_words(text)
    own = _aliases(policy)
    if words in own:
        return Found(own[words])
    if len(words) >= 3:
        best = process.extractOne(words, list(own), scorer=fuzz.ratio, score_cutoff=80)
        if best is not None:
            return Found(own[best[0]])
    other = _everyone_elses(policy)
    if words in other and words not in policy.starts:
        return Found(other[words], foreign_word=words)
    known = ", ".join(t.short for t in policy.events)
    if words in policy.starts:  # "due strategy discussion from …": it starts a clock, it doesn't have one
        follows = policy.timescale(policy.starts[words])
        short = follows.short if follows else "conference"
        named = _with_article(words)
        raise InvalidInput(
            "event",
            f"{named[0].upper()}{named[1:]} starts a clock rather than having a deadline of its own: the {short} "
            f"counts from it. Type: due {short} from the {_display(words)} date.",
            example=f"due {short} from 25/11/2026",
        )
    what = f"'{text.strip()}'" if text.strip() else "that"
    raise InvalidInput(
        "event",
        f"I don't know a timescale for {what} in {policy.framework}. I know: {known}.",
        example=EXAMPLE,
    )


def find_event(text: str, nation: str = "ENG") -> Event:
    """Recognise an event name: 'icpc', 'cppm', 'core group', 'assessment', 'review'.

    Raises:
        InvalidInput: no event matches.
    """
    return recognise(text, nation).event


def split_request(args: str, nation: str = "ENG") -> tuple[str, str]:
    """Split 'core group from 21/12/2026' (or 'core group 21/12/2026') into event words and date words.

    Raises:
        InvalidInput: there is no date.
    """
    text = " ".join(args.split()).strip(" ?.")
    match = _SEPARATOR.match(text)
    if match is not None:
        return match.group("event"), match.group("date")
    words = text.split()
    policy = nation_policy(nation)
    known = {**_everyone_elses(policy), **_aliases(policy)}
    # The longest exact event name that leaves a date behind ("core group 21 Dec"), then allowing typos.
    for cut in range(len(words) - 1, 0, -1):
        head = " ".join(words[:cut])
        if _event_words(head) in known:
            return head, " ".join(words[cut:])
    for cut in range(len(words) - 1, 0, -1):
        head = " ".join(words[:cut])
        try:
            recognise(head, nation)
        except InvalidInput:
            continue
        return head, " ".join(words[cut:])
    event = recognise(text, nation).event  # an event with no date: say what's missing
    timescale = policy.timescale(event)
    start = timescale.counted_from if timescale else "the event it counts from"
    short = timescale.short.lower() if timescale else "icpc"
    raise InvalidInput(
        "date", f"From which date? Give the date of {start}.", example=f"due {short} from 17/12/2026"
    )


def describe(deadline: Deadline, *, is_past: bool) -> str:
    """Say a deadline in one sentence, like DOMAIN.md's worked example."""
    timescale = deadline.timescale
    verb = "was due" if is_past else "is due"
    why = f"{_amount(timescale)} after {_day(deadline.start)}"
    if deadline.holidays_skipped:
        count = len(deadline.holidays_skipped)
        are = "is a bank holiday" if count == 1 else "are bank holidays"
        nation = NATION_NAMES.get(deadline.nation, deadline.nation)
        why += f"; {list_days(deadline.holidays_skipped)} {are} in {nation}"
    sentence = f"{timescale.name} {verb} by {_day(deadline.due)} ({why})."
    if deadline.last_working_day is not None:
        sentence += f" That isn't a working day, so plan for {_day(deadline.last_working_day)} at the latest."
    return sentence


def _check_line(policy: NationPolicy, timescale: Timescale) -> str:
    if not timescale.verified:
        return f"This timescale isn't confirmed in {policy.framework}: check your local procedures."
    return "Check your local procedures: they may be shorter. Type due to see every timescale."


def overview(policy: NationPolicy) -> Reply:
    """List every timescale the person's nation has, with an example and the source."""
    fields = []
    for timescale in policy.events:
        if timescale.amount is None:
            value = f"no set timescale: check your local procedures ({timescale.counted_from})"
        else:
            value = f"{_amount(timescale)} from {timescale.counted_from}"
            if not timescale.verified:
                value += " (not confirmed: check your local procedures)"
        fields.append(Field(timescale.short, value))
    return Reply(
        text=f"Tell me the event and the date it counts from. For example: {EXAMPLE}\n"
        f"These are the longest times {policy.framework} allows in {policy.nation_name}. "
        f"Your area may set shorter ones.\nSource: {policy.source}.",
        fields=tuple(fields),
    )


def _no_timescale(policy: NationPolicy, event: Event, timescale: Timescale | None) -> Reply:
    if timescale is None:
        english = nation_policy("ENG").timescale(event)
        name = english.short if english else str(event)
        known = ", ".join(t.short for t in policy.events)
        return Reply(
            text=f"{policy.framework} sets no {name} timescale in {policy.nation_name}. I know: {known}. "
            "Check your local procedures."
        )
    note = f" {timescale.note}" if timescale.note else ""
    return Reply(
        text=f"{policy.framework} sets no timescale I can count for the {timescale.short}.{note} "
        "Check your local procedures."
    )


async def show_due(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Answer 'due <event> from <date>' under the person's own nation's framework."""
    args = (msg.action_value or "") if msg.action else ctx.args
    nation = ctx.person.nation if ctx.person.nation in NATIONS else ctx.settings.default_nation
    policy = nation_policy(nation)
    if not args:
        return overview(policy)
    event_words, date_words = split_request(args, nation)
    found = recognise(event_words, nation)
    today = ctx.clock.now().astimezone(LONDON).date()
    start = parse_day(date_words, today=today)
    try:
        deadline = due_date(event=found.event, start=start, nation=nation)
    except NoTimescale as missing:
        return _no_timescale(missing.policy, missing.event, missing.timescale)
    timescale = deadline.timescale
    lines = []
    if found.foreign_word:
        # Someone in Scotland typing "icpc": answer with Scotland's meeting, and say so.
        lines.append(f"In {policy.nation_name} that meeting is the {timescale.short}.")
    lines.append(describe(deadline, is_past=deadline.due < today))
    calendar = day_calendar(nation=nation)
    if timescale.unit == "working_days" and not calendar.is_working_day(start):
        lines.append(f"{_day(start)} isn't a working day, so the count starts on the next one.")
    lines.append(f"Counted from {timescale.counted_from}, as {policy.framework} sets out.")
    if timescale.note:
        lines.append(timescale.note)
    lines.append(_check_line(policy, timescale))
    return Reply(text="\n".join(lines))


def register(router: Router) -> None:
    """Register due and its natural phrasings."""
    router.command(
        "due",
        show_due,
        aliases=("deadline", "timescale", "timescales", "deadlines"),
        summary="Work out a statutory child protection deadline under your nation's framework and working days.",
        usage=USAGE,
    )
