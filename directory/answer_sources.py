"""Services pulled from other publishers' feeds, in answers: a named neighbour's routes and public services.

Rules (what a safeguarding lead would expect):
- The partnership's own professional routes answer by default; pulled services never do on their own.
- A neighbour's professional routes answer when the person names that neighbour ("front door in Millbridge",
  "a child from Millbridge"): they lead the answer, because the child's home authority is the one to
  contact, and the neighbour's out-of-hours team comes with them (a pulled feed cannot link a team to its
  out-of-hours team, so it is shown alongside). A neighbour is named by its source name or an area its
  services cover.
- Public family services from feeds answer signposting questions ("support", "group", "drop-in", early
  help) as extra lines, labelled as public services and never as a safeguarding route.
"""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import numpy.typing as npt

from directory.concern_match import ConcernMatch
from directory.index import DirectoryIndex, normalise, words
from directory.pull_store import OUT_OF_HOURS_CONCERN
from directory.search import SearchResult, make_result, word_scores
from schedules.time.calendar import WorkingCalendar

MAX_PUBLIC = 2
_PUBLIC_COVERAGE = 0.5  # a public service must hold at least half of the search's words
# Words that make a search a signposting question, answered with public services too.
_SIGNPOST_TEXT = (
    "support supports group groups drop dropin club clubs playgroup playgroups activities activity "
    "toddler toddlers parenting befriending foodbank foodbanks classes class course courses youth "
    "sessions session community centre centres hub hubs advice volunteer volunteering"
)
SIGNPOST_WORDS = frozenset(_SIGNPOST_TEXT.split())
_EARLY_HELP = re.compile(r"\bearly[\s-]+help\b", re.IGNORECASE)


def named_neighbour(index: DirectoryIndex, text: str, area: str | None) -> str | None:
    """The neighbour (a professional source) the search names by its name or an area it covers."""
    if area is not None:
        found = index.neighbour_places.get(normalise(area).strip())
        if found is not None:
            return found
    padded = f" {' '.join(re.findall(r'[a-z0-9]+', normalise(text)))} "
    for place, source in index.neighbour_places.items():
        if place and f" {place} " in padded:
            return source
    return None


def without_place(index: DirectoryIndex, text: str, source: str) -> str:
    """The search without the words naming the neighbour, so they don't count against its routes."""
    cleaned = normalise(text)
    for place, named in index.neighbour_places.items():
        if named == source and place:
            cleaned = re.sub(rf"\b(?:from|in|for|at)?\s*{re.escape(place)}\b", " ", cleaned)
    return " ".join(cleaned.split())


def is_signposting(text: str) -> bool:
    """Tell whether a search asks for support, a group, a drop-in or early help."""
    return bool(_EARLY_HELP.search(text)) or any(w in SIGNPOST_WORDS for w in words(text))


def neighbour_results(
    index: DirectoryIndex,
    source: str,
    text: str,
    matches: list[ConcernMatch],
    *,
    about: str,
    at: datetime,
    calendar: WorkingCalendar,
    limit: int,
) -> tuple[SearchResult, ...]:
    """A named neighbour's routes for the search: by concern, then by words, else its front door."""
    mask = index.neighbours.get(source)
    if mask is None:
        return ()
    tier = np.zeros(len(index.teams), dtype=np.int8)
    for match in matches:
        for table, value in ((index.concern_also, 1), (index.concern_primary, 2)):
            positions = table.get(match.concern.id)
            if positions is not None:
                tier[positions] = np.maximum(tier[positions], value)
    scored = word_scores(index, text, mask) if words(text) else None
    words_hit = scored.scores if scored is not None else np.zeros(len(index.teams))
    default = index.taxonomy.default_team(about)
    # A neighbour's front door: its team handling first the concern our own safe default handles first.
    # Among equally good concern matches it leads (the child's home authority is the one to contact).
    door = np.zeros(len(index.teams), dtype=np.int8)
    door_concerns = index.teams[index.by_key[default]].concerns if default in index.by_key else ()
    for concern_id in door_concerns[:1]:
        positions = index.concern_primary.get(concern_id)
        if positions is not None:
            door[positions] = 1
    tier = np.where(mask, tier, 0)
    door = np.where(mask, door, 0)
    candidates = np.flatnonzero((tier > 0) | (door > 0) | (words_hit > 0))
    order = np.lexsort((candidates, -words_hit[candidates], -door[candidates], -tier[candidates]))
    ranked = [int(candidates[i]) for i in order]
    ooh = index.concern_primary.get(OUT_OF_HOURS_CONCERN, np.zeros(0, dtype=np.int32))
    out_of_hours = [int(p) for p in ooh.tolist() if mask[p]]
    chosen = ranked[: max(limit - 1, 1)]
    results = [make_result(index, index.teams[p], 0.0, (), at, calendar) for p in chosen]
    lead_fallback = results[0].fallback.team.id if results and results[0].fallback is not None else None
    # The out-of-hours team is always shown: as the closed lead's fallback line, or as an alternative.
    extra = [p for p in out_of_hours if p not in chosen and index.teams[p].id != lead_fallback][:1]
    if lead_fallback is not None:
        results = [r for r in results if r.team.id != lead_fallback]
    results += [make_result(index, index.teams[p], 0.0, (), at, calendar) for p in extra]
    return tuple(results[:limit])


def public_results(
    index: DirectoryIndex, text: str, *, allowed: npt.NDArray[np.bool_], at: datetime,
    calendar: WorkingCalendar,
) -> tuple[SearchResult, ...]:  # fmt: skip
    """Public family services from feeds (among `allowed`) that answer a signposting question, best first."""
    if not is_signposting(text) or not allowed.any():
        return ()
    scored = word_scores(index, text, allowed)
    hits = np.flatnonzero((scored.coverage >= _PUBLIC_COVERAGE) & (scored.scores > 0))
    if len(hits) == 0:
        return ()
    order = np.lexsort((hits, -scored.scores[hits]))
    return tuple(
        make_result(index, index.teams[int(hits[i])], 0.0, (), at, calendar) for i in order[:MAX_PUBLIC]
    )
