"""due <event> from <date>: statutory timescales in words, on the person's own nation's working days."""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from handlers.context import HandlerContext
from handlers.dates import NATION_NAMES, parse_day
from handlers.messages import Field, InboundMessage, Reply
from handlers.router import Router
from schedules.guidance.timescales import SOURCE, TIMESCALES, Deadline, Event, due_date
from schedules.time.calendar import LONDON, NATIONS
from schedules.time.calendars import day_calendar
from schedules.time.words import date_in_words, list_days
from storage.errors import InvalidInput

USAGE = "due <event> from <date>"
EXAMPLE = "due core group from 21/12/2026"

# The words people use for each event; matched whole first, then with small typos.
EVENT_WORDS: dict[Event, tuple[str, ...]] = {
    Event.REFERRAL_DECISION: (
        "referral",
        "referral decision",
        "decision",
        "referral ack",
        "acknowledge referral",
        "ack",
        "acknowledgement",
        "contact",
        "front door decision",
        "decision on referral",
        "next steps",
    ),
    Event.ASSESSMENT: (
        "assessment",
        "single assessment",
        "s17",
        "s47",
        "section 17",
        "section 47",
        "s17 assessment",
        "s47 assessment",
        "child and family assessment",
        "c&f assessment",
        "assessment completed",
        "cin assessment",
    ),
    Event.ICPC: (
        "icpc",
        "initial conference",
        "initial child protection conference",
        "child protection conference",
        "cp conference",
        "initial cp conference",
        "conference",
        "cpc",
        "initial case conference",
        "case conference",
    ),
    Event.CORE_GROUP: ("core group", "first core group", "core group meeting", "core", "cg"),
    Event.FIRST_REVIEW: (
        "review",
        "first review",
        "review conference",
        "first review conference",
        "rcpc",
        "first rcpc",
        "review child protection conference",
        "review cp conference",
    ),
    Event.LATER_REVIEW: (
        "later review",
        "later reviews",
        "next review",
        "subsequent review",
        "second review",
        "further review",
        "6 month review",
        "six month review",
        "next rcpc",
        "later review conference",
    ),
    Event.LADO: (
        "lado",
        "allegation",
        "lado referral",
        "report to lado",
        "lado report",
        "allegation against staff",
        "tell the lado",
        "telling the lado",
    ),
}
_ALIASES = {word: event for event, words in EVENT_WORDS.items() for word in words}
# Events people type that start a timescale rather than end one, and the timescale they start.
_STARTS = {
    "strategy discussion": Event.ICPC,
    "strategy meeting": Event.ICPC,
    "strategy": Event.ICPC,
    "last strategy discussion": Event.ICPC,
}

# Wording: what is due, and what the clock counts from.
EVENT_NAMES = {
    Event.REFERRAL_DECISION: "The decision on the referral",
    Event.ASSESSMENT: "The assessment",
    Event.ICPC: "The initial child protection conference",
    Event.CORE_GROUP: "The first core group",
    Event.FIRST_REVIEW: "The first review conference",
    Event.LATER_REVIEW: "The next review conference",
    Event.LADO: "Telling the LADO about the allegation",
}
COUNTED_FROM = {
    "referral": "the day the referral was received",
    "strategy_discussion": "the strategy discussion (the last one, if there was more than one)",
    "allegation": "the day the allegation became known",
    Event.ICPC: "the initial child protection conference",
    Event.FIRST_REVIEW: "the previous review conference",
}
SHORT_NAMES = {
    Event.REFERRAL_DECISION: "referral decision",
    Event.ASSESSMENT: "assessment",
    Event.ICPC: "ICPC",
    Event.CORE_GROUP: "core group",
    Event.FIRST_REVIEW: "review",
    Event.LATER_REVIEW: "later review",
    Event.LADO: "LADO",
}
_SEPARATOR = re.compile(r"^(?P<event>.*?)\s+(?:from|after|since|following|counting from)\s+(?P<date>.+)$")
_FILLER = re.compile(r"^(?:(?:is|are|the|a|an|for|of|when|date|deadline)\s+)+|\s+(?:due|date|deadline)$")


def _event_words(text: str) -> str:
    words = re.sub(r"[^\w&\s]", " ", text.lower())
    return _FILLER.sub("", " ".join(words.split())).strip()


def find_event(text: str) -> Event:
    """Recognise an event name: 'icpc', 'initial conference', 'core group', 'assessment', 'review'.

    Raises:
        InvalidInput: no event matches.
    """
    words = _event_words(text)
    if words in _ALIASES:
        return _ALIASES[words]
    if len(words) >= 3:
        best = process.extractOne(words, list(_ALIASES), scorer=fuzz.ratio, score_cutoff=80)
        if best is not None:
            return _ALIASES[best[0]]
    known = ", ".join(SHORT_NAMES[e] for e in Event)
    if words in _STARTS:  # "due strategy discussion from …": it starts a clock, it doesn't have one
        event = _STARTS[words]
        raise InvalidInput(
            "event",
            f"A {words} starts a clock rather than having a deadline of its own: "
            f"the {SHORT_NAMES[event]} counts from it. Type: due {SHORT_NAMES[event]} from the {words} date.",
            example=f"due {SHORT_NAMES[event]} from 25/11/2026",
        )
    what = f"'{text.strip()}'" if text.strip() else "that"
    raise InvalidInput("event", f"I don't know a timescale for {what}. I know: {known}.", example=EXAMPLE)


def split_request(args: str) -> tuple[str, str]:
    """Split 'core group from 21/12/2026' (or 'core group 21/12/2026') into event words and date words.

    Raises:
        InvalidInput: there is no date.
    """
    text = " ".join(args.split()).strip(" ?.")
    match = _SEPARATOR.match(text)
    if match is not None:
        return match.group("event"), match.group("date")
    words = text.split()
    # The longest exact event name that leaves a date behind ("core group 21 Dec"), then allowing typos.
    for cut in range(len(words) - 1, 0, -1):
        head = " ".join(words[:cut])
        if _event_words(head) in _ALIASES:
            return head, " ".join(words[cut:])
    for cut in range(len(words) - 1, 0, -1):
        head = " ".join(words[:cut])
        try:
            find_event(head)
        except InvalidInput:
            continue
        return head, " ".join(words[cut:])
    event = find_event(text)  # an event with no date: say what's missing
    start = COUNTED_FROM[TIMESCALES[event].counted_from]
    raise InvalidInput(
        "date",
        f"From which date? Give the date of {start}.",
        example=f"due {SHORT_NAMES[event].lower()} from 17/12/2026",
    )


def describe(deadline: Deadline, *, is_past: bool) -> str:
    """Say a deadline in one sentence, like DOMAIN.md's worked example."""
    timescale = deadline.timescale
    unit = "working day" if timescale.unit == "working_days" else "month"
    amount = f"{timescale.amount} {unit}{'' if timescale.amount == 1 else 's'}"
    verb = "was due" if is_past else "is due"
    why = f"{amount} after {date_in_words(deadline.start, with_year=True)}"
    if deadline.holidays_skipped:
        count = len(deadline.holidays_skipped)
        are = "is a bank holiday" if count == 1 else "are bank holidays"
        nation = NATION_NAMES.get(deadline.nation, deadline.nation)
        why += f"; {list_days(deadline.holidays_skipped)} {are} in {nation}"
    sentence = (
        f"{EVENT_NAMES[timescale.event]} {verb} by {date_in_words(deadline.due, with_year=True)} ({why})."
    )
    if deadline.last_working_day is not None:
        sentence += f" That isn't a working day, so plan for {date_in_words(deadline.last_working_day, with_year=True)} at the latest."
    return sentence


def overview() -> Reply:
    """List every timescale joinup knows, with an example."""
    fields = []
    for event, timescale in TIMESCALES.items():
        unit = "working day" if timescale.unit == "working_days" else "month"
        amount = f"{timescale.amount} {unit}{'' if timescale.amount == 1 else 's'}"
        fields.append(Field(SHORT_NAMES[event], f"{amount} from {COUNTED_FROM[timescale.counted_from]}"))
    return Reply(
        text=f"Tell me the event and the date it counts from. For example: {EXAMPLE}\n"
        f"These are the longest times {SOURCE} allows. Your area may set shorter ones.",
        fields=tuple(fields),
    )


async def show_due(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Answer 'due <event> from <date>'."""
    args = (msg.action_value or "") if msg.action else ctx.args
    if not args:
        return overview()
    event_words, date_words = split_request(args)
    event = find_event(event_words)
    today = ctx.clock.now().astimezone(LONDON).date()
    start = parse_day(date_words, today=today)
    nation = ctx.person.nation if ctx.person.nation in NATIONS else ctx.settings.default_nation
    deadline = due_date(event=event, start=start, nation=nation)
    lines = [describe(deadline, is_past=deadline.due < today)]
    calendar = day_calendar(nation=nation)
    if deadline.timescale.unit == "working_days" and not calendar.is_working_day(start):
        lines.append(
            f"{date_in_words(start, with_year=True)} isn't a working day, so the count starts on the next one."
        )
    lines.append(
        f"Counted from {COUNTED_FROM[deadline.timescale.counted_from]}, as {SOURCE} sets out. "
        "Check your local procedures: they may be shorter. Type due to see every timescale."
    )
    return Reply(text="\n".join(lines))


def register(router: Router) -> None:
    """Register due and its natural phrasings."""
    router.command(
        "due",
        show_due,
        aliases=("deadline", "timescale", "timescales", "deadlines"),
        summary="Work out a Working Together deadline on your nation's working days.",
        usage=USAGE,
    )
