"""The escalations in a manager's digest: split into those raised by the manager's teams and those raised
about them, each flagged when past its level deadline.

Working days at a level, and overdue, count on the challenged team's calendar (its nation's working days), as
the level deadline itself does (schedules/escalation/records.level_calendar), not on the reader's nation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Literal, cast

from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from schedules.time.calendar import LONDON
from schedules.time.calendars import day_calendar
from storage.models import Escalation, Person

OPEN_ESCALATION = ("open", "partnership")
Side = Literal["raised_by", "raised_about"]


@dataclass(frozen=True, slots=True)
class EscalationLine:
    """One open escalation: its level, how long it has been there, and which side the reader's teams are on."""

    ref: str
    case_ref: str
    level: int
    working_days_at_level: int
    other_team: str  # raised by: the team challenged; raised about: the raiser's team
    status: str
    is_overdue: bool  # past its level deadline
    side: Side = "raised_by"
    working_days_overdue: int | None = None  # None when not overdue; 0 when overdue today


@dataclass(frozen=True, slots=True)
class OpenEscalation:
    """An open escalation as a digest reads it: plain columns, never changed."""

    ref: str
    case_ref: str
    level: int
    level_started_at: datetime
    level_due_at: datetime | None
    status: str
    other_team_id: int | None
    raiser_team_id: int | None


_EscRow = tuple[str, str, int, datetime, datetime | None, str, int | None, int | None]


def open_escalations(session: Session, teams: list[int]) -> list[OpenEscalation]:
    """Return the open escalations raised by, or about, any of `teams`."""
    # Plain columns, not ORM objects: a digest run reads thousands of rows and never changes them.
    rows = session.execute(
        sa_select(
            col(Escalation.ref),
            col(Escalation.case_ref),
            col(Escalation.level),
            col(Escalation.level_started_at),
            col(Escalation.level_due_at),
            col(Escalation.status),
            col(Escalation.other_team_id),
            col(Person.team_id),
        )
        .join(Person, col(Person.id) == col(Escalation.raised_by_person_id))
        .where(col(Escalation.status).in_(OPEN_ESCALATION))
        .where(or_(col(Person.team_id).in_(teams), col(Escalation.other_team_id).in_(teams)))
    ).all()
    return [OpenEscalation(*cast(_EscRow, tuple(row))) for row in rows]


@lru_cache(maxsize=8192)
def working_days(nation: str, start: date, end: date) -> int:
    """Return the working days of `nation` from `start` to `end` (never negative)."""
    # Counting walks day by day; digests ask the same few (start, today) pairs thousands of times.
    return max(day_calendar(nation=nation).working_days_between(start, end), 0)


def _line(
    escalation: OpenEscalation,
    *,
    side: Side,
    names: Mapping[int, str],
    nations: Mapping[int, str],
    now: datetime,
) -> EscalationLine:
    # The challenged team's working days; the raiser's team's when no team was named.
    counted_by = escalation.other_team_id or escalation.raiser_team_id
    nation = nations.get(counted_by, "ENG") if counted_by is not None else "ENG"
    today = now.astimezone(LONDON).date()
    is_overdue = escalation.level_due_at is not None and escalation.level_due_at < now
    overdue_days = None
    if is_overdue and escalation.level_due_at is not None:
        overdue_days = working_days(nation, escalation.level_due_at.astimezone(LONDON).date(), today)
    other = escalation.other_team_id if side == "raised_by" else escalation.raiser_team_id
    return EscalationLine(
        ref=escalation.ref,
        case_ref=escalation.case_ref,
        level=escalation.level,
        working_days_at_level=working_days(
            nation, escalation.level_started_at.astimezone(LONDON).date(), today
        ),
        other_team=names.get(other, "") if other is not None else "",
        status=escalation.status,
        is_overdue=is_overdue,
        side=side,
        working_days_overdue=overdue_days,
    )


def _order(lines: Iterable[EscalationLine]) -> tuple[EscalationLine, ...]:
    return tuple(
        sorted(
            lines,
            key=lambda line: (
                not line.is_overdue,
                -(line.working_days_overdue or 0),
                -line.working_days_at_level,
                line.ref,
            ),
        )
    )


def split(
    escalations: Iterable[OpenEscalation],
    *,
    team_ids: frozenset[int],
    names: Mapping[int, str],
    nations: Mapping[int, str],
    now: datetime,
) -> tuple[tuple[EscalationLine, ...], tuple[EscalationLine, ...]]:
    """Return (raised by the teams, raised about the teams), each overdue first, every escalation once.

    One raised by one of the teams about another of them is listed as raised by (the teams act on it).
    """
    raised_by, raised_about = [], []
    seen: set[str] = set()
    for escalation in escalations:
        if escalation.ref in seen:
            continue
        seen.add(escalation.ref)
        if escalation.raiser_team_id in team_ids:
            raised_by.append(_line(escalation, side="raised_by", names=names, nations=nations, now=now))
        elif escalation.other_team_id in team_ids:
            raised_about.append(_line(escalation, side="raised_about", names=names, nations=nations, now=now))
    return _order(raised_by), _order(raised_about)
