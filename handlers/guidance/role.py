"""role <name> and "what does ASC do": plain-English explanations of roles, services and abbreviations.

The glossary is data (handlers/guidance/glossary.yaml), so an area can edit the wording without touching code.
A name the glossary doesn't know is treated as a directory search, so "what is the number for the front
door" still gets an answer.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from rapidfuzz import fuzz, process

from handlers.context import HandlerContext
from handlers.flow import prepend
from handlers.messages import Button, InboundMessage, Reply
from handlers.messages import Field as ReplyField
from handlers.router import Router

EXAMPLES = ("role lead professional", "what does ASC do", "what is a LADO")
_ARTICLE = re.compile(r"^(?:an?|the|my|your|our)\s+")
_TRAILING = re.compile(r"\s+(?:do|does|mean|means|stand for|stands for|is|are|for)$")


class Entry(BaseModel):
    """One glossary entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    term: str = Field(min_length=1)
    names: tuple[str, ...] = ()
    stands_for: str = ""
    what: str = Field(min_length=1)
    contact: str = ""
    find: str = ""
    need: str = ""  # what they will need from you
    wont: str = ""  # what they won't do


def normalise(text: str) -> str:
    """Lower-case a name and drop apostrophes, punctuation, articles and a trailing 'do' or 'mean'."""
    text = text.lower().replace("'", "").replace("’", "")
    text = " ".join(re.sub(r"[^\w&+\-]+", " ", text).split())
    text = _ARTICLE.sub("", text)
    return _TRAILING.sub("", text).strip()


@lru_cache(maxsize=1)
def glossary() -> tuple[Entry, ...]:
    """Load the glossary shipped with joinup."""
    raw = (resources.files("handlers.guidance") / "glossary.yaml").read_text(encoding="utf-8")
    return TypeAdapter(tuple[Entry, ...]).validate_python(yaml.safe_load(raw))


@lru_cache(maxsize=1)
def _index() -> dict[str, Entry]:
    index: dict[str, Entry] = {}
    for entry in glossary():
        for name in (entry.term, entry.stands_for, *entry.names):
            key = normalise(name)
            if key:
                index.setdefault(key, entry)
    return index


def lookup(name: str) -> Entry | None:
    """Find the entry for a name: exact first ('asc', 'adult social care'), then allowing small typos."""
    key = normalise(name)
    if not key:
        return None
    index = _index()
    if key in index:
        return index[key]
    if key.endswith("s") and key[:-1] in index:  # "health visitors", "DSLs"
        return index[key[:-1]]
    if len(key) < 4:  # "ASD" must not become "ASC"
        return None
    best = process.extractOne(key, list(index), scorer=fuzz.ratio, score_cutoff=85)
    return index[best[0]] if best is not None else None


def lookup_exact(name: str) -> Entry | None:
    """Find the entry for exactly this name (no typo tolerance: "section 42" must not become "s47")."""
    key = normalise(name)
    return _index().get(key) if key else None


def explain(entry: Entry) -> Reply:
    """Render one entry."""
    title = entry.term if not entry.stands_for else f"{entry.term}: {entry.stands_for}"
    if entry.stands_for and entry.stands_for.lower().startswith(entry.term.lower()):
        title = entry.stands_for
    labelled = (
        ("When to contact them", entry.contact),
        ("What they'll need from you", entry.need),
        ("What they won't do", entry.wont),
    )
    fields = tuple(ReplyField(label, value) for label, value in labelled if value)
    buttons = (Button("Find them in the directory", "find", entry.find),) if entry.find else ()
    return Reply(text=f"{title}\n{entry.what}", fields=fields, buttons=buttons)


def overview() -> Reply:
    """Say what role does and list some of the names it knows."""
    terms = ", ".join(sorted((e.term for e in glossary()), key=str.lower))
    return Reply(
        text="Tell me a role, service or abbreviation and I'll explain it in plain words. "
        f"For example: {EXAMPLES[0]}, or {EXAMPLES[1]}.\nI know: {terms}."
    )


async def show_role(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Explain a role, service or abbreviation; search the directory for anything else."""
    name = msg.action_value if msg.action else ctx.args
    if not name or not normalise(name):
        return overview()
    entry = lookup(name)
    if entry is not None:
        return explain(entry)
    note = f"I don't have an explanation of '{name[:60]}'. Type role to see the names I know."
    if ctx.dispatch is None:
        return Reply(text=note)
    # Anything else is probably a service: answer with a directory search, as free text would.
    search = InboundMessage(
        platform=msg.platform, sender_key=msg.sender_key, text=f"find {name}", address=msg.address
    )
    found = await ctx.dispatch(search)
    # A confident directory answer stands on its own; the safe default says first that we didn't know it.
    is_answer = any(b.action == "find_more" for b in found.buttons) and not found.text.startswith(
        "I'm not sure"
    )
    return found if is_answer else prepend(note, found)


def register(router: Router) -> None:
    """Register role and the natural ways of asking it."""
    router.command(
        "role",
        show_role,
        aliases=("explain", "define", "glossary", "whatis", "roles"),
        summary="Explain a role, service or abbreviation in plain words.",
        usage="role <name>",
        details="Works for job roles (lead professional, DSL), services (CAMHS, EDT) and abbreviations "
        "(ASC, NFA, ICPC). You can also ask: what does ASC do?",
        examples=EXAMPLES,
    )
    router.action("role", show_role)
    names = r"(?:an?\s+|the\s+)?(?P<args>.+?)"
    router.phrase(rf"what\s+(?:does|do|did)\s+{names}\s+(?:do|mean|stand\s+for|cover|handle)", "role")
    router.phrase(rf"what(?:'s|’s|\s+is|\s+are|s)\s+{names}(?:\s+for)?", "role")
    router.phrase(rf"who\s+(?:is|are)\s+{names}", "role")
    router.phrase(rf"(?:meaning\s+of|what\s+is\s+meant\s+by)\s+{names}", "role")
