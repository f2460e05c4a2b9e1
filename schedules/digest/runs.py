"""Digest runs in bulk: which (manager, period) pairs still need sending, claiming them, recording outcomes.

One sender claims a chunk of managers with one `INSERT … ON CONFLICT DO NOTHING RETURNING` (the unique key on
(recipient, period) decides between replicas), then takes over failed or abandoned runs with one
compare-and-set `UPDATE … RETURNING`. Claims are committed before anything is sent; outcomes are recorded
after, with one executemany UPDATE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from schedules.digest.schedule import CLAIM_LEASE, CLAIMED, FAILED, SENT, Period
from schedules.time.clock import Clock
from storage.db import is_postgres
from storage.models import DigestRun

# How far back to look for the digest a new one is compared with (a weekly digest's is a week old).
COMPARE_WINDOW = timedelta(days=35)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A run this sender won: its id and whether it is late."""

    run_id: int
    is_late: bool


def unsettled(
    *, session: Session, now: datetime, wanted: Sequence[tuple[int, Period]]
) -> list[tuple[int, Period]]:
    """Keep the (manager, period) pairs with no run yet, a failed run, or a claim whose lease ran out."""
    if not wanted:
        return []
    keys = {(person_id, period.key) for person_id, period in wanted}
    settled = {
        (person_id, key)
        for person_id, key, status, claimed_at in session.exec(
            select(
                DigestRun.recipient_person_id, DigestRun.period, DigestRun.status, DigestRun.created_at
            ).where(
                col(DigestRun.period).in_(sorted({k for _, k in keys})),
                col(DigestRun.recipient_person_id).in_(sorted({p for p, _ in keys})),
            )
        )
        if status != FAILED and not (status == CLAIMED and claimed_at < now - CLAIM_LEASE)
    }
    return [(person_id, period) for person_id, period in wanted if (person_id, period.key) not in settled]


def claim_many(*, session: Session, clock: Clock, wanted: Sequence[tuple[int, Period]]) -> dict[int, Claimed]:
    """Claim (manager, period) runs for this sender; return the ones it won, by person id.

    Commit before sending, so other replicas see the claims.
    """
    if not wanted:
        return {}
    now = clock.now()
    dialect = postgresql if is_postgres(session) else sqlite
    connection = session.connection()
    rows = [
        {
            "recipient_person_id": person_id,
            "period": period.key,
            "status": CLAIMED,
            "is_late": period.is_late_at(now),
            "counts": {},
            "created_at": now,
        }
        for person_id, period in wanted
    ]
    inserted = connection.execute(
        dialect.insert(DigestRun)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["recipient_person_id", "period"])
        .returning(col(DigestRun.id), col(DigestRun.recipient_person_id), col(DigestRun.is_late))
    ).all()
    won = {int(row[1]): Claimed(int(row[0]), bool(row[2])) for row in inserted}
    rest = [(person_id, period.key) for person_id, period in wanted if person_id not in won]
    if rest:
        # Compare-and-set: only one sender's UPDATE matches a failed run, or a claim whose sender died.
        retaken = connection.execute(
            update(DigestRun)
            .where(tuple_(col(DigestRun.recipient_person_id), col(DigestRun.period)).in_(rest))
            .where(
                or_(
                    col(DigestRun.status) == FAILED,
                    and_(col(DigestRun.status) == CLAIMED, col(DigestRun.created_at) < now - CLAIM_LEASE),
                )
            )
            .values(status=CLAIMED, created_at=now)
            .returning(col(DigestRun.id), col(DigestRun.recipient_person_id), col(DigestRun.is_late))
        ).all()
        won.update({int(row[1]): Claimed(int(row[0] or 0), bool(row[2])) for row in retaken})
    return won


def previous_counts_many(
    *, session: Session, now: datetime, current: dict[int, str]
) -> dict[int, dict[str, Any]]:
    """Return each manager's counts from their last sent digest other than the current period's."""
    found: dict[int, tuple[datetime, dict[str, Any]]] = {}
    for person_id, period, counts, sent_at in session.exec(
        select(DigestRun.recipient_person_id, DigestRun.period, DigestRun.counts, DigestRun.sent_at)
        .where(col(DigestRun.recipient_person_id).in_(sorted(current)), col(DigestRun.status) == SENT)
        .where(col(DigestRun.sent_at) >= now - COMPARE_WINDOW)
    ):
        if sent_at is None or period == current.get(person_id):
            continue
        if person_id not in found or sent_at > found[person_id][0]:
            found[person_id] = (sent_at, dict(counts))
    return {person_id: counts for person_id, (_, counts) in found.items()}


def record_many(
    *, session: Session, clock: Clock, outcomes: Sequence[tuple[int, str, dict[str, Any]]]
) -> None:
    """Record (run id, status, counts) for claimed runs in one executemany UPDATE."""
    if not outcomes:
        return
    now = clock.now()
    session.connection().execute(
        update(DigestRun)
        .where(col(DigestRun.id) == bindparam("run_id"))
        .values(
            status=bindparam("new_status"), counts=bindparam("new_counts"), sent_at=bindparam("new_sent_at")
        ),
        [
            {
                "run_id": run_id,
                "new_status": status,
                "new_counts": counts,
                "new_sent_at": now if status == SENT else None,
            }
            for run_id, status, counts in outcomes
        ],
    )
