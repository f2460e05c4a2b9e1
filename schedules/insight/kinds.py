"""Referrals, call backs and information requests counted apart, per receiving team, and how reliably each
team returns call backs (the share returned on time, and the median delay), in SQL like the other figures."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlmodel import Session, col

from schedules.insight.figures import Share, in_period, on_time
from schedules.insight.periods import Period
from schedules.insight.sql import Distribution, days_between, distributions, tune_for_aggregates
from storage.models import Team, TrackedItem

MINUTES_A_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class KindFigures:
    """One receiving team's referrals, call backs and information requests, and its call-back reliability."""

    team_id: int
    team_name: str
    referrals: int = 0
    callbacks: int = 0
    information_requests: int = 0
    callbacks_on_time: Share = field(default_factory=Share)
    requests_on_time: Share = field(default_factory=Share)
    # Minutes a call back came after the time it was expected (0 when on time), over those returned.
    callback_delay: Distribution = field(default_factory=Distribution)


def kind_figures(
    *, session: Session, period: Period, now: datetime, team_ids: Collection[int] | None = None
) -> list[KindFigures]:
    """Per receiving team, busiest first: each kind's count, call backs and requests answered on time,
    and the median delay of call backs."""
    tune_for_aggregates(session)
    kind = col(TrackedItem.kind)
    is_callback, is_request = kind == "callback", kind == "information_request"
    cb_met, cb_due = on_time(col(TrackedItem.feedback_at), col(TrackedItem.ack_due_at), now=now)
    rq_met, rq_due = on_time(col(TrackedItem.feedback_at), col(TrackedItem.feedback_due_at), now=now)

    rows = session.execute(
        select(
            col(TrackedItem.to_team_id),
            func.sum(case((kind == "referral", 1), else_=0)),
            func.sum(case((is_callback, 1), else_=0)),
            func.sum(case((is_request, 1), else_=0)),
        )
        .where(*in_period(period, team_ids, every_kind=True))
        .group_by(col(TrackedItem.to_team_id))
    ).all()
    callbacks = _shares(session, period, team_ids, is_callback, cb_met, cb_due)
    requests = _shares(session, period, team_ids, is_request, rq_met, rq_due)
    returned_late = and_(
        col(TrackedItem.feedback_at).is_not(None),
        col(TrackedItem.ack_due_at).is_not(None),
        col(TrackedItem.feedback_at) > col(TrackedItem.ack_due_at),
    )
    delay = case(
        (
            returned_late,
            func.round(
                days_between(col(TrackedItem.ack_due_at), col(TrackedItem.feedback_at)) * MINUTES_A_DAY
            ),
        ),
        else_=0,
    )
    delays = distributions(
        session,
        value=case((col(TrackedItem.feedback_at).is_not(None), delay), else_=None),
        group=col(TrackedItem.to_team_id),
        where=[is_callback, *in_period(period, team_ids, every_kind=True)],
    )
    names = dict(
        session.execute(
            select(col(Team.id), col(Team.name)).where(col(Team.id).in_([r[0] for r in rows]))
        ).all()
    )
    figures = [
        KindFigures(
            team_id=int(row[0]),
            team_name=str(names.get(row[0], "")),
            referrals=int(row[1] or 0),
            callbacks=int(row[2] or 0),
            information_requests=int(row[3] or 0),
            callbacks_on_time=callbacks.get(row[0], Share()),
            requests_on_time=requests.get(row[0], Share()),
            callback_delay=delays.get(row[0], Distribution()),
        )
        for row in rows
    ]
    return sorted(figures, key=lambda f: (-(f.referrals + f.callbacks + f.information_requests), f.team_name))


def _shares(
    session: Session,
    period: Period,
    team_ids: Collection[int] | None,
    of_kind: object,
    met: object,
    due: object,
) -> dict[int, Share]:
    rows = session.execute(
        select(col(TrackedItem.to_team_id), met, due)  # type: ignore[call-overload]
        .where(of_kind, *in_period(period, team_ids, every_kind=True))
        .group_by(col(TrackedItem.to_team_id))
    ).all()
    return {int(r[0]): Share(int(r[1] or 0), int(r[2] or 0)) for r in rows}
