"""Concern-first answers: who handles what the practitioner is worried about, shown only when confident.

A search is first mapped to the concerns it is about (directory/concern_match.py). Teams that handle one of
them first ("primary") rank above teams that also handle it; within each, teams in the person's nation,
then (when the person asked about out of hours) teams open now, then the words of the search, break ties.
Word matching alone answers searches that name no concern ("Ashgrove school DSL"), and finds teams nobody
has tagged yet; it counts as confident only when a team holds every word of the search. When nothing is
confident the answer is the safe default: the front door for a child (the adults' front door for an
adult), with its out-of-hours team when it is closed. Results are never padded to fill a list.
Services pulled from other publishers' feeds answer only as directory/answer_sources.py says: a neighbour's
routes when the search names it, public services alongside a signposting question.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlmodel import Session

from directory.answer_sources import (
    is_signposting,
    named_neighbour,
    neighbour_results,
    public_results,
    without_place,
)
from directory.concern_match import ConcernMatch
from directory.concerns import Concern, Duty
from directory.index import DirectoryIndex, current_index, words
from directory.search import EXAMPLE_QUERY, SearchResult, filter_mask, make_result, word_scores
from schedules.time.calendar import WorkingCalendar
from schedules.time.calendars import day_calendar
from storage.errors import InvalidInput

MAX_RESULTS = 3  # the recommended contact and at most two alternatives
_MAX_QUERY = 300
_POOL = 12  # how many of the best-ranked teams are checked for opening hours
_WORD_CONFIDENT = 0.999  # a word-only result must hold every word of the search...
_WORD_RELATIVE = 0.5  # ...and score at least half as well as the best one


@dataclass(frozen=True, slots=True)
class Answer:
    """What to tell a practitioner: confident results (best first), or the safe default."""

    results: tuple[SearchResult, ...]
    concerns: tuple[Concern, ...]  # what the search was taken to be about
    about: str  # "child" or "adult": whose safety the answer is about
    is_safe_default: bool
    duties: tuple[Duty, ...]
    reason: str  # one line: why the first result, e.g. "handles: private fostering"
    neighbour: str = ""  # the neighbour the search named, whose routes lead the results
    public: tuple[SearchResult, ...] = ()  # public family services from feeds: signposting, not a route


def _about(index: DirectoryIndex, text: str, matches: list[ConcernMatch]) -> str:
    kinds = {m.concern.about for m in matches}
    if kinds == {"adult"}:
        return "adult"
    if "child" in kinds:
        return "child"
    return "adult" if index.matcher.is_about_adult(text) else "child"


def _concern_ranking(
    index: DirectoryIndex,
    text: str,
    matches: list[ConcernMatch],
    allowed: np.ndarray,
    *,
    nation: str,
) -> list[tuple[int, int]]:
    """Return (position, tier) for teams handling the matched concerns: tier 2 primary, 1 also."""
    count = len(index.teams)
    tier = np.zeros(count, dtype=np.int8)
    for match in matches:
        also = index.concern_also.get(match.concern.id)
        if also is not None:
            tier[also] = np.maximum(tier[also], 1)
        primary = index.concern_primary.get(match.concern.id)
        if primary is not None:
            tier[primary] = 2
    tier = np.where(allowed, tier, 0)
    candidates = np.flatnonzero(tier > 0)
    if len(candidates) == 0:
        return []
    scored = word_scores(index, text, allowed)
    in_nation = (index.nations[candidates] == nation).astype(np.int8)
    order = np.lexsort((candidates, -scored.scores[candidates], -in_nation, -tier[candidates]))
    return [(int(candidates[i]), int(tier[candidates[i]])) for i in order[:_POOL]]


def _word_ranking(index: DirectoryIndex, text: str, allowed: np.ndarray) -> list[int]:
    """Return the teams whose words answer the search confidently, best first."""
    scored = word_scores(index, text, allowed)
    confident = np.flatnonzero((scored.coverage >= _WORD_CONFIDENT) & (scored.scores > 0))
    if len(confident) == 0:
        return []
    top = float(scored.scores[confident].max())
    confident = confident[scored.scores[confident] >= _WORD_RELATIVE * top]
    order = np.lexsort((confident, -scored.scores[confident]))
    return [int(confident[i]) for i in order[:_POOL]]


def _safe_default(
    index: DirectoryIndex, about: str, *, at: datetime, calendar: WorkingCalendar
) -> tuple[SearchResult, ...]:
    key = index.taxonomy.default_team(about)
    position = index.by_key.get(key)
    if position is None:
        position = index.by_key.get(index.taxonomy.default_team("child"))
    if position is None:
        return ()
    return (make_result(index, index.teams[position], 0.0, (), at, calendar),)


def answer(
    session: Session,
    text: str,
    *,
    at: datetime,
    calendar: WorkingCalendar | None = None,
    nation: str = "ENG",
    area: str | None = None,
    open_now: bool = False,
    prefer_open: bool = False,
) -> Answer:
    """Answer a search: the teams that handle its concerns, confident word matches, or the safe default.

    `open_now` shows only teams open now; `prefer_open` (the person asked about out of hours) puts open
    teams first and leads with a closed team's out-of-hours team.

    Raises:
        InvalidInput: the search is too long.
    """
    cleaned = " ".join(str(text or "").split())
    if len(cleaned) > _MAX_QUERY:
        raise InvalidInput("search", f"keep it under {_MAX_QUERY} characters", example=EXAMPLE_QUERY)
    # Opening hours come from each team; the calendar only says which days are bank holidays.
    cal = calendar or day_calendar(nation=nation)
    index = current_index(session, at=at)
    matches = index.matcher.match(cleaned) if cleaned else []
    about = _about(index, cleaned, matches)
    concerns = tuple(m.concern for m in matches)
    duties = tuple(dict.fromkeys(c.duty for c in concerns if c.duty is not None))
    open_at = at if open_now else None
    allowed = filter_mask(index, area=area, agency_kind=None, open_at=open_at, calendar=cal)
    public: tuple[SearchResult, ...] = ()
    if is_signposting(cleaned) and index.public_services.any():
        among = index.public_services
        public_allowed = filter_mask(
            index, area=area, agency_kind=None, open_at=open_at, calendar=cal, among=among
        )
        public = public_results(index, cleaned, allowed=public_allowed, at=at, calendar=cal)
    neighbour = named_neighbour(index, cleaned, area)
    if neighbour is not None:
        searched = without_place(index, cleaned, neighbour)
        found = neighbour_results(
            index, neighbour, searched, matches, about=about, at=at, calendar=cal, limit=MAX_RESULTS
        )
        if found:
            return Answer(
                results=found,
                concerns=concerns,
                about=about,
                is_safe_default=False,
                duties=duties,
                reason=f"you named {found[0].team.source.replace('-', ' ').title()}",
                neighbour=neighbour,
                public=public,
            )
    ranked: list[tuple[int, int]] = []
    if matches:
        ranked = _concern_ranking(index, cleaned, matches, allowed, nation=nation)
    reason = "handles: " + ", ".join(_label(m) for m in matches) if ranked else ""
    if not ranked and words(cleaned):
        ranked = [(position, 0) for position in _word_ranking(index, cleaned, allowed)]
        reason = "matches: " + cleaned[:60] if ranked else ""
    if not ranked and open_now:
        # Nothing that answers the search is open: show who does, closed, with its out-of-hours team,
        # rather than a weaker match that happens to be open.
        return answer(session, cleaned, at=at, calendar=cal, nation=nation, area=area, prefer_open=True)
    if not ranked:
        return Answer(
            results=_safe_default(index, about, at=at, calendar=cal),
            concerns=concerns,
            about=about,
            is_safe_default=True,
            duties=duties,
            reason="",
            public=public,
        )
    # Opening hours cost a little per team: work them out for the pool only when open teams go first.
    pool = ranked if prefer_open else ranked[:MAX_RESULTS]
    results = [make_result(index, index.teams[p], float(t), (), at, cal) for p, t in pool]
    if prefer_open:
        # Open teams first within each tier; the sort is stable, so the ranking holds otherwise.
        tiers = {r.team.id: t for (_, t), r in zip(pool, results, strict=True)}
        results.sort(key=lambda r: (-tiers[r.team.id], not r.open_now))
        fallback = results[0].fallback
        if not results[0].open_now and fallback is not None and fallback.open_now:
            # Asked about out of hours and the best team is closed: lead with who is open now.
            results = [r for r in results if r.team.id != fallback.team.id]
            results.insert(0, make_result(index, fallback.team, 0.0, (), at, cal))
    return Answer(
        results=tuple(results[:MAX_RESULTS]),
        concerns=concerns,
        about=about,
        is_safe_default=False,
        duties=duties,
        reason=reason,
        public=public,
    )


def _label(match: ConcernMatch) -> str:
    return match.concern.name
