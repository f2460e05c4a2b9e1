"""Partnership insight: response times and repeat contacts per receiving team, computed in SQL.

Every figure is one aggregate query that runs the same on SQLite and PostgreSQL: window functions for
percentiles (nearest rank), CASE sums for shares, and working-time durations frozen on each row when its clock
stopped (schedules.insight.durations), so no row is loaded into Python to be counted.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    or_,
    select,
)
from sqlmodel import Session, col

from schedules.insight.periods import Period
from schedules.insight.sql import (
    Distribution,
    days_between,
    distributions,
    distributions_with,
    tune_for_aggregates,
)
from storage.db import is_postgres
from storage.models import ContactAttempt, Escalation, Team, TrackedItem

# Outcomes that mean the receiving team decided no further action (the tracking flow records them).
NFA_OUTCOMES = ("nfa", "no_further_action")
RE_REFERRAL_DAYS = 90


@dataclass(frozen=True, slots=True)
class Share:
    """`met` out of `due`: clocks that stopped within the stated expectation, of those that are due."""

    met: int = 0
    due: int = 0

    @property
    def percent(self) -> int | None:
        """Return the share as a whole percentage, or None when nothing was due."""
        return None if self.due == 0 else round(100 * self.met / self.due)


@dataclass(frozen=True, slots=True)
class TeamFigures:
    """The headline figures for one receiving team (or every team in scope, with team_id None)."""

    team_id: int | None
    team_key: str
    team_name: str
    referrals: int = 0
    ack: Distribution = field(default_factory=Distribution)
    feedback: Distribution = field(default_factory=Distribution)
    ack_on_time: Share = Share()
    feedback_on_time: Share = Share()
    repeat_contacts: int = 0
    nfa: int = 0
    re_referred_after_nfa: int = 0

    @property
    def repeat_contact_percent(self) -> int | None:
        """Return the share of referrals that needed two or more chases or attempts."""
        return None if self.referrals == 0 else round(100 * self.repeat_contacts / self.referrals)

    @property
    def re_referral_percent(self) -> int | None:
        """Return the share of NFA decisions followed by a new referral within 90 days."""
        return None if self.nfa == 0 else round(100 * self.re_referred_after_nfa / self.nfa)


@dataclass(frozen=True, slots=True)
class EscalationFigures:
    """Escalations opened in the period about one team (or every team in scope)."""

    team_id: int | None
    opened: int = 0
    by_level: dict[int, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    resolution_days: Distribution = field(default_factory=Distribution)


# Call backs and information requests are counted apart (schedules/insight/kinds.py), not as referrals.
COUNTED_APART = ("callback", "information_request")


def in_period(
    period: Period, team_ids: Collection[int] | None, *, every_kind: bool = False
) -> list[ColumnElement[bool]]:
    """Items sent in the period to the teams: referrals only, unless `every_kind`."""
    conditions = [col(TrackedItem.sent_at) >= period.start_at, col(TrackedItem.sent_at) < period.end_at]
    if not every_kind:
        conditions.append(col(TrackedItem.kind).not_in(COUNTED_APART))
    if team_ids is not None:
        conditions.append(col(TrackedItem.to_team_id).in_(list(team_ids)))
    return conditions


def on_time(stopped_at: Any, due_at: Any, *, now: datetime) -> tuple[Any, Any]:
    """SUM expressions: clocks stopped by their deadline, and clocks that are due (stopped, or overdue)."""
    met = func.sum(
        case((and_(stopped_at.is_not(None), due_at.is_not(None), stopped_at <= due_at), 1), else_=0)
    )
    due = func.sum(case((and_(due_at.is_not(None), or_(stopped_at.is_not(None), due_at < now)), 1), else_=0))
    return met, due


def re_referred(session: Session, *, period: Period, team_ids: Collection[int] | None) -> dict[int, int]:
    """Per team: NFA decisions on referrals sent in the period that the same case came back within 90 days of.

    A join from the NFA items only (a small share) to later items about the same case, rather than a
    correlated EXISTS on every row: both backends then look each case up once by its index.
    """
    tune_for_aggregates(session)
    later = TrackedItem.__table__.alias("later")  # type: ignore[attr-defined]
    decided_at = func.coalesce(
        col(TrackedItem.feedback_at), col(TrackedItem.closed_at), col(TrackedItem.sent_at)
    )
    rows = session.execute(
        select(col(TrackedItem.to_team_id), func.count(func.distinct(col(TrackedItem.id))))
        .join(
            later,
            and_(
                later.c.case_ref == col(TrackedItem.case_ref),
                # "+ 0" keeps SQLite's planner on the case_ref index: the team index matches far more rows.
                later.c.to_team_id + 0 == col(TrackedItem.to_team_id),
                later.c.id != col(TrackedItem.id),
                later.c.sent_at > decided_at,
                days_between(decided_at, later.c.sent_at) <= RE_REFERRAL_DAYS,
            ),
        )
        .where(col(TrackedItem.outcome).in_(NFA_OUTCOMES), *in_period(period, team_ids))
        .group_by(col(TrackedItem.to_team_id))
    ).all()
    return {int(row[0]): int(row[1]) for row in rows}


def team_counts(
    *, session: Session, period: Period, now: datetime, team_ids: Collection[int] | None = None
) -> tuple[list[tuple[Any, ...]], dict[Any, Distribution]]:
    """Per receiving team: (team id, key, name, referrals, ack met, ack due, feedback met, feedback due,
    repeat contacts, NFA decisions), and the working minutes to acknowledgement, in one scan on PostgreSQL."""
    tune_for_aggregates(session)
    attempts = (
        select(col(ContactAttempt.item_id).label("item_id"), func.count().label("n"))
        .where(col(ContactAttempt.item_id).is_not(None))
        .group_by(col(ContactAttempt.item_id))
        .subquery()
    )
    ack_met, ack_due = on_time(col(TrackedItem.acknowledged_at), col(TrackedItem.ack_due_at), now=now)
    fb_met, fb_due = on_time(col(TrackedItem.feedback_at), col(TrackedItem.feedback_due_at), now=now)
    repeat = func.sum(
        case((or_(col(TrackedItem.chase_count) >= 2, func.coalesce(attempts.c.n, 0) >= 2), 1), else_=0)
    )
    is_nfa = col(TrackedItem.outcome).in_(NFA_OUTCOMES)
    acks, counts = distributions_with(
        session,
        value=col(TrackedItem.ack_working_minutes),
        group=col(TrackedItem.to_team_id),
        where=in_period(period, team_ids),
        extra=(func.count(), ack_met, ack_due, fb_met, fb_due, repeat, func.sum(case((is_nfa, 1), else_=0))),
        joins=((attempts, attempts.c.item_id == col(TrackedItem.id)),),
    )
    names = {
        row[0]: (row[1], row[2])
        for row in session.execute(
            select(col(Team.id), col(Team.key), col(Team.name)).where(col(Team.id).in_(list(counts)))
        ).all()
    }
    return [(team_id, *names[team_id], *row) for team_id, row in counts.items()], acks


def response_times(
    *,
    session: Session,
    period: Period,
    team_ids: Collection[int] | None = None,
    clock: str,
    per_team: bool = True,
) -> dict[Any, Distribution]:
    """Working minutes to acknowledgement (clock "ack") or feedback, per receiving team or (per_team False)
    for all of them together under the key 0."""
    tune_for_aggregates(session)
    value = col(TrackedItem.ack_working_minutes if clock == "ack" else TrackedItem.feedback_working_minutes)
    group = col(TrackedItem.to_team_id) if per_team else None
    return distributions(session, value=value, group=group, where=in_period(period, team_ids))


def combine_team_figures(
    counts: Sequence[tuple[Any, ...]],
    re_referred: dict[int, int],
    acks: dict[Any, Distribution],
    feedbacks: dict[Any, Distribution],
) -> list[TeamFigures]:
    """Put team_counts, re_referred and the two response_times together, busiest team first."""
    figures = [
        TeamFigures(
            team_id=row[0],
            team_key=row[1],
            team_name=row[2],
            referrals=row[3],
            ack=acks.get(row[0], Distribution()),
            feedback=feedbacks.get(row[0], Distribution()),
            ack_on_time=Share(int(row[4] or 0), int(row[5] or 0)),
            feedback_on_time=Share(int(row[6] or 0), int(row[7] or 0)),
            repeat_contacts=int(row[8] or 0),
            nfa=int(row[9] or 0),
            re_referred_after_nfa=re_referred.get(row[0], 0),
        )
        for row in counts
    ]
    return sorted(figures, key=lambda f: (-f.referrals, f.team_name))


def team_figures(
    *, session: Session, period: Period, now: datetime, team_ids: Collection[int] | None = None
) -> list[TeamFigures]:
    """Return the figures for every receiving team in scope with referrals in the period, busiest first."""
    counts, acks = team_counts(session=session, period=period, now=now, team_ids=team_ids)
    return combine_team_figures(
        counts,
        re_referred(session, period=period, team_ids=team_ids),
        acks,
        response_times(session=session, period=period, team_ids=team_ids, clock="feedback"),
    )


def overall_figures(
    *,
    session: Session,
    period: Period,
    now: datetime,
    team_ids: Collection[int] | None = None,
    per_team: Sequence[TeamFigures] | None = None,
) -> TeamFigures:
    """Return the figures for every team in scope taken together (pass `per_team` if already computed)."""
    if per_team is None:
        per_team = team_figures(session=session, period=period, now=now, team_ids=team_ids)
    return combine_overall(
        per_team, *overall_response_times(session=session, period=period, team_ids=team_ids)
    )


def overall_response_times(
    *, session: Session, period: Period, team_ids: Collection[int] | None = None
) -> tuple[Distribution, Distribution]:
    """Working minutes to acknowledgement and to feedback over every team in scope (one scan on PostgreSQL)."""
    tune_for_aggregates(session)
    ack, feedback = col(TrackedItem.ack_working_minutes), col(TrackedItem.feedback_working_minutes)
    if not is_postgres(session):
        where = in_period(period, team_ids)
        ack_all = distributions(session, value=ack, group=None, where=where).get(0, Distribution())
        return ack_all, distributions(session, value=feedback, group=None, where=where).get(0, Distribution())
    row = session.execute(
        select(
            *(
                aggregate
                for v in (ack, feedback)
                for aggregate in (
                    func.count(v),
                    func.percentile_disc(0.5).within_group(v),
                    func.percentile_disc(0.9).within_group(v),
                )
            )
        ).where(*in_period(period, team_ids))
    ).one()

    def at(i: int) -> Distribution:
        return Distribution(int(row[i]), row[i + 1], row[i + 2]) if row[i] else Distribution()

    return at(0), at(3)


def combine_overall(
    per_team: Sequence[TeamFigures], ack: Distribution, feedback: Distribution
) -> TeamFigures:
    """The figures of every team together: counts summed, response times as worked out over all of them."""

    def total(name: str) -> int:
        return sum(getattr(f, name) for f in per_team)

    return TeamFigures(
        team_id=None,
        team_key="all",
        team_name="All teams in view",
        referrals=total("referrals"),
        ack=ack,
        feedback=feedback,
        ack_on_time=Share(sum(f.ack_on_time.met for f in per_team), sum(f.ack_on_time.due for f in per_team)),
        feedback_on_time=Share(
            sum(f.feedback_on_time.met for f in per_team), sum(f.feedback_on_time.due for f in per_team)
        ),
        repeat_contacts=total("repeat_contacts"),
        nfa=total("nfa"),
        re_referred_after_nfa=total("re_referred_after_nfa"),
    )


def escalation_figures(
    *, session: Session, period: Period, team_ids: Collection[int] | None = None, per_team: bool = True
) -> list[EscalationFigures]:
    """Return escalations opened in the period by the highest level reached and by status, per other team."""
    tune_for_aggregates(session)
    opened = col(Escalation.opened_at)
    where: list[ColumnElement[bool]] = [opened >= period.start_at, opened < period.end_at]
    if team_ids is not None:
        where.append(col(Escalation.other_team_id).in_(list(team_ids)))
    # Without per_team, no team column at all: GROUP BY a constant means a column position in SQL.
    team: list[Any] = [col(Escalation.other_team_id)] if per_team else []
    by_level: dict[Any, dict[int, int]] = {}
    for row in session.execute(
        select(*team, col(Escalation.level), func.count())
        .where(*where)
        .group_by(*team, col(Escalation.level))
    ).all():
        key, level, count = (row[0] if team else 0), row[-2], row[-1]
        by_level.setdefault(key, {})[int(level)] = int(count)
    by_status: dict[Any, dict[str, int]] = {}
    for row in session.execute(
        select(*team, col(Escalation.status), func.count())
        .where(*where)
        .group_by(*team, col(Escalation.status))
    ).all():
        key, status, count = (row[0] if team else 0), row[-2], row[-1]
        by_status.setdefault(key, {})[str(status)] = int(count)
    days = distributions(
        session, value=col(Escalation.resolution_working_days), group=team[0] if team else None, where=where
    )
    return [
        EscalationFigures(
            team_id=key if per_team else None,
            opened=sum(levels.values()),
            by_level=dict(sorted(levels.items())),
            by_status=dict(sorted(by_status.get(key, {}).items())),
            resolution_days=days.get(key, Distribution()),
        )
        for key, levels in by_level.items()
    ]
