"""Insight over time and by band: referrals and acknowledgement times week by week, and how acknowledgements
spread across working-hour bands. Aggregate SQL on SQLite and PostgreSQL, as in schedules.insight.figures.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ARRAY, bindparam, case, func, literal, select
from sqlmodel import Session, col

from schedules.insight.figures import Share, in_period, on_time
from schedules.insight.periods import Period, weeks_in
from schedules.insight.sql import Distribution, distributions_with, tune_for_aggregates
from storage.db import is_postgres
from storage.models import TrackedItem
from storage.types import UTCDateTime

# Working-hour buckets for the acknowledgement distribution: (label, upper bound in minutes, exclusive).
ACK_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("under 1 hour", 60),
    ("1 to 4 hours", 240),
    ("4 to 8 hours", 480),
    ("1 to 2 working days", 960),
    ("2 to 5 working days", 2400),
    ("over 5 working days", None),
)


@dataclass(frozen=True, slots=True)
class WeekFigures:
    """One week of the trend: referrals sent and how fast they were acknowledged."""

    week_on: date
    referrals: int
    ack: Distribution
    ack_on_time: Share


def ack_histogram(
    *, session: Session, period: Period, team_ids: Collection[int] | None = None
) -> list[tuple[str, int]]:
    """Return how many acknowledgements fell in each working-hour bucket (ACK_BUCKETS)."""
    tune_for_aggregates(session)
    minutes = col(TrackedItem.ack_working_minutes)
    whens = [
        (minutes < bound, index) for index, (_label, bound) in enumerate(ACK_BUCKETS) if bound is not None
    ]
    bucket = case(*whens, else_=len(ACK_BUCKETS) - 1)
    rows = session.execute(
        select(bucket, func.count())
        .where(minutes.is_not(None), *in_period(period, team_ids))
        .group_by(bucket)
    ).all()
    counts = {int(row[0]): int(row[1]) for row in rows}
    return [(label, counts.get(index, 0)) for index, (label, _bound) in enumerate(ACK_BUCKETS)]


def weekly_trend(
    *, session: Session, period: Period, now: datetime, team_ids: Collection[int] | None = None
) -> list[WeekFigures]:
    """Return referrals, acknowledgement times and the on-time share for each London week of the period."""
    tune_for_aggregates(session)
    weeks = weeks_in(period)
    sent = col(TrackedItem.sent_at)

    def week_of(first: int, last: int) -> Any:
        # A binary search in SQL: about five comparisons per row instead of one per week.
        if first == last:
            return literal(first)
        middle = (first + last) // 2
        return case(
            (sent < literal(weeks[middle][2], UTCDateTime), week_of(first, middle)),
            else_=week_of(middle + 1, last),
        )

    if is_postgres(session):
        # width_bucket: the same binary search, done by PostgreSQL in C (0 before the first week).
        starts = bindparam("week_starts", [w[1] for w in weeks], type_=ARRAY(UTCDateTime()))
        bucket: Any = func.width_bucket(sent, starts) - 1
    else:
        bucket = case(
            (sent < literal(weeks[0][1], UTCDateTime), literal(-1)), else_=week_of(0, len(weeks) - 1)
        )
    ack_met, ack_due = on_time(col(TrackedItem.acknowledged_at), col(TrackedItem.ack_due_at), now=now)
    acks, extras = distributions_with(
        session,
        value=col(TrackedItem.ack_working_minutes),
        group=bucket,
        where=in_period(period, team_ids),
        extra=(func.count(), ack_met, ack_due),
    )
    counts = {int(k): (int(v[0]), Share(int(v[1] or 0), int(v[2] or 0))) for k, v in extras.items()}
    return [
        WeekFigures(
            week_on=monday,
            referrals=counts.get(index, (0, Share()))[0],
            ack=acks.get(index, Distribution()),
            ack_on_time=counts.get(index, (0, Share()))[1],
        )
        for index, (monday, _start, _end) in enumerate(weeks)
    ]
