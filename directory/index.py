"""A read-only snapshot of the directory for fast search: team cards plus an inverted word index.

Building it reads every agency, team, route and synonym once; searches then never touch the database
except for a cheap check that the directory has not changed (row counts and highest ids, plus a
generation number bumped by every write in this process, and a maximum age for writes made elsewhere).
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, func
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from storage.models import Agency, ContactRoute, EscalationContact, Synonym, Team

# Field weights: a word in the team's name counts most, then what it handles, then the rest.
WEIGHTS = {"name": 3.0, "handles": 2.5, "synonym": 2.0, "purpose": 1.5, "agency": 1.0, "route": 1.0}
MAX_AGE = timedelta(minutes=5)
_WORD = re.compile(r"[a-z0-9&]+")
_STOPWORDS_TEXT = (
    "a an and the of for to in on at is are am i im my we our about with who do does how can "
    "someone somebody need needs want what which contact call phone get"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_generation = 0
_lock = threading.Lock()


def bump_generation() -> None:
    """Tell searches in this process that the directory changed (imports and verifications call this)."""
    global _generation
    with _lock:
        _generation += 1


_DIRECTORY_MODELS = (Agency, Team, ContactRoute, EscalationContact, Synonym)


@event.listens_for(OrmSession, "after_flush")
def _changed_on_flush(session: OrmSession, _context: Any) -> None:
    """Any write to the directory, by any code in this process, makes the next search rebuild."""
    if any(isinstance(o, _DIRECTORY_MODELS) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info["directory_changed"] = True
        bump_generation()


@event.listens_for(OrmSession, "after_commit")
def _changed_on_commit(session: OrmSession) -> None:
    if session.info.pop("directory_changed", False):
        bump_generation()


def normalise(text: str) -> str:
    """Lower-case, straighten apostrophes and drop possessive 's, so "Children’s" matches "children"."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    return re.sub(r"'s\b|'", "", text)


def words(text: str) -> list[str]:
    """Split text into search words, without stopwords."""
    return [w for w in _WORD.findall(normalise(text)) if w not in STOPWORDS]


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """One way to reach a team, as a search result shows it."""

    key: str
    kind: str
    value: str
    label: str
    when_to_use: str
    how_to_leave_message: str
    ack_expected: int | None
    ack_unit: str
    response_expected: int | None
    response_unit: str
    priority: int
    is_public: bool


@dataclass(frozen=True, slots=True)
class EscalationInfo:
    """Who to go to at one escalation level."""

    level: int
    role_title: str
    route_kind: str
    route_value: str


@dataclass(frozen=True, slots=True)
class TeamInfo:
    """Everything a search result needs to say about a team; also usable wherever hours are checked."""

    id: int
    key: str
    uuid: str
    name: str
    agency_key: str
    agency_name: str
    agency_kind: str
    purpose: str
    handles: str
    not_for: str
    areas: tuple[str, ...]
    hours: dict[str, Any]
    is_open_bank_holidays: bool
    closure_days: tuple[str, ...]
    out_of_hours_team_id: int | None
    nation: str
    owner_handle: str | None
    contact_person_handle: str | None
    last_verified_at: datetime | None
    review_interval_days: int
    is_public: bool
    is_immediate_danger: bool
    routes: tuple[RouteInfo, ...] = ()
    escalation: tuple[EscalationInfo, ...] = ()

    def review_due(self) -> datetime | None:
        """When the entry is next due for review (None: never verified, so due now)."""
        if self.last_verified_at is None:
            return None
        return self.last_verified_at + timedelta(days=self.review_interval_days)

    def is_stale(self, at: datetime) -> bool:
        """Tell whether the entry is overdue for review at `at`."""
        due = self.review_due()
        return due is None or at >= due


@dataclass(slots=True)
class DirectoryIndex:
    """Team cards, the words in them, and the synonyms, ready to search."""

    teams: list[TeamInfo]
    by_id: dict[int, int]
    postings: dict[str, dict[int, float]]  # word → team position → best field weight
    idf: dict[str, float]
    vocabulary: list[str]
    synonyms: dict[str, tuple[str, ...]]
    phrases: list[tuple[str, ...]]  # per team: its name and what it handles, normalised
    signature: tuple[Any, ...] = ()
    built_at: datetime | None = None
    word_cache: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=dict)


def _team_info(
    team: Team, agency: Agency, routes: list[RouteInfo], escalation: list[EscalationInfo]
) -> TeamInfo:
    assert team.id is not None
    return TeamInfo(
        id=team.id,
        key=team.key,
        uuid=team.uuid,
        name=team.name,
        agency_key=agency.key,
        agency_name=agency.name,
        agency_kind=agency.kind,
        purpose=team.purpose,
        handles=team.handles,
        not_for=team.not_for,
        areas=tuple(team.areas or ()),
        hours=dict(team.hours or {}),
        is_open_bank_holidays=team.is_open_bank_holidays,
        closure_days=tuple(team.closure_days or ()),
        out_of_hours_team_id=team.out_of_hours_team_id,
        nation=team.nation,
        owner_handle=team.owner_handle,
        contact_person_handle=team.contact_person_handle,
        last_verified_at=team.last_verified_at,
        review_interval_days=team.review_interval_days,
        is_public=team.is_public,
        is_immediate_danger=team.is_immediate_danger,
        routes=tuple(sorted(routes, key=lambda r: (r.priority, r.key))),
        escalation=tuple(sorted(escalation, key=lambda e: (e.level, e.role_title))),
    )


def _signature(session: Session) -> tuple[Any, ...]:
    teams = session.exec(select(func.count(col(Team.id)), func.max(col(Team.id)))).one()
    routes = session.exec(select(func.count(col(ContactRoute.id)), func.max(col(ContactRoute.id)))).one()
    synonyms = session.exec(select(func.count(col(Synonym.id)), func.max(col(Synonym.id)))).one()
    return (_generation, *teams, *routes, *synonyms)


def build_index(session: Session) -> DirectoryIndex:
    """Read the whole directory into a fresh index."""
    signature = _signature(session)
    agencies = {a.id: a for a in session.exec(select(Agency))}
    routes: dict[int, list[RouteInfo]] = defaultdict(list)
    for r in session.exec(select(ContactRoute)):
        routes[r.team_id].append(
            RouteInfo(
                r.key, r.kind, r.value, r.label, r.when_to_use, r.how_to_leave_message, r.ack_expected,
                r.ack_unit, r.response_expected, r.response_unit, r.priority, r.is_public,
            )
        )  # fmt: skip
    escalation: dict[int, list[EscalationInfo]] = defaultdict(list)
    for e in session.exec(select(EscalationContact)):
        escalation[e.team_id].append(EscalationInfo(e.level, e.role_title, e.route_kind, e.route_value))
    synonyms: dict[str, list[str]] = defaultdict(list)
    for s in session.exec(select(Synonym).order_by(col(Synonym.id))):
        synonyms[" ".join(words(s.term)) or normalise(s.term)].append(s.means)
    teams = [
        _team_info(t, agencies[t.agency_id], routes.get(t.id or 0, []), escalation.get(t.id or 0, []))
        for t in session.exec(select(Team).order_by(col(Team.name), col(Team.key)))
    ]
    postings: dict[str, dict[int, float]] = defaultdict(dict)
    phrases: list[tuple[str, ...]] = []
    for position, team in enumerate(teams):
        fields = {
            "name": f"{team.name} {team.key.replace('-', ' ')}",
            "handles": team.handles,
            "purpose": team.purpose,
            "agency": team.agency_name,
            "route": " ".join(f"{r.label} {r.when_to_use}" for r in team.routes),
        }
        # A word's weight in a team: its best field counts in full, each other field it is in adds a little.
        seen: dict[str, list[float]] = defaultdict(list)
        for name, text in fields.items():
            for word in set(words(text)):
                seen[word].append(WEIGHTS[name])
        for word, weights in seen.items():
            postings[word][position] = max(weights) + 0.3 * (sum(weights) - max(weights))
        items = [normalise(team.name), *(normalise(p).strip() for p in team.handles.split(";"))]
        phrases.append(tuple(p for p in items if p))
    count = max(len(teams), 1)
    idf = {word: math.log(1 + count / len(hits)) for word, hits in postings.items()}
    return DirectoryIndex(
        teams=teams,
        by_id={team.id: position for position, team in enumerate(teams)},
        postings=dict(postings),
        idf=idf,
        vocabulary=sorted(postings),
        synonyms={term: tuple(means) for term, means in synonyms.items()},
        phrases=phrases,
        signature=signature,
    )


_cache: weakref.WeakKeyDictionary[Engine, DirectoryIndex] = weakref.WeakKeyDictionary()


def current_index(session: Session, *, at: datetime) -> DirectoryIndex:
    """Return the cached index for this database, rebuilding it if the directory changed or it is old."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    cached = _cache.get(engine)
    if (
        cached is not None
        and cached.built_at is not None
        and abs(at - cached.built_at) < MAX_AGE
        and cached.signature == _signature(session)
    ):
        return cached
    index = build_index(session)
    index.built_at = at
    with _lock:
        _cache[engine] = index
    return index
