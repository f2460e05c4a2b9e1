"""The append-only, hash-chained audit log table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class AuditEvent(SQLModel, table=True):
    """A state change or sensitive read; each row holds the keyed hash (HMAC) of the one before it."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    # 1, 2, 3, ... with no gaps: a missing number is a deleted event.
    seq: int = Field(unique=True)
    # Which audit key sealed this event, so keys can be rotated and old events still checked.
    key_id: str = Field(default="", max_length=40)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=80)
    action: str = Field(index=True, max_length=60)
    subject: str = Field(default="", index=True, max_length=120)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(unique=True, max_length=64)
