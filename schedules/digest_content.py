"""What a manager's digest holds: plain data, built from tracked items, escalations and the directory.

Sections, most urgent first: items the manager's teams are waiting on from other agencies (acknowledgement or
feedback; overdue first, with working days overdue), items the teams owe a response on, open escalations with
their level and working days at that level, directory entries the manager owns that are past their review
date, and the counts, which the digest compares with the last one sent. Case references only, never names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import or_
from sqlmodel import Session, col, select

from schedules.calendar import WorkingCalendar
from storage.models import Escalation, Person, Team, TrackedItem

WaitingFor = Literal["acknowledgement", "feedback"]
OPEN_ESCALATION = ("open", "partnership")


@dataclass(frozen=True, slots=True)
class ItemLine:
    """One tracked item still waiting for an acknowledgement or feedback."""

    ref: str
    case_ref: str
    other_team: str  # the team it was sent to (awaiting) or came from (owed)
    waiting_for: WaitingFor
    due_at: datetime | None
    working_days_overdue: int | None  # None when not overdue; 0 when overdue today

    @property
    def is_overdue(self) -> bool:
        """Tell whether the item is past its due time."""
        return self.working_days_overdue is not None


@dataclass(frozen=True, slots=True)
class EscalationLine:
    """One open escalation: its level and how long it has been there."""

    ref: str
    case_ref: str
    level: int
    working_days_at_level: int
    other_team: str
    status: str
    is_overdue: bool


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
    escalations: tuple[EscalationLine, ...]
    stale: tuple[StaleEntry, ...]
    came_back: int  # items that got feedback since the last digest
    came_back_nfa: int  # of which the outcome was no further action
    previous_counts: dict[str, Any] | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """Tell whether there is nothing to report at all."""
        return not (self.awaiting or self.owed or self.escalations or self.stale or self.came_back)


def _waiting(item: TrackedItem) -> tuple[WaitingFor, datetime | None] | None:
    if item.acknowledged_at is None:
        return "acknowledgement", item.ack_due_at
    if item.feedback_at is None:
        return "feedback", item.feedback_due_at
    return None


def _overdue_days(calendar: WorkingCalendar, due_at: datetime | None, now: datetime) -> int | None:
    if due_at is None or due_at >= now:
        return None
    return max(calendar.working_days_between(calendar.local(due_at).date(), calendar.local(now).date()), 0)


def _order(lines: Iterable[ItemLine]) -> tuple[ItemLine, ...]:
    def key(line: ItemLine) -> tuple[int, int, float, str]:
        due = line.due_at.timestamp() if line.due_at else float("inf")
        return (0 if line.is_overdue else 1, -(line.working_days_overdue or 0), due, line.ref)

    return tuple(sorted(lines, key=key))


def _item_lines(
    session: Session,
    calendar: WorkingCalendar,
    now: datetime,
    *,
    team_column: Any,
    other_column: Any,
    team_ids: Sequence[int],
) -> tuple[ItemLine, ...]:
    rows = session.exec(
        select(TrackedItem, Team.name)
        .join(Team, col(Team.id) == other_column)
        .where(team_column.in_(team_ids))
        .where(col(TrackedItem.status) == "open")
        .where(or_(col(TrackedItem.acknowledged_at).is_(None), col(TrackedItem.feedback_at).is_(None)))
    ).all()
    lines = []
    for item, other_team in rows:
        waiting = _waiting(item)
        if waiting is None:
            continue
        what, due_at = waiting
        lines.append(
            ItemLine(
                ref=item.ref,
                case_ref=item.case_ref,
                other_team=other_team,
                waiting_for=what,
                due_at=due_at,
                working_days_overdue=_overdue_days(calendar, due_at, now),
            )
        )
    return _order(lines)


def _escalation_lines(
    session: Session, calendar: WorkingCalendar, now: datetime, team_ids: Sequence[int]
) -> tuple[EscalationLine, ...]:
    members = select(Person.id).where(col(Person.team_id).in_(team_ids))
    rows = session.exec(
        select(Escalation)
        .where(col(Escalation.status).in_(OPEN_ESCALATION))
        .where(
            or_(
                col(Escalation.raised_by_person_id).in_(members),
                col(Escalation.other_team_id).in_(team_ids),
            )
        )
    ).all()
    names = {
        t.id: t.name
        for t in session.exec(select(Team).where(col(Team.id).in_({r.other_team_id for r in rows})))
    }
    lines = [
        EscalationLine(
            ref=e.ref,
            case_ref=e.case_ref,
            level=e.level,
            working_days_at_level=max(
                calendar.working_days_between(
                    calendar.local(e.level_started_at).date(), calendar.local(now).date()
                ),
                0,
            ),
            other_team=names.get(e.other_team_id, "") if e.other_team_id else "",
            status=e.status,
            is_overdue=e.level_due_at is not None and e.level_due_at < now,
        )
        for e in rows
    ]
    return tuple(sorted(lines, key=lambda line: (not line.is_overdue, -line.working_days_at_level, line.ref)))


def stale_entries(*, session: Session, handle: str, now: datetime) -> tuple[StaleEntry, ...]:
    """Return the directory entries `handle` owns that are past their review date, most overdue first."""
    entries = []
    for team in session.exec(select(Team).where(col(Team.owner_handle) == handle)):
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
    calendar = WorkingCalendar(nation)
    teams = sorted(set(team_ids))
    awaiting = _item_lines(
        session,
        calendar,
        now,
        team_column=col(TrackedItem.from_team_id),
        other_column=col(TrackedItem.to_team_id),
        team_ids=teams,
    )
    owed = _item_lines(
        session,
        calendar,
        now,
        team_column=col(TrackedItem.to_team_id),
        other_column=col(TrackedItem.from_team_id),
        team_ids=teams,
    )
    escalations = _escalation_lines(session, calendar, now, teams)
    stale = stale_entries(session=session, handle=handle, now=now)
    outcomes = session.exec(
        select(TrackedItem.outcome)
        .where(col(TrackedItem.from_team_id).in_(teams))
        .where(col(TrackedItem.feedback_at) >= since, col(TrackedItem.feedback_at) < now)
    ).all()
    names = session.exec(select(Team.name).where(col(Team.id).in_(teams)).order_by(col(Team.name))).all()
    counts = {
        "awaiting": len(awaiting),
        "awaiting_overdue": sum(line.is_overdue for line in awaiting),
        "owed": len(owed),
        "owed_overdue": sum(line.is_overdue for line in owed),
        "escalations": len(escalations),
        "stale": len(stale),
        "came_back": len(outcomes),
    }
    return Digest(
        handle=handle,
        team_names=tuple(names),
        produced_at=now,
        awaiting=awaiting,
        owed=owed,
        escalations=escalations,
        stale=stale,
        came_back=len(outcomes),
        came_back_nfa=sum(outcome == "no_further_action" for outcome in outcomes),
        previous_counts=previous_counts,
        counts=counts,
    )
