"""What a manager's digest holds: plain data, built from tracked items, escalations and the directory.

Sections, most urgent first: items the manager's teams are waiting on from other agencies (acknowledgement or
feedback; overdue first, with working days overdue), items the teams owe a response on, open escalations raised by
the teams and raised about them, overdue first (schedules/digest/escalations.py), directory entries the manager owns that are past their review
date, and the counts, which the digest compares with the last one sent. Case references only, never names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from schedules.digest.escalations import (
    EscalationLine,
    OpenEscalation,
    open_escalations,
    split,
    working_days,
)
from schedules.time.calendar import LONDON
from storage.models import Team, TrackedItem

__all__ = ["Digest", "EscalationLine", "ItemLine", "Request", "StaleEntry", "build", "build_many"]

WaitingFor = Literal["acknowledgement", "feedback", "call back", "information"]
# The kinds of tracked item, counted separately in the digest (and in insight).
KINDS = ("referral", "callback", "information_request")


@dataclass(frozen=True, slots=True)
class ItemLine:
    """One tracked item still waiting for an acknowledgement or feedback."""

    ref: str
    case_ref: str
    other_team: str  # the team it was sent to (awaiting) or came from (owed)
    waiting_for: WaitingFor
    due_at: datetime | None
    working_days_overdue: int | None  # None when not overdue; 0 when overdue today
    kind: str = "referral"  # referral, callback, information_request

    @property
    def is_overdue(self) -> bool:
        """Tell whether the item is past its due time."""
        return self.working_days_overdue is not None


@dataclass(frozen=True, slots=True)
class StaleEntry:
    """A directory entry the manager owns that is past its review date."""

    team_key: str
    team_name: str
    review_due_at: datetime | None  # None: never verified
    days_overdue: int | None


@dataclass(frozen=True, slots=True)
class Digest:
    """A manager's digest for one moment."""

    handle: str
    team_names: tuple[str, ...]
    produced_at: datetime
    awaiting: tuple[ItemLine, ...]
    owed: tuple[ItemLine, ...]
    raised_by: tuple[EscalationLine, ...]  # open escalations the manager's teams raised
    raised_about: tuple[EscalationLine, ...]  # open escalations other teams raised about the manager's teams
    stale: tuple[StaleEntry, ...]
    came_back: int  # items that got feedback since the last digest
    came_back_nfa: int  # of which the outcome was no further action
    previous_counts: dict[str, Any] | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def escalations(self) -> tuple[EscalationLine, ...]:
        """Every open escalation in the digest: raised by the teams, then raised about them."""
        return self.raised_by + self.raised_about

    @property
    def is_empty(self) -> bool:
        """Tell whether there is nothing to report at all."""
        return not (self.awaiting or self.owed or self.escalations or self.stale or self.came_back)


def _waiting(item: TrackedItem) -> tuple[WaitingFor, datetime | None] | None:
    if item.kind == "callback":
        return ("call back", item.ack_due_at) if item.feedback_at is None else None
    if item.kind == "information_request":
        return ("information", item.feedback_due_at) if item.feedback_at is None else None
    if item.acknowledged_at is None:
        return "acknowledgement", item.ack_due_at
    if item.feedback_at is None:
        return "feedback", item.feedback_due_at
    return None


def _overdue_days(
    nation: str, due_at: datetime | None, due_on: date | None, now: datetime, today: date
) -> int | None:
    if due_at is None or due_on is None or due_at >= now:
        return None
    return _working_days(nation, due_on, today)


def _working_days(nation: str, start: date, end: date) -> int:
    return working_days(nation, start, end)


def _order(lines: Iterable[ItemLine]) -> tuple[ItemLine, ...]:
    def key(line: ItemLine) -> tuple[int, int, float, str]:
        due = line.due_at.timestamp() if line.due_at else float("inf")
        return (0 if line.is_overdue else 1, -(line.working_days_overdue or 0), due, line.ref)

    return tuple(sorted(lines, key=key))


def _by_kind(side: str, lines: tuple[ItemLine, ...]) -> dict[str, int]:
    """Count each kind apart: "owed_callback", "owed_callback_overdue", "owed_information_request", ..."""
    counts: dict[str, int] = {}
    for kind in KINDS:
        of_kind = [line for line in lines if line.kind == kind]
        counts[f"{side}_{kind}"] = len(of_kind)
        counts[f"{side}_{kind}_overdue"] = sum(line.is_overdue for line in of_kind)
    return counts


@dataclass(frozen=True, slots=True)
class Request:
    """Whose digest to build: the manager, the teams they manage, and since when items count as new."""

    person_id: int
    handle: str
    team_ids: frozenset[int]
    since: datetime
    nation: str = "ENG"
    previous_counts: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class _Open:
    ref: str
    case_ref: str
    from_team_id: int | None
    to_team_id: int
    waiting_for: WaitingFor
    due_at: datetime | None
    due_on: date | None  # the London date of due_at, worked out once per item
    kind: str = "referral"


_OpenRow = tuple[str, str, int | None, int, datetime | None, datetime | None, datetime | None, str]


def _open_items(session: Session, teams: list[int]) -> list[_Open]:
    # Eight columns: more than sqlmodel's select() types, so SQLAlchemy's.
    rows = session.execute(
        sa_select(
            col(TrackedItem.ref),
            col(TrackedItem.case_ref),
            col(TrackedItem.from_team_id),
            col(TrackedItem.to_team_id),
            col(TrackedItem.acknowledged_at),
            col(TrackedItem.ack_due_at),
            col(TrackedItem.feedback_due_at),
            col(TrackedItem.kind),
        )
        .where(col(TrackedItem.status) == "open")
        .where(or_(col(TrackedItem.acknowledged_at).is_(None), col(TrackedItem.feedback_at).is_(None)))
        .where(or_(col(TrackedItem.from_team_id).in_(teams), col(TrackedItem.to_team_id).in_(teams)))
    ).all()
    found = []
    for row in rows:
        ref, case_ref, from_team, to_team, acknowledged_at, ack_due_at, feedback_due_at, kind = cast(
            _OpenRow, tuple(row)
        )
        waiting: WaitingFor
        if kind == "callback":
            waiting, due_at = "call back", ack_due_at
        elif kind == "information_request":
            waiting, due_at = "information", feedback_due_at
        elif acknowledged_at is None:
            waiting, due_at = "acknowledgement", ack_due_at
        else:
            waiting, due_at = "feedback", feedback_due_at
        due_on = due_at.astimezone(LONDON).date() if due_at else None
        found.append(_Open(ref, case_ref, from_team, to_team, waiting, due_at, due_on, kind))
    return found


def _line(item: _Open, other_team: str, nation: str, now: datetime, today: date) -> ItemLine:
    return ItemLine(
        ref=item.ref,
        case_ref=item.case_ref,
        other_team=other_team,
        waiting_for=item.waiting_for,
        due_at=item.due_at,
        working_days_overdue=_overdue_days(nation, item.due_at, item.due_on, now, today),
        kind=item.kind,
    )


@dataclass(frozen=True, slots=True)
class _Owned:
    key: str
    name: str
    last_verified_at: datetime | None
    review_interval_days: int
    owner_handle: str | None


_OwnedRow = tuple[str, str, datetime | None, int, str | None]


def _owned(session: Session, handles: list[str]) -> list[_Owned]:
    rows = session.execute(
        sa_select(
            col(Team.key),
            col(Team.name),
            col(Team.last_verified_at),
            col(Team.review_interval_days),
            col(Team.owner_handle),
        ).where(col(Team.owner_handle).in_(handles))
    ).all()
    return [_Owned(*cast(_OwnedRow, tuple(row))) for row in rows]


def _stale(teams: Iterable[_Owned], now: datetime) -> tuple[StaleEntry, ...]:
    entries = []
    for team in teams:
        review_due_at = (
            team.last_verified_at + timedelta(days=team.review_interval_days)
            if team.last_verified_at
            else None
        )
        if review_due_at is not None and review_due_at > now:
            continue
        days = (now - review_due_at).days if review_due_at is not None else None
        entries.append(StaleEntry(team.key, team.name, review_due_at, days))
    return tuple(
        sorted(
            entries, key=lambda e: (-(e.days_overdue if e.days_overdue is not None else 10**6), e.team_key)
        )
    )


def stale_entries(*, session: Session, handle: str, now: datetime) -> tuple[StaleEntry, ...]:
    """Return the directory entries `handle` owns that are past their review date, most overdue first."""
    return _stale(_owned(session, [handle]), now)


def build_many(*, session: Session, now: datetime, requests: Sequence[Request]) -> dict[int, Digest]:
    """Build many managers' digests at `now` with a handful of set-based queries; keyed by person id."""
    if not requests:
        return {}
    teams = sorted(set().union(*(r.team_ids for r in requests)))
    items = _open_items(session, teams)
    by_from: dict[int, list[_Open]] = defaultdict(list)
    by_to: dict[int, list[_Open]] = defaultdict(list)
    for item in items:
        if item.from_team_id is not None:
            by_from[item.from_team_id].append(item)
        by_to[item.to_team_id].append(item)
    escalations = open_escalations(session, teams)
    by_team: dict[int, list[OpenEscalation]] = defaultdict(list)
    for escalation in escalations:
        for team_id in {escalation.raiser_team_id, escalation.other_team_id}:
            if team_id is not None:
                by_team[team_id].append(escalation)
    wanted_names = (
        set(teams) | {i.to_team_id for i in items} | {i.from_team_id for i in items if i.from_team_id}
    )
    wanted_names |= {e.other_team_id for e in escalations if e.other_team_id is not None}
    wanted_names |= {e.raiser_team_id for e in escalations if e.raiser_team_id is not None}
    names: dict[int, str] = {}
    nations: dict[int, str] = {}  # each team's nation: its clocks count its working days
    for team_id, name, team_nation in session.exec(
        select(Team.id, Team.name, Team.nation).where(col(Team.id).in_(sorted(wanted_names)))
    ):
        if team_id is not None:
            names[team_id], nations[team_id] = name, team_nation
    owned: dict[str, list[_Owned]] = defaultdict(list)
    for entry in _owned(session, sorted({r.handle for r in requests})):
        owned[entry.owner_handle or ""].append(entry)
    came_back: dict[int, list[tuple[str | None, datetime]]] = defaultdict(list)
    for team_id, outcome, feedback_at in session.exec(
        select(TrackedItem.from_team_id, TrackedItem.outcome, TrackedItem.feedback_at)
        .where(col(TrackedItem.from_team_id).in_(teams))
        .where(
            col(TrackedItem.feedback_at) >= min(r.since for r in requests), col(TrackedItem.feedback_at) < now
        )
    ):
        if team_id is not None and feedback_at is not None:
            came_back[team_id].append((outcome, feedback_at))
    digests = {}
    for request in requests:
        today = now.astimezone(LONDON).date()
        mine = sorted(request.team_ids)
        # Overdue days count on the receiving team's working days (its nation), not the reader's.
        awaiting = _order(
            _line(i, names.get(i.to_team_id, ""), nations.get(i.to_team_id, request.nation), now, today)
            for t in mine
            for i in by_from.get(t, [])
        )
        owed = _order(
            _line(
                i, names.get(i.from_team_id or 0, ""), nations.get(i.to_team_id, request.nation), now, today
            )
            for t in mine
            for i in by_to.get(t, [])
        )
        raised_by, raised_about = split(
            (e for t in mine for e in by_team.get(t, [])),
            team_ids=request.team_ids,
            names=names,
            nations=nations,
            now=now,
        )
        ordered = raised_by + raised_about
        outcomes = [o for t in mine for o, at in came_back.get(t, []) if at >= request.since]
        stale = _stale(owned.get(request.handle, []), now)
        counts = {
            "awaiting": len(awaiting),
            "awaiting_overdue": sum(line.is_overdue for line in awaiting),
            "owed": len(owed),
            "owed_overdue": sum(line.is_overdue for line in owed),
            "escalations": len(ordered),
            "escalations_overdue": sum(line.is_overdue for line in ordered),
            "raised_by": len(raised_by),
            "raised_about": len(raised_about),
            "stale": len(stale),
            "came_back": len(outcomes),
            **_by_kind("awaiting", awaiting),
            **_by_kind("owed", owed),
        }
        digests[request.person_id] = Digest(
            handle=request.handle,
            team_names=tuple(sorted(names[t] for t in mine if t in names)),
            produced_at=now,
            awaiting=awaiting,
            owed=owed,
            raised_by=raised_by,
            raised_about=raised_about,
            stale=stale,
            came_back=len(outcomes),
            came_back_nfa=sum(outcome == "no_further_action" for outcome in outcomes),
            previous_counts=request.previous_counts,
            counts=counts,
        )
    return digests


def build(
    *,
    session: Session,
    now: datetime,
    handle: str,
    team_ids: Sequence[int],
    since: datetime,
    nation: str = "ENG",
    previous_counts: dict[str, Any] | None = None,
) -> Digest:
    """Build the digest of the teams `team_ids` for the manager `handle` at `now`.

    `since` is when the previous period fell due: items that came back after it are counted as new.
    """
    request = Request(0, handle, frozenset(team_ids), since, nation, previous_counts)
    return build_many(session=session, now=now, requests=[request])[0]
