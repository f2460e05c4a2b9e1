"""Partnership reporting on professional disagreements, by agency pair (raiser's agency → challenged agency).

Working Together asks partnerships to track how disagreements are resolved: how many are resolved at the
lowest level, how long each level takes (median working days, on the challenged team's working days, as the
level deadlines count), and how many open escalations are past their level deadline now. A level's time runs
from its first step to the next level's first step, or to the close; a level still running is not counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median_low
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from schedules.insight.periods import Period
from schedules.time.calendar import LONDON
from schedules.time.calendars import day_calendar
from storage.models import Agency, Escalation, EscalationStep, Person, Team

OPEN_STATUSES = ("open", "partnership")
NO_TEAM = "No team named"


@dataclass(frozen=True, slots=True)
class PairFigures:
    """Escalations from one agency about another: opened in the period, and open past deadline now."""

    raiser_agency: str
    challenged_agency: str
    opened: int = 0
    resolved_by_level: dict[int, int] = field(default_factory=dict)  # the level each was resolved at
    withdrawn: int = 0
    open_now: int = 0
    open_past_deadline: int = 0
    median_days_by_level: dict[int, int] = field(default_factory=dict)  # levels that ended

    @property
    def resolved(self) -> int:
        """Return how many were resolved (at any level)."""
        return sum(self.resolved_by_level.values())

    @property
    def resolved_at_lowest(self) -> int:
        """Return how many were resolved at level 1, practitioner to practitioner."""
        return self.resolved_by_level.get(1, 0)

    @property
    def lowest_level_percent(self) -> int | None:
        """Return the share of resolved escalations that were resolved at level 1, or None if none were."""
        return None if self.resolved == 0 else round(100 * self.resolved_at_lowest / self.resolved)


@dataclass(slots=True)
class _Row:
    id: int
    opened_at: datetime
    status: str
    level: int
    level_due_at: datetime | None
    closed_at: datetime | None
    raiser_agency: str
    challenged_agency: str
    nation: str


_Columns = tuple[
    int, datetime, str, int, datetime | None, datetime | None, str | None, str | None, str | None, str | None
]


def _rows(session: Session, *, period: Period, now: datetime, team_ids: Collection[int] | None) -> list[_Row]:
    raiser_team, other_team = aliased(Team), aliased(Team)
    raiser_agency, other_agency = aliased(Agency), aliased(Agency)
    opened = col(Escalation.opened_at)
    # Opened in the period, or open now (whenever it was opened): it may be past its deadline today.
    where: list[ColumnElement[bool]] = [
        or_(
            and_(opened >= period.start_at, opened < period.end_at), col(Escalation.status).in_(OPEN_STATUSES)
        )
    ]
    if team_ids is not None:
        ids = list(team_ids)
        where.append(or_(col(Escalation.other_team_id).in_(ids), col(raiser_team.id).in_(ids)))
    statement = (
        select(
            col(Escalation.id),
            opened,
            col(Escalation.status),
            col(Escalation.level),
            col(Escalation.level_due_at),
            col(Escalation.closed_at),
            col(raiser_agency.name),
            col(other_agency.name),
            col(other_team.nation),
            col(raiser_team.nation),
        )
        .join(Person, col(Person.id) == col(Escalation.raised_by_person_id))
        .outerjoin(raiser_team, col(raiser_team.id) == col(Person.team_id))
        .outerjoin(raiser_agency, col(raiser_agency.id) == col(raiser_team.agency_id))
        .outerjoin(other_team, col(other_team.id) == col(Escalation.other_team_id))
        .outerjoin(other_agency, col(other_agency.id) == col(other_team.agency_id))
        .where(*where)
    )
    rows = []
    for found in session.execute(statement).all():
        ident, opened_at, status, level, due, closed, r_agency, o_agency, o_nation, r_nation = cast(
            _Columns, tuple(found)
        )
        rows.append(
            _Row(
                int(ident), opened_at, str(status), int(level), due, closed,
                str(r_agency or NO_TEAM), str(o_agency or NO_TEAM), str(o_nation or r_nation or "ENG"),
            )
        )  # fmt: skip
    return rows


def _level_days(row: _Row, steps: Iterable[tuple[int, datetime]]) -> dict[int, int]:
    """Return the working days each ended level took: first step at it → first step at the next, or close."""
    starts: dict[int, datetime] = {}
    for level, at in steps:
        starts.setdefault(level, at)
    calendar = day_calendar(nation=row.nation)

    def day(at: datetime) -> date:
        return at.astimezone(LONDON).date()

    days = {}
    for level, started in starts.items():
        ended = starts.get(level + 1)
        if ended is None and row.status not in OPEN_STATUSES and row.closed_at is not None:
            ended = row.closed_at if level == row.level else None
        if ended is not None:
            days[level] = max(calendar.working_days_between(day(started), day(ended)), 0)
    return days


def pair_figures(
    *, session: Session, period: Period, now: datetime, team_ids: Collection[int] | None = None
) -> list[PairFigures]:
    """Return the figures per agency pair, the pairs with the most escalations first.

    `team_ids` limits them to escalations raised by, or about, those teams (None: every team).
    """
    rows = _rows(session, period=period, now=now, team_ids=team_ids)
    steps: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    ids = [r.id for r in rows if period.start_at <= r.opened_at < period.end_at]
    for start in range(0, len(ids), 500):
        for found_step in session.execute(
            select(col(EscalationStep.escalation_id), col(EscalationStep.level), col(EscalationStep.at))
            .where(col(EscalationStep.escalation_id).in_(ids[start : start + 500]))
            .order_by(col(EscalationStep.at), col(EscalationStep.id))
        ).all():
            escalation_id, level, at = cast(tuple[int, int, datetime], tuple(found_step))
            steps[escalation_id].append((level, at))
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        pair = pairs.setdefault(
            (row.raiser_agency, row.challenged_agency),
            {"opened": 0, "resolved": defaultdict(int), "withdrawn": 0, "open": 0, "late": 0, "days": defaultdict(list)},
        )  # fmt: skip
        if row.status in OPEN_STATUSES:
            pair["open"] += 1
            pair["late"] += int(row.level_due_at is not None and row.level_due_at < now)
        if not period.start_at <= row.opened_at < period.end_at:
            continue
        pair["opened"] += 1
        if row.status == "resolved":
            pair["resolved"][row.level] += 1
        elif row.status == "withdrawn":
            pair["withdrawn"] += 1
        for level, days in _level_days(row, steps.get(row.id, [])).items():
            pair["days"][level].append(days)
    found = [
        PairFigures(
            raiser_agency=raiser,
            challenged_agency=challenged,
            opened=p["opened"],
            resolved_by_level=dict(sorted(p["resolved"].items())),
            withdrawn=p["withdrawn"],
            open_now=p["open"],
            open_past_deadline=p["late"],
            median_days_by_level={level: median_low(d) for level, d in sorted(p["days"].items())},
        )
        for (raiser, challenged), p in pairs.items()
    ]
    return sorted(
        found, key=lambda f: (-f.opened, -f.open_past_deadline, f.raiser_agency, f.challenged_agency)
    )
