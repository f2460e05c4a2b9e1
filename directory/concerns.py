"""The concern taxonomy as data: what practitioners worry about, the words they use, and who must be told.

The shipped taxonomy is directory/concerns.yaml. An area loads its own edited copy with
`joinup directory concerns <file>`: the file is checked as a whole, every problem is listed, and nothing is
stored unless it is all valid. The newest stored version is the one search uses; with none stored, search
uses the shipped file. Statutory duties come only from the "who must be told" table in DOMAIN.md, and each
must name its source.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml
from sqlmodel import Session, col, select

from schedules.time.calendar import NATIONS
from schedules.time.clock import Clock
from storage import audit
from storage.errors import DomainError
from storage.models import ConcernTaxonomy, Team

About = Literal["child", "adult", "both"]
Kind = Literal["concern", "process"]
_ABOUT = ("child", "adult", "both")
_KINDS = ("concern", "process")
_CONCERN_FIELDS = frozenset({"id", "name", "about", "says", "means", "kind", "duty"})
_DUTY_FIELDS = frozenset({"who", "scope", "nations", "source", "line", "unverified", "elsewhere"})
_TOP_FIELDS = frozenset({"version", "defaults", "adult_words", "words", "concerns"})
NATION_NAMES = {"ENG": "England", "WLS": "Wales", "SCT": "Scotland", "NIR": "Northern Ireland"}


@dataclass(frozen=True, slots=True)
class Duty:
    """A statutory duty that decides who must be told, with its scope, source and nations."""

    who: str
    scope: str
    nations: tuple[str, ...]
    source: str
    line: str  # the one sentence an answer shows
    unverified: str = ""  # what needs a local check; the answer then says so and states no deadline
    elsewhere: str = ""  # what to do in the nations the duty does not cover


@dataclass(frozen=True, slots=True)
class Concern:
    """One safeguarding concern (or process word) and the words practitioners use for it."""

    id: str
    about: About
    says: tuple[str, ...]
    means: str
    kind: Kind = "concern"
    duty: Duty | None = None
    label: str = ""  # how answers name it; the first of `says` when not given

    @property
    def name(self) -> str:
        """Return how answers name the concern ("handles: private fostering")."""
        return self.label or self.says[0]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """A whole concern taxonomy: the concerns, word equivalents and the safe-default teams."""

    concerns: tuple[Concern, ...]
    words: tuple[tuple[str, str], ...]  # (what people type, what it means)
    adult_words: tuple[str, ...]
    defaults: tuple[tuple[str, str], ...]  # ("child", team key), ("adult", team key)
    sha256: str

    def default_team(self, about: str) -> str:
        """Return the key of the safe-default team for a worry about a child or an adult."""
        chosen = dict(self.defaults)
        return chosen.get(about) or chosen.get("child", "")

    def by_id(self) -> dict[str, Concern]:
        """Return the concerns by id."""
        return {concern.id: concern for concern in self.concerns}


class ConcernsInvalid(DomainError):
    """A concern file has problems; nothing was stored."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the concern file")
        self.problems = problems


def _text_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    return None


def _read_duty(raw: Any, where: str, problems: list[str]) -> Duty | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: duty must be a mapping with who, scope, nations, source and line")
        return None
    for extra in sorted(set(map(str, raw)) - _DUTY_FIELDS):
        problems.append(f"{where}: duty has an unknown field {extra!r}")
    values = {name: str(raw.get(name) or "").strip() for name in ("who", "scope", "source", "line")}
    for name, value in values.items():
        if not value:
            what = "source (the Act, regulation or guidance it comes from)" if name == "source" else name
            problems.append(f"{where}: the duty has no {what}; add it, or remove the duty")
    nations = _text_list(raw.get("nations"))
    if not nations:
        problems.append(f"{where}: the duty names no nations; list them, like nations: [ENG, WLS]")
        nations = []
    for nation in nations:
        if nation not in NATIONS:
            problems.append(f"{where}: {nation!r} is not a nation; use ENG, WLS, SCT or NIR")
    return Duty(
        who=values["who"],
        scope=values["scope"],
        nations=tuple(nations),
        source=values["source"],
        line=values["line"],
        unverified=str(raw.get("unverified") or "").strip(),
        elsewhere=str(raw.get("elsewhere") or "").strip(),
    )


def _read_concern(raw: Any, number: int, seen: set[str], problems: list[str]) -> Concern | None:
    if not isinstance(raw, Mapping):
        problems.append(f"concern {number}: must be a mapping with id, about, says and means")
        return None
    concern_id = str(raw.get("id") or "").strip()
    where = f"concern {concern_id}" if concern_id else f"concern {number}"
    if not concern_id:
        problems.append(f"{where}: has no id")
    elif concern_id in seen:
        problems.append(f"{where}: the id {concern_id} is used twice; every concern needs its own id")
    elif not all(ch.isalnum() or ch == "-" for ch in concern_id) or concern_id != concern_id.lower():
        problems.append(f"{where}: write the id in lower case letters, digits and dashes")
    seen.add(concern_id)
    for extra in sorted(set(map(str, raw)) - _CONCERN_FIELDS):
        problems.append(f"{where}: unknown field {extra!r}")
    about = str(raw.get("about") or "")
    if about not in _ABOUT:
        problems.append(f"{where}: about must be child, adult or both, not {about!r}")
    kind = str(raw.get("kind") or "concern")
    if kind not in _KINDS:
        problems.append(f"{where}: kind must be concern or process, not {kind!r}")
    says = _text_list(raw.get("says"))
    if not says:
        problems.append(f"{where}: says must list the words practitioners use for it")
    means = str(raw.get("means") or "").strip()
    if not means:
        problems.append(f"{where}: means must say in one line what it is")
    duty = _read_duty(raw.get("duty"), where, problems)
    if about not in _ABOUT or kind not in _KINDS or not says:
        return None
    return Concern(
        id=concern_id,
        about=about,  # type: ignore[arg-type]
        says=tuple(says),
        means=means,
        kind=kind,  # type: ignore[arg-type]
        duty=duty,
        label=str(raw.get("name") or "").strip(),
    )


def parse_concerns(text: str, *, known_team_keys: Collection[str] | None = None) -> Taxonomy:
    """Read and check a concern file; `known_team_keys` (when given) must hold its default teams.

    Raises:
        ConcernsInvalid: every problem found, in file order.
    """
    problems: list[str] = []
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise ConcernsInvalid([f"{line}this is not valid YAML; check the indentation and quotes"]) from None
    if not isinstance(data, Mapping):
        raise ConcernsInvalid(["the file must be a mapping with version, defaults, words and concerns"])
    for extra in sorted(set(map(str, data)) - _TOP_FIELDS):
        problems.append(f"unknown top-level field {extra!r}")
    defaults = data.get("defaults")
    if not isinstance(defaults, Mapping) or not defaults.get("child"):
        problems.append(
            "defaults must name the child team (the front door), like defaults: {child: front-door}"
        )
        defaults = {}
    for about, team in defaults.items():
        if about not in ("child", "adult"):
            problems.append(f"defaults: {about!r} must be child or adult")
        elif known_team_keys is not None and str(team) not in known_team_keys:
            problems.append(f"defaults: there is no team {team} in the directory; add it or fix the id")
    words = data.get("words") or {}
    if not isinstance(words, Mapping):
        problems.append("words must map what people type to what it means, like kids: child")
        words = {}
    adult_words = _text_list(data.get("adult_words") or [])
    if adult_words is None:
        problems.append("adult_words must be a list of words")
        adult_words = []
    raw_concerns = data.get("concerns")
    if not isinstance(raw_concerns, list) or not raw_concerns:
        problems.append("concerns must be a list of concerns")
        raw_concerns = []
    seen: set[str] = set()
    concerns = [_read_concern(raw, n, seen, problems) for n, raw in enumerate(raw_concerns, start=1)]
    if problems:
        raise ConcernsInvalid(problems)
    return Taxonomy(
        concerns=tuple(c for c in concerns if c is not None),
        words=tuple((str(k).lower().strip(), str(v).lower().strip()) for k, v in words.items()),
        adult_words=tuple(w.lower() for w in adult_words),
        defaults=tuple((str(k), str(v)) for k, v in defaults.items()),
        sha256=hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest(),
    )


def unknown_concern_ids(taxonomy: Taxonomy, ids: Collection[str]) -> list[str]:
    """Return the ids in `ids` that the taxonomy does not define, in order."""
    known = taxonomy.by_id()
    return [concern_id for concern_id in ids if concern_id not in known]


def shipped_text() -> str:
    """Return the text of the taxonomy shipped with joinup."""
    return (resources.files("directory") / "concerns.yaml").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def shipped_taxonomy() -> Taxonomy:
    """Return the taxonomy shipped with joinup."""
    return parse_concerns(shipped_text())


@lru_cache(maxsize=8)
def _stored(text: str) -> Taxonomy:
    return parse_concerns(text)


def active_taxonomy(session: Session) -> Taxonomy:
    """Return the newest loaded taxonomy, or the shipped one when none has been loaded."""
    row = session.exec(
        select(ConcernTaxonomy.body).order_by(col(ConcernTaxonomy.version).desc()).limit(1)
    ).first()
    if row is None:
        return shipped_taxonomy()
    return _stored(str(row.get("text", "")))


def store_taxonomy(*, session: Session, clock: Clock, text: str, loaded_by: str) -> tuple[int, bool]:
    """Check `text` against the stored directory and store it as the next version.

    Returns the version and whether it is new (False when the newest version has the same content).

    Raises:
        ConcernsInvalid: every problem found (unknown default teams, duplicate ids, duties without a
            source, ...); nothing is stored.
    """
    team_keys = set(session.exec(select(Team.key)).all())
    taxonomy = parse_concerns(text, known_team_keys=team_keys)
    tagged = session.exec(select(Team.key, Team.concerns_primary, Team.concerns_also)).all()
    problems = [
        f"team {key} handles {concern_id}, which this file no longer defines; keep it or retag the team"
        for key, primary, also in tagged
        for concern_id in unknown_concern_ids(taxonomy, [*(primary or []), *(also or [])])
    ]
    if problems:
        raise ConcernsInvalid(problems)
    latest = session.exec(select(ConcernTaxonomy).order_by(col(ConcernTaxonomy.version).desc())).first()
    if latest is not None and latest.sha256 == taxonomy.sha256:
        return latest.version, False
    version = (latest.version if latest is not None else 0) + 1
    session.add(
        ConcernTaxonomy(
            version=version,
            body={"text": text},
            sha256=taxonomy.sha256,
            loaded_at=clock.now(),
            loaded_by=loaded_by,
        )
    )
    audit.record(
        session=session,
        at=clock.now(),
        actor=loaded_by,
        action="concerns.loaded",
        subject=f"concerns:{version}",
        data={"version": version, "concerns": len(taxonomy.concerns), "sha256": taxonomy.sha256},
    )
    return version, True
