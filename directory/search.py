"""Who do I contact about this? Fuzzy, synonym-aware search over the directory, with open-now answers.

Ranking, in order: each query word (and each synonym it brings in) is matched against the directory's
words exactly, by prefix, or by spelling similarity (rapidfuzz), weighted by where the word appears in a
team (name, what it handles, purpose, agency, routes) and how rare it is; teams matching more of the query
rank higher, and a close match to a whole phrase a team handles earns a bonus. Ties go to the team name,
then its key, so the order is stable. The score (0-100) and the words that matched explain each result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from sqlmodel import Session, col, func, select

from directory import hours as team_hours
from directory.cards import PUBLIC
from directory.index import DirectoryIndex, RouteInfo, TeamInfo, current_index, normalise, words
from directory.offered import offered, public_service_note
from schedules.time.calendar import WorkingCalendar
from schedules.time.calendars import day_calendar
from storage.errors import InvalidInput, NotFound
from storage.models import Team

DANGER_NOTE = "If a child is in immediate danger call 999."
EXAMPLE_QUERY = "find worried about a baby"
_SYNONYM_WEIGHT = 0.8
_FUZZY_CUTOFF = 80
_CANDIDATES = 40
_MAX_QUERY = 300


@dataclass(frozen=True, slots=True)
class Fallback:
    """Who to contact instead while a team is closed (its out-of-hours team)."""

    team: TeamInfo
    open_now: bool
    opens_at: datetime | None


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One team that answers the query, with how to reach it and whether it is open now."""

    team: TeamInfo
    score: float  # 0-100, for debug output and tests; not for people
    matched: tuple[str, ...]  # the directory words that matched, to explain the ranking
    open_now: bool
    opens_at: datetime | None  # when it next opens (equal to `at` when open now)
    closes_at: datetime | None  # when it next closes, if open now
    hours_text: str
    is_stale: bool
    fallback: Fallback | None  # set when the team is closed and has an out-of-hours team
    danger_note: str | None  # the 999 line, when closed or when the team carries it

    @property
    def name(self) -> str:
        return self.team.name

    @property
    def agency(self) -> str:
        return self.team.agency_name

    @property
    def routes(self) -> tuple[RouteInfo, ...]:
        return self.team.routes


def expectation_text(route: RouteInfo) -> str:
    """Say what response to expect from a route, e.g. 'acknowledged within 4 working hours; ...'."""

    def amount(number: int, unit: str) -> str:
        word = "working hour" if unit == "working_hours" else "working day"
        return f"{number} {word}{'' if number == 1 else 's'}"

    parts = []
    if route.ack_expected is not None:
        parts.append(f"acknowledged within {amount(route.ack_expected, route.ack_unit)}")
    if route.response_expected is not None:
        parts.append(f"response within {amount(route.response_expected, route.response_unit)}")
    return "; ".join(parts)


def _expand(index: DirectoryIndex, query_words: list[str]) -> list[tuple[str, float, str]]:
    """Return (word, weight, source) for the query words plus the words their synonyms bring in."""
    expanded = [(w, 1.0, w) for w in query_words]
    seen = set(query_words)
    for size in (3, 2, 1):
        for start in range(len(query_words) - size + 1):
            term = " ".join(query_words[start : start + size])
            for means in index.synonyms.get(term, ()):
                for word in words(means):
                    if word not in seen:
                        seen.add(word)
                        expanded.append((word, _SYNONYM_WEIGHT, term))
    return expanded


def _similar(index: DirectoryIndex, word: str) -> tuple[tuple[str, float], ...]:
    """Directory words matching `word`: exactly (1.0), by prefix (0.9) or by spelling (up to 0.85)."""
    cached = index.word_cache.get(word)
    if cached is not None:
        return cached
    found: dict[str, float] = {}
    if word in index.postings:
        found[word] = 1.0
    if len(word) >= 3:
        for other in index.vocabulary[_bisect(index.vocabulary, word) :]:
            if not other.startswith(word):
                break
            found.setdefault(other, 0.9)
    if len(word) >= 4:
        for other, score, _ in process.extract(
            word, index.vocabulary, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF, limit=4
        ):
            found.setdefault(other, 0.85 * score / 100)
    result = tuple(sorted(found.items(), key=lambda item: -item[1]))
    if len(index.word_cache) < 10_000:
        index.word_cache[word] = result
    return result


def _bisect(items: list[str], value: str) -> int:
    low, high = 0, len(items)
    while low < high:
        middle = (low + high) // 2
        if items[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low


def filter_mask(
    index: DirectoryIndex,
    *,
    area: str | None,
    agency_kind: str | None,
    open_at: datetime | None,
    calendar: WorkingCalendar,
    among: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.bool_]:
    """Which teams the filters allow: the area (teams naming no area cover everywhere), the kind, open now.

    Only the partnership's own teams unless `among` says which teams to consider (a named neighbour's
    routes, or public services from feeds): pulled services never answer as a safeguarding route by default.
    """
    allowed = (index.own if among is None else among).copy()
    if area:
        in_area = index.areas.get(normalise(area).strip())
        allowed &= index.no_areas if in_area is None else (index.no_areas | in_area)
    if agency_kind:
        allowed &= index.kinds == agency_kind
    if open_at is not None:
        shape_open = np.array(
            [team_hours.is_open(t, open_at, calendar=calendar) for t in index.shapes], dtype=np.bool_
        )
        allowed &= shape_open[index.shape_of] if len(index.shapes) else allowed
    return allowed


@dataclass(frozen=True, slots=True)
class WordScores:
    """Every team's word-match score for a search, and the share of the search's words it covers."""

    scores: npt.NDArray[np.float64]  # 0 where a filter excludes the team
    coverage: npt.NDArray[np.float64]  # 0-1
    matched: tuple[str, ...]  # the directory words that matched, in any team


def word_scores(index: DirectoryIndex, text: str, allowed: npt.NDArray[np.bool_]) -> WordScores:
    """Score every team by the words of `text` (and the synonyms they bring in) found in it."""
    query_words = words(text) or [w for w in normalise(text).split() if w]
    expanded = _expand(index, query_words)
    count = len(index.teams)
    scores = np.zeros(count)
    covered = {word: np.zeros(count, dtype=np.bool_) for word in query_words}
    matched_words: list[str] = []
    for word, weight, source in expanded:
        best = np.zeros(count)
        for other, quality in _similar(index, word):
            posting = index.postings[other]
            values = posting.weights * (quality * weight * index.idf[other])
            best[posting.positions] = np.maximum(best[posting.positions], values)
            matched_words.append(other)
        hit = best > 0
        scores += best
        for part in source.split():
            if part in covered:
                covered[part] |= hit
    coverage = sum((c.astype(np.float64) for c in covered.values()), np.zeros(count)) / max(len(covered), 1)
    final = np.where(allowed, scores * (0.4 + 0.6 * coverage), 0.0)
    return WordScores(scores=final, coverage=coverage, matched=tuple(sorted(set(matched_words))))


def _rank(
    index: DirectoryIndex, text: str, allowed: npt.NDArray[np.bool_], limit: int
) -> list[tuple[int, float, tuple[str, ...]]]:
    scored = word_scores(index, text, allowed)
    final = scored.scores
    candidates = np.flatnonzero(final > 0)
    if len(candidates) > _CANDIDATES:
        # The best by score, ties going to the lower position (teams are sorted by name, then key).
        # Partition first (linear), keeping every tie at the cut, then sort only that pool.
        cut = final[candidates[np.argpartition(-final[candidates], _CANDIDATES - 1)[:_CANDIDATES]]].min()
        pool = candidates[final[candidates] >= cut]
        order = np.lexsort((pool, -final[pool]))
        candidates = pool[order[:_CANDIDATES]]
    phrase = normalise(text).strip()
    results = []
    for position in candidates.tolist():
        closest = process.extractOne(phrase, index.phrases[position], scorer=fuzz.token_set_ratio)
        best_phrase = closest[1] if closest else 0.0
        bonus = 1.0 + (0.5 * (best_phrase - 85) / 15 if best_phrase >= 85 else 0.0)
        results.append((position, float(final[position]) * bonus))
    if not results:
        return []
    top = max(score for _, score in results) or 1.0
    results.sort(key=lambda item: (-item[1], item[0]))
    return [
        (
            position,
            round(100 * score / top, 1),
            tuple(w for w in scored.matched if _in_posting(index, w, position)),
        )
        for position, score in results[:limit]
    ]


def _in_posting(index: DirectoryIndex, word: str, position: int) -> bool:
    positions = index.postings[word].positions
    found = int(np.searchsorted(positions, position))
    return found < len(positions) and int(positions[found]) == position


def make_result(
    index: DirectoryIndex,
    team: TeamInfo,
    score: float,
    matched: tuple[str, ...],
    at: datetime,
    calendar: WorkingCalendar,
) -> SearchResult:
    open_now = team_hours.is_open(team, at, calendar=calendar)
    fallback = None
    if not open_now and team.out_of_hours_team_id is not None and team.out_of_hours_team_id in index.by_id:
        other = index.teams[index.by_id[team.out_of_hours_team_id]]
        other_open = team_hours.is_open(other, at, calendar=calendar)
        fallback = Fallback(
            team=other, open_now=other_open, opens_at=team_hours.next_open(other, at, calendar=calendar)
        )
    return SearchResult(
        team=team,
        score=score,
        matched=matched,
        open_now=open_now,
        opens_at=team_hours.next_open(team, at, calendar=calendar),
        closes_at=team_hours.closes_at(team, at, calendar=calendar) if open_now else None,
        hours_text=team_hours.describe_hours(team),
        is_stale=team.is_stale(at),
        fallback=fallback,
        danger_note=DANGER_NOTE if (not open_now or team.is_immediate_danger) else None,
    )


def search(
    session: Session,
    text: str,
    *,
    at: datetime,
    calendar: WorkingCalendar | None = None,
    area: str | None = None,
    agency_kind: str | None = None,
    open_now: bool = False,
    limit: int = 5,
) -> list[SearchResult]:
    """Return the teams that best answer `text`, best first (an empty list when nothing matches).

    Raises:
        InvalidInput: the search is empty or too long.
    """
    cleaned = " ".join(str(text or "").split())
    if not cleaned:
        raise InvalidInput("search", "tell me what you need, in a few words", example=EXAMPLE_QUERY)
    if len(cleaned) > _MAX_QUERY:
        raise InvalidInput("search", f"keep it under {_MAX_QUERY} characters", example=EXAMPLE_QUERY)
    cal = calendar or day_calendar(nation="ENG")
    index = current_index(session, at=at)
    allowed = filter_mask(
        index, area=area, agency_kind=agency_kind, open_at=at if open_now else None, calendar=cal
    )
    return [
        make_result(index, index.teams[position], score, matched, at, cal)
        for position, score, matched in _rank(index, cleaned, allowed, limit)
    ]


def team_info(session: Session, team_id: int, *, at: datetime) -> TeamInfo:
    """Return the search card for one team.

    Raises:
        NotFound: there is no such team.
    """
    index = current_index(session, at=at)
    if team_id not in index.by_id:
        raise NotFound("team", str(team_id))
    return index.teams[index.by_id[team_id]]


def resolve_team(*, session: Session, text: str) -> Team:
    """Find the team someone named by its id, its name, or a clearly closest spelling.

    Own teams are found any of those ways; a neighbour's route only by its exact id or name; a public
    service from a feed never (it is for signposting, not a team one refers to).

    Raises:
        InvalidInput: no name was given.
        NotFound: nothing matches clearly; `hint` lists the closest teams.
    """
    wanted = " ".join(str(text or "").split())
    if not wanted:
        raise InvalidInput("team", "name the team, by its id or its name", example="front-door")
    named = (col(Team.key) == wanted.lower()) | (func.lower(col(Team.name)) == wanted.lower())
    exact = session.exec(select(Team).where(named).order_by(col(Team.source))).first()
    if exact is not None:
        if exact.retired_at is not None:
            raise NotFound("team", wanted, hint=f"{exact.name}: its feed stopped publishing it.")
        if exact.source_kind == PUBLIC:
            raise NotFound("team", wanted, hint=public_service_note(exact))
        return exact
    # Only the partnership's own teams are found from a spelling or suggested (see directory/offered.py).
    teams = session.exec(select(Team.id, Team.key, Team.name).where(offered())).all()
    target = normalise(wanted)
    # A close spelling of one team's name or id is accepted; otherwise the nearest few are suggested.
    spelled = sorted(
        ((max(fuzz.ratio(target, normalise(name)), fuzz.ratio(target, key.replace("-", " "))), team_id)
         for team_id, key, name in teams),
        reverse=True,
    )  # fmt: skip
    if spelled and spelled[0][0] >= 88 and (len(spelled) == 1 or spelled[1][0] < spelled[0][0] - 5):
        found = session.get(Team, spelled[0][1])
        if found is not None:
            return found
    choices = {team_id: f"{key.replace('-', ' ')} {normalise(name)}" for team_id, key, name in teams}
    matches = process.extract(target, choices, scorer=fuzz.WRatio, limit=3, score_cutoff=60)
    names = {team_id: (key, name) for team_id, key, name in teams}
    suggestions = ", ".join(f"{names[m[2]][1]} ({names[m[2]][0]})" for m in matches)
    raise NotFound("team", wanted, hint=f"Did you mean: {suggestions}?" if suggestions else "")
