"""find <what> [in <area>] [open now], and free text that matches no command: the directory search.

Searching never needs onboarding and never writes anything: a new person's first question is answered
straight away.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from directory.index import current_index
from directory.search import search
from handlers.context import HandlerContext
from handlers.find_render import IMMEDIATE_DANGER, fallback_line, result_section
from handlers.messages import Button, InboundMessage, Reply
from handlers.router import Router, clean_text
from schedules.calendar import NATIONS, WorkingCalendar

LIMIT = 3  # enough to choose from; each result is a full card
EXAMPLES = ("find health visitor", "find front door open now", "worried about a baby", "find CMHT in north")
_OPEN_NOW = re.compile(
    r"(?:^|\s+)(?:(?:that\s+is|that's|thats|which\s+is|who\s+(?:is|are))\s+)?"
    r"(?:open\s+(?:right\s+)?now|now\s+open|currently\s+open|open\s+today|available\s+now|open)$",
    re.IGNORECASE,
)
_OPEN_NOW_FIRST = re.compile(r"^(?:open\s+now|now\s+open)[:,]?\s+", re.IGNORECASE)
_AREA = re.compile(
    r"^(?P<what>.+?)\s+(?:in|for|covering|near)\s+(?:the\s+)?(?P<area>[\w'’\- ]+?)(?:\s+area)?$", re.I
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
            text, area = match.group("what").strip(), best
    return text, area, open_now


def _calendar(ctx: HandlerContext) -> WorkingCalendar:
    nation = ctx.person.nation if ctx.person.nation in NATIONS else ctx.settings.default_nation
    return WorkingCalendar(nation)


def _no_results(what: str, area: str | None, open_now: bool) -> Reply:
    where = f" in {area}" if area else ""
    if open_now:
        return Reply(
            text=f"Nothing for '{what[:80]}'{where} is open now. Type find {what[:80]} to see it with its "
            f"opening hours. {IMMEDIATE_DANGER} Out of hours, contact the emergency duty team.",
            buttons=(Button("Find out-of-hours services", "find", "emergency duty team"),),
        )
    return Reply(
        text=f"I couldn't find a service for '{what[:80]}'{where}. Try other words, like front door, "
        "health visitor or worried about a baby. Type help to see everything I can do.",
        buttons=(Button("Help", "help", ""),),
    )


async def search_reply(ctx: HandlerContext, text: str) -> Reply:
    """Search the directory for `text` (which may say 'in <area>' and 'open now') and render the results.

    Raises:
        InvalidInput: the search is too long.
    """
    what, area, open_now = parse_find(text, known_areas(ctx))
    if not what:
        return Reply(text="What are you looking for? For example: " + ", or ".join(EXAMPLES[:3]) + ".")
    at = ctx.clock.now()
    with ctx.sessions() as session:
        results = search(
            session, what, at=at, calendar=_calendar(ctx), area=area, open_now=open_now, limit=LIMIT
        )
    if not results:
        return _no_results(what, area, open_now)
    sections = [result_section(result, at=at) for result in results]
    best = results[0]
    where = f" in {area}" if area else ""
    now = ", open now" if open_now else ""
    lead = f"Here's who can help with '{what[:80]}'{where}{now}."
    if not best.open_now:
        lead += f" {best.team.name} is closed now."
        fallback = best.fallback
        if fallback is not None:
            lead += f" {fallback_line(fallback, at)}"
        lead += f" {IMMEDIATE_DANGER}"
    return Reply(text=lead, sections=tuple(sections))


async def find(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Answer 'find <what> [in <area>] [open now]', or a 'Find them' button."""
    text = (msg.action_value or "") if msg.action else ctx.args
    if not text.strip():
        return Reply(text="What are you looking for? For example: " + ", or ".join(EXAMPLES) + ".")
    return await search_reply(ctx, text)


async def free_text(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Treat text that matches no command as a directory search."""
    text = clean_text(msg.text)
    said = text.lower().strip(" !.,")
    if said in _THANKS:
        return Reply(text="You're welcome. Type help if you need anything else.")
    if said in _GREETINGS:
        return Reply(
            text="Hello. Say what you need, like worried about a baby, or type help to see what I can do."
        )
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
