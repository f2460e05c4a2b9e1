"""Claim a key once across every replica: the database's primary key decides who was first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from storage.models import ProcessedEvent


def claim_once(*, sessions: sessionmaker[Session], key: str, at: datetime) -> bool:
    """Record `key` as used; return False if it already was (here or on another replica)."""
    try:
        with sessions.begin() as session:
            session.add(ProcessedEvent(key=key[:200], received_at=at))
    except IntegrityError:
        return False
    return True
