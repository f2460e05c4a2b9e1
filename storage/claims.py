"""Claim a key once across every replica: the database's primary key decides who was first.

The keys live in `processedevent` with a prefix per kind (`slack:`, `teams:`, `web-link:`); each kind forgets
its own old keys once they can no longer come back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col

from storage.models import ProcessedEvent


def forget(session: Session, *, prefix: str, before: datetime) -> int:
    """Delete the keys starting with `prefix` claimed before `before`; return how many went."""
    result = session.execute(
        delete(ProcessedEvent)
        .where(col(ProcessedEvent.key).startswith(prefix))
        .where(col(ProcessedEvent.received_at) < before)
    )
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


def claim_once(
    *,
    sessions: sessionmaker[Session],
    key: str,
    at: datetime,
    prefix: str = "",
    forget_before: datetime | None = None,
) -> bool:
    """Record `key` as used; return False if it already was (here or on another replica).

    With `forget_before`, keys starting with `prefix` claimed before then are forgotten in the same transaction.
    """
    try:
        with sessions.begin() as session:
            if forget_before is not None:
                forget(session, prefix=prefix, before=forget_before)
            session.add(ProcessedEvent(key=key[:200], received_at=at))
    except IntegrityError:
        return False
    return True


def release(*, sessions: sessionmaker[Session], key: str) -> None:
    """Forget one claimed key, so the next claim of it succeeds (its work failed and must be done again)."""
    with sessions.begin() as session:
        session.execute(delete(ProcessedEvent).where(col(ProcessedEvent.key) == key[:200]))
