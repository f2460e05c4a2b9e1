"""A read-only snapshot of the directory for fast search: team cards plus an inverted word index.

Building it reads every agency, team, route and synonym once; searches then never touch the database.
Any write to the directory makes the next search rebuild: at once in the process that wrote, and within about
a second on every other process, which checks the database's directory version (directory/freshness.py).
Postings are numpy arrays so a query scores every team in a few vectorised steps.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, Text, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from directory import freshness
from directory.cards import PROFESSIONAL, EscalationInfo, RouteInfo, TeamInfo
from directory.concern_match import ConcernMatcher, matcher_for
from directory.concerns import Taxonomy, active_taxonomy
from directory.freshness import bump_generation
from storage.models import Agency, ContactRoute, EscalationContact, Synonym, Team

__all__ = [
    "DirectoryIndex",
    "EscalationInfo",
    "RouteInfo",
    "TeamInfo",
    "bump_generation",
    "current_index",
    "normalise",
    "words",
]

# Field weights: a word in the team's name counts most, then what it handles, then the rest.
WEIGHTS = {"name": 3.0, "handles": 2.5, "synonym": 2.0, "purpose": 1.5, "agency": 1.0, "route": 1.0}
_WORD = re.compile(r"[a-z0-9&]+")
_STOPWORDS_TEXT = (
    "a an and the of for to in on at is are am i im my we our about with who do does how can "
    "someone somebody need needs want what which contact call phone get number numbers details please"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_lock = threading.Lock()


log = logging.getLogger(__name__)
_POSSESSIVE = re.compile(r"'s\b|'")


def normalise(text: str) -> str:
    """Lower-case, straighten apostrophes and drop possessive 's, so "Children’s" matches "children"."""
    return _POSSESSIVE.sub("", text.lower().replace("’", "'").replace("‘", "'"))


def words(text: str) -> list[str]:
    """Split text into search words, without stopwords."""
    return [w for w in _WORD.findall(normalise(text)) if w not in STOPWORDS]


@lru_cache(maxsize=65_536)
def _field_words(text: str) -> frozenset[str]:
    return frozenset(words(text))


@lru_cache(maxsize=16_384)
def _handle_phrases(handles: str) -> tuple[str, ...]:
    return tuple(p for p in (normalise(item).strip() for item in handles.split(";")) if p)


@lru_cache(maxsize=16_384)
def _shared_weights(handles: str, purpose: str, route: str) -> dict[str, tuple[float, float]]:
    """Each word's (best, total) field weight from the fields teams often share (cached per distinct text)."""
    seen: dict[str, tuple[float, float]] = {}
    for name, text in (("handles", handles), ("purpose", purpose), ("route", route)):
        weight = WEIGHTS[name]
        for word in _field_words(text):
            best, total = seen.get(word, (0.0, 0.0))
            seen[word] = (max(best, weight), total + weight)
    return seen


@dataclass(slots=True)
class Posting:
    """The teams a word appears in (positions) and its weight in each."""

    positions: npt.NDArray[np.int32]
    weights: npt.NDArray[np.float64]


@dataclass(slots=True)
class DirectoryIndex:
    """Team cards, the words in them, and the synonyms, ready to search."""

    teams: list[TeamInfo]  # sorted by name then key: a lower position wins a tie
    by_id: dict[int, int]
    postings: dict[str, Posting]
    idf: dict[str, float]
    vocabulary: list[str]
    synonyms: dict[str, tuple[str, ...]]
    phrases: list[tuple[str, ...]]  # per team: its name and what it handles, normalised
    areas: dict[str, npt.NDArray[np.bool_]]  # normalised area → teams that name it
    no_areas: npt.NDArray[np.bool_]  # teams that name no area (they cover everywhere)
    kinds: npt.NDArray[np.str_]  # each team's agency kind
    shapes: list[TeamInfo]  # one team per distinct set of opening hours
    shape_of: npt.NDArray[np.int32]  # each team's position in `shapes`
    taxonomy: Taxonomy
    matcher: ConcernMatcher
    by_key: dict[str, int]
    # concern id → positions of the teams that handle it first, and that also handle it
    concern_primary: dict[str, npt.NDArray[np.int32]]
    concern_also: dict[str, npt.NDArray[np.int32]]
    untagged: npt.NDArray[np.bool_]  # teams with no concerns tagged: word search still finds them
    nations: npt.NDArray[np.str_]  # each team's nation
    # Where each team came from: the partnership's own teams, public services pulled from feeds, and each
    # neighbour's professional routes (by source name), with the places that name a neighbour.
    own: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    public_services: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    neighbours: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)
    neighbour_places: dict[str, str] = field(default_factory=dict)  # normalised place → source name
    generation: int = 0
    version: int = 0  # the database's directory version when built (see directory/freshness.py)
    built_at: float = 0.0  # time.monotonic() when built
    checked_at: float = 0.0  # time.monotonic() when the database's version was last compared
    word_cache: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=dict)


_TEAM_COLUMNS: tuple[Any, ...] = (
    Team.id, Team.key, Team.uuid, Team.agency_id, Team.name, Team.purpose, Team.handles, Team.not_for,
    type_coerce(Team.areas, Text).label("areas"), type_coerce(Team.hours, Text).label("hours"),
    Team.is_open_bank_holidays, type_coerce(Team.closure_days, Text).label("closure_days"), Team.out_of_hours_team_id,
    Team.nation, Team.owner_handle, Team.contact_person_handle, Team.last_verified_at,
    Team.review_interval_days, Team.is_public, Team.is_immediate_danger,
    type_coerce(Team.concerns_primary, Text).label("concerns_primary"),
    type_coerce(Team.concerns_also, Text).label("concerns_also"),
    Team.hours_published, Team.source, Team.source_kind, Team.source_pulled_at, Team.base_address,
)  # fmt: skip
_ROUTE_COLUMNS: tuple[Any, ...] = (
    ContactRoute.team_id, ContactRoute.key, ContactRoute.kind, ContactRoute.value, ContactRoute.label,
    ContactRoute.when_to_use, ContactRoute.how_to_leave_message, ContactRoute.ack_expected, ContactRoute.ack_unit,
    ContactRoute.response_expected, ContactRoute.response_unit, ContactRoute.priority, ContactRoute.is_public,
)  # fmt: skip


def _json_tuple(value: Any) -> tuple[str, ...]:
    """A JSON list column: raw text (SQLite, decoded through a cache) or already decoded (psycopg)."""
    if isinstance(value, str):
        return _decode_tuple(value)
    return tuple(value or ())


def _json_hours(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return _decode_hours(value)
    return dict(value or {})


@lru_cache(maxsize=4_096)
def _decode_tuple(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text) or ())


@lru_cache(maxsize=4_096)
def _decode_hours(text: str) -> dict[str, Any]:
    # Shared between teams with the same hours: the index only reads it.
    return dict(json.loads(text) or {})


def _load_teams(session: Session) -> list[TeamInfo]:
    # Plain column rows, not model objects: building thousands of models is the slow part of a rebuild.
    agencies = {
        row[0]: row[1:] for row in session.exec(select(Agency.id, Agency.key, Agency.name, Agency.kind))
    }
    routes: dict[int, list[RouteInfo]] = defaultdict(list)
    # A pulled service's unpublished route is one its feed dropped, kept only for a tracked item's history.
    pulled = sa_select(col(Team.id)).where(col(Team.source) != "")
    shown = sa_select(*_ROUTE_COLUMNS).where(
        col(ContactRoute.is_public) | col(ContactRoute.team_id).not_in(pulled)
    )
    for row in session.execute(shown):
        routes[row[0]].append(RouteInfo(*row[1:]))
    escalation: dict[int, list[EscalationInfo]] = defaultdict(list)
    query = sa_select(
        *(col(c) for c in (EscalationContact.team_id, EscalationContact.level, EscalationContact.role_title,
                           EscalationContact.route_kind, EscalationContact.route_value))
    )  # fmt: skip
    for row in session.execute(query):
        escalation[row[0]].append(EscalationInfo(*row[1:]))
    teams = []
    # Services pulled from neighbours' feeds are in the index too, marked with their source: search decides
    # when they may answer, and every answer showing one says where it came from.
    # A retired one (its source no longer publishes it) is kept for history but never answers.
    every = (
        sa_select(*_TEAM_COLUMNS)
        .where(col(Team.retired_at).is_(None))
        .order_by(col(Team.name), col(Team.key))
    )
    for t in session.execute(every):
        agency_key, agency_name, agency_kind = agencies[t.agency_id]
        teams.append(
            TeamInfo(
                id=t.id, key=t.key, uuid=t.uuid, name=t.name, agency_key=agency_key, agency_name=agency_name,
                agency_kind=agency_kind, purpose=t.purpose, handles=t.handles, not_for=t.not_for,
                areas=_json_tuple(t.areas), hours=_json_hours(t.hours), is_open_bank_holidays=t.is_open_bank_holidays,
                closure_days=_json_tuple(t.closure_days), out_of_hours_team_id=t.out_of_hours_team_id,
                nation=t.nation, owner_handle=t.owner_handle, contact_person_handle=t.contact_person_handle,
                last_verified_at=t.last_verified_at, review_interval_days=t.review_interval_days,
                is_public=t.is_public, is_immediate_danger=t.is_immediate_danger,
                concerns=_json_tuple(t.concerns_primary), also_concerns=_json_tuple(t.concerns_also),
                routes=tuple(sorted(routes.get(t.id, []), key=lambda r: (r.priority, r.key))),
                escalation=tuple(sorted(escalation.get(t.id, []), key=lambda e: (e.level, e.role_title))),
                hours_published=t.hours_published, source=t.source, source_kind=t.source_kind,
                source_pulled_at=t.source_pulled_at, base_address=t.base_address,
            )
        )  # fmt: skip
    return teams


def build_index(session: Session) -> DirectoryIndex:
    """Read the whole directory into a fresh index."""
    generation = freshness.generation()
    version = freshness.read_version(session)
    teams = _load_teams(session)
    synonyms: dict[str, list[str]] = defaultdict(list)
    for term, means in session.exec(select(Synonym.term, Synonym.means).order_by(col(Synonym.id))):
        synonyms[" ".join(words(term)) or normalise(term)].append(means)
    raw: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
    phrases: list[tuple[str, ...]] = []
    area_lists: dict[str, list[int]] = defaultdict(list)
    shape_ids: dict[str, int] = {}
    shapes: list[TeamInfo] = []
    shape_of: list[int] = []
    for position, team in enumerate(teams):
        route_text = " ".join(f"{r.label} {r.when_to_use}" for r in team.routes)
        # A word's weight in a team: its best field counts in full, each other field it is in adds a little.
        seen = dict(_shared_weights(team.handles, team.purpose, route_text))
        for field_name, text in (
            ("agency", team.agency_name),
            ("name", f"{team.name} {team.key.replace('-', ' ')}"),
        ):
            weight = WEIGHTS[field_name]
            for word in _field_words(text):
                best, total = seen.get(word, (0.0, 0.0))
                seen[word] = (max(best, weight), total + weight)
        for word, (best, total) in seen.items():
            hits = raw[word]
            hits[0].append(position)
            hits[1].append(best + 0.3 * (total - best))
        phrases.append((normalise(team.name), *_handle_phrases(team.handles)))
        for area in team.areas:
            area_lists[normalise(area).strip()].append(position)
        shape = repr((sorted(team.hours.items()), team.is_open_bank_holidays, team.closure_days, team.nation))
        if shape not in shape_ids:
            shape_ids[shape] = len(shapes)
            shapes.append(team)
        shape_of.append(shape_ids[shape])
    count = len(teams)
    primary: dict[str, list[int]] = defaultdict(list)
    also: dict[str, list[int]] = defaultdict(list)
    for position, team in enumerate(teams):
        for concern_id in team.concerns:
            primary[concern_id].append(position)
        for concern_id in team.also_concerns:
            if concern_id not in team.concerns:
                also[concern_id].append(position)
    taxonomy = active_taxonomy(session)
    postings = {
        word: Posting(np.array(hits[0], dtype=np.int32), np.array(hits[1], dtype=np.float64))
        for word, hits in raw.items()
    }
    areas = {}
    for area, members in area_lists.items():
        mask = np.zeros(count, dtype=np.bool_)
        mask[members] = True
        areas[area] = mask
    neighbours: dict[str, npt.NDArray[np.bool_]] = {}
    places: dict[str, str] = {}
    for position, team in enumerate(teams):
        if team.source and team.source_kind == PROFESSIONAL:
            if team.source not in neighbours:
                neighbours[team.source] = np.zeros(count, dtype=np.bool_)
                places[normalise(team.source.replace("-", " ")).strip()] = team.source
            neighbours[team.source][position] = True
            for area in team.areas:
                places.setdefault(normalise(area).strip(), team.source)
    return DirectoryIndex(
        own=np.array([not team.source for team in teams], dtype=np.bool_),
        public_services=np.array([team.is_public_service for team in teams], dtype=np.bool_),
        neighbours=neighbours,
        neighbour_places=places,
        teams=teams,
        by_id={team.id: position for position, team in enumerate(teams)},
        postings=postings,
        idf={word: math.log(1 + max(count, 1) / len(p.positions)) for word, p in postings.items()},
        vocabulary=sorted(postings),
        synonyms={term: tuple(means) for term, means in synonyms.items()},
        phrases=phrases,
        areas=areas,
        no_areas=np.array([not team.areas for team in teams], dtype=np.bool_),
        kinds=np.array([team.agency_kind for team in teams], dtype=np.str_),
        shapes=shapes,
        shape_of=np.array(shape_of, dtype=np.int32),
        taxonomy=taxonomy,
        matcher=matcher_for(taxonomy),
        by_key={team.key: position for position, team in enumerate(teams)},
        concern_primary={k: np.array(v, dtype=np.int32) for k, v in primary.items()},
        concern_also={k: np.array(v, dtype=np.int32) for k, v in also.items()},
        untagged=np.array([not (t.concerns or t.also_concerns) for t in teams], dtype=np.bool_),
        nations=np.array([team.nation for team in teams], dtype=np.str_),
        generation=generation,
        version=version,
    )


_cache: weakref.WeakKeyDictionary[Engine, DirectoryIndex] = weakref.WeakKeyDictionary()
_building: weakref.WeakSet[Engine] = weakref.WeakSet()
# From this many teams a stale index is rebuilt in the background while searches use the previous one.
BACKGROUND_REBUILD_TEAMS = 3_000


def current_index(session: Session, *, at: datetime) -> DirectoryIndex:
    """Return the cached index for this database, rebuilding it if the directory changed here or elsewhere.

    A small directory is rebuilt at once, so an edit shows in the very next search (on another replica, within
    a second). A large one (thousands of teams, seconds to rebuild) keeps answering from the previous index
    while a background thread builds the new one. `at` is accepted for callers' convenience; freshness never
    depends on the (fake) clock.
    """
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    cached = _cache.get(engine)
    if cached is not None and cached.generation == freshness.generation():
        now = time.monotonic()
        if now - cached.checked_at < freshness.VERSION_CHECK_SECONDS:
            return cached
        cached.checked_at = now
        if freshness.read_version(session) == cached.version:
            return cached
    if (
        cached is not None
        and len(cached.teams) >= BACKGROUND_REBUILD_TEAMS
        and engine.url.database not in (None, "", ":memory:")
    ):
        _rebuild_in_background(engine)
        return cached
    return _store(engine, build_index(session))


def _store(engine: Engine, index: DirectoryIndex) -> DirectoryIndex:
    index.built_at = index.checked_at = time.monotonic()
    with _lock:
        _cache[engine] = index
        _building.discard(engine)
    return index


def _rebuild_in_background(engine: Engine) -> None:
    with _lock:
        if engine in _building:
            return
        _building.add(engine)

    def rebuild() -> None:
        try:
            with Session(engine) as session:
                _store(engine, build_index(session))
        except Exception:
            log.exception("rebuilding the directory search index failed; the previous index stays in use")
            with _lock:
                _building.discard(engine)

    threading.Thread(target=rebuild, name="directory-index", daemon=True).start()
