"""find <what> [in <area>] [open now], and free text that matches no command: the directory search.

Searching never needs onboarding and never writes anything: a new person's first question is answered
straight away.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from directory.answer import Answer, answer
from directory.index import current_index
from handlers.context import HandlerContext
from handlers.find.render import IMMEDIATE_DANGER, fallback_line, result_section
from handlers.find.screen import ADULT_DANGER, MORE, duty_line, first_screen
from handlers.guidance.role import explain, lookup_exact
from handlers.messages import InboundMessage, Reply
from handlers.router import Router, clean_text
from schedules.time.calendar import NATIONS, WorkingCalendar
from schedules.time.calendars import day_calendar
from schedules.time.words import moment_in_words
from storage.known import directory_contacts, professional_names
from storage.privacy import find_personal_data

LIMIT = 3  # enough to choose from; each result is a full card
CANDIDATES = 10  # with open now, the open services are picked from this many of the best matches
RELEVANT = (
    30.0  # ...and only those scoring at least this (the best match scores 100): 24/7 lines match weakly
)
EXAMPLES = ("find health visitor", "find front door open now", "worried about a baby", "find CMHT in north")
_OPEN_NOW = re.compile(
    r"(?:^|\s+)(?:(?:that\s+is|that's|thats|which\s+is|who\s+(?:is|are))\s+)?"
    r"(?:open\s+(?:right\s+)?now|now\s+open|currently\s+open|open\s+today|available\s+now|open)$",
    re.IGNORECASE,
)
# Asking about out of hours puts services open now first, and leads with a closed team's out-of-hours team.
_OUT_OF_HOURS = re.compile(
    r"\b(?:out\s+of\s+hours|ooh|tonight|overnight|this\s+weekend|at\s+the\s+weekend|right\s+now)\b", re.I
)
_OPEN_NOW_FIRST = re.compile(r"^(?:open\s+now|now\s+open)[:,]?\s+", re.IGNORECASE)
_AREA = re.compile(
    r"^(?:(?P<what>.+?)\s+)?(?:in|for|covering|near)\s+(?:the\s+)?(?P<area>[\w'’\- ]+?)(?:\s+area)?$", re.I
)
_GREETINGS = frozenset(
    {
        "good morning",
        "morning",
        "good afternoon",
        "afternoon",
        "good evening",
        "evening",
        "hey there",
        "yo",
        "hiya",
    }
)
_THANKS = frozenset(
    {"thanks", "thank you", "thankyou", "ta", "cheers", "ok", "okay", "great", "lovely", "brill"}
)


def known_areas(ctx: HandlerContext) -> list[str]:
    """Return every area a team in the directory covers."""
    with ctx.sessions() as session:
        index = current_index(session, at=ctx.clock.now())
    return sorted({area for team in index.teams for area in team.areas})


def parse_find(text: str, areas: list[str]) -> tuple[str, str | None, bool]:
    """Split 'front door in north open now' into the words to search, an area and whether it must be open."""
    text = clean_text(text).strip(" ?!.")
    open_now = False
    for pattern in (_OPEN_NOW, _OPEN_NOW_FIRST):
        stripped = pattern.sub("", text).strip(" ,")
        if stripped != text:
            text, open_now = stripped, True
    area: str | None = None
    match = _AREA.match(text)
    if match is not None and areas:
        wanted = match.group("area").lower().replace("’", "'")
        lookup = {a.lower(): a for a in areas}
        best = lookup.get(wanted)
        if best is None:
            found = process.extractOne(wanted, list(lookup), scorer=fuzz.ratio, score_cutoff=80)
            best = lookup[found[0]] if found is not None else None
        if best is not None:
            text, area = (match.group("what") or "").strip(), best
    return text, area, open_now


def _calendar(ctx: HandlerContext) -> WorkingCalendar:
    nation = ctx.person.nation if ctx.person.nation in NATIONS else ctx.settings.default_nation
    return day_calendar(nation=nation)


def _personal_data_reply(kind: str) -> Reply:
    return Reply(
        text=f"That looks like {kind}. Search by the need or the service, like worried about a baby or "
        "front door, never by a child's or family's details. Nothing was saved or searched."
    )


def _nation(ctx: HandlerContext) -> str:
    return ctx.person.nation if ctx.person.nation in NATIONS else ctx.settings.default_nation


async def _answer(ctx: HandlerContext, text: str) -> tuple[Answer | Reply, str, str | None]:
    """Answer a search (or refuse personal data); return it with the words searched and the area."""
    what, area, open_now = parse_find(text, known_areas(ctx))
    with ctx.sessions() as session:
        # Directory phone numbers and mailboxes are not personal data; only look them up when needed.
        if what and find_personal_data(what) is not None:
            personal = find_personal_data(
                what,
                known_contacts=directory_contacts(session=session),
                known_names=professional_names(session=session),
            )
            if personal is not None:
                return _personal_data_reply(personal), what, area
        found = answer(
            session,
            what,
            at=ctx.clock.now(),
            calendar=_calendar(ctx),
            nation=_nation(ctx),
            area=area,
            open_now=open_now,
            prefer_open=open_now or bool(_OUT_OF_HOURS.search(what)),
        )
    return found, what, area


async def search_reply(ctx: HandlerContext, text: str) -> Reply:
    """Search the directory for `text` (which may say 'in <area>' and 'open now'): the short first screen.

    With 'open now', only services that would answer the search anyway are shown: an unrelated service
    that happens to be open is never offered instead. A search with no words in it (only punctuation or
    stopwords) gets the safe default, never an empty list.

    Raises:
        InvalidInput: the search is too long.
    """
    what, area, _ = parse_find(text, known_areas(ctx))
    if not what and area is not None:
        return Reply(
            text=f"What are you looking for in {area}? For example: " + ", or ".join(EXAMPLES[:3]) + "."
        )
    found, what, area = await _answer(ctx, text)
    if isinstance(found, Reply):
        return found
    return first_screen(found, what=what, search_text=text, at=ctx.clock.now(), nation=_nation(ctx))


async def more(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """The More button: today's full detail (every route, hours, last checked) for the same search."""
    text = msg.action_value or ctx.args
    found, what, area = await _answer(ctx, text)
    if isinstance(found, Reply):
        return found
    at = ctx.clock.now()
    lines = [duty_line(duty, _nation(ctx)) for duty in found.duties]
    where = f" in {area}" if area else ""
    if found.is_safe_default:
        lines.append(f"I'm not sure who handles '{what[:80]}'{where}. Here is where to start.")
    else:
        lines.append(f"Here's who can help with '{what[:80]}'{where}.")
    if found.results and found.results[0].team.hours_published and not found.results[0].open_now:
        best = found.results[0]
        lines.append(
            f"{best.team.name} is closed now; it opens at {moment_in_words(best.opens_at)}."
            if best.opens_at
            else f"{best.team.name} is closed now."
        )
        if best.fallback is not None:
            lines.append(fallback_line(best.fallback, at))
    lines.append(IMMEDIATE_DANGER if found.about == "child" else ADULT_DANGER)
    shown = (*found.results, *found.public)
    return Reply(text="\n".join(lines), sections=tuple(result_section(r, at=at) for r in shown))


async def find(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Answer 'find <what> [in <area>] [open now]', or a 'Find them' button."""
    text = (msg.action_value or "") if msg.action else ctx.args
    if not text.strip():
        return Reply(text="What are you looking for? For example: " + ", or ".join(EXAMPLES) + ".")
    return await search_reply(ctx, text)


async def free_text(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Treat text that matches no command as a directory search."""
    text = ctx.args
    said = text.lower().strip(" !.,")
    if said in _THANKS:
        return Reply(text="You're welcome. Type help if you need anything else.")
    if said in _GREETINGS:
        return Reply(
            text="Hello. Say what you need, like worried about a baby, or type help to see what I can do."
        )
    entry = lookup_exact(said) if said else None
    if entry is not None and not entry.find:
        # A bare process word ("core group", "ICPC", "CIN") is explained, not searched.
        return explain(entry)
    return await search_reply(ctx, text)


def register(router: Router) -> None:
    """Register find, its button and the free-text fallback."""
    router.command(
        "find",
        find,
        aliases=("search", "who", "lookup", "contact", "contacts", "directory"),
        summary="Find who to contact, how, and when you'll hear back.",
        usage="find <what> [in <area>] [open now]",
        details="Searches the directory by need, team, agency or abbreviation. Add 'in <area>' to narrow it, "
        "and 'open now' to show only services open now. You can also just type what you need.",
        examples=EXAMPLES,
    )
    router.action("find", find)
    router.action(MORE, more)
    router.fallback(free_text)
    router.phrase(
        r"(?:i'?m\s+|i\s+am\s+)?(?:looking\s+for|need\s+to\s+(?:contact|find|reach|speak\s+to))\s+(?P<args>.+)",
        "find",
    )
    router.phrase(
        r"(?:who\s+do\s+i\s+(?:contact|call|ring|speak\s+to|tell|refer\s+to)|where\s+do\s+i\s+refer)(?:\s+(?:about|for|re)?\s*(?P<args>.*))?",
        "find",
    )
    router.phrase(r"(?:how\s+do\s+i\s+(?:contact|reach|call|refer\s+to))\s+(?P<args>.+)", "find")
