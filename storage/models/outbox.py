"""The reminder outbox and digest runs: every future message is a row, so nothing is lost on restart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class Reminder(SQLModel, table=True):
    """A message due to be sent to a person at `due_at`; claimed under a lease by one sweeper."""

    # The sweep reads pending rows in due order and stops at its batch size: this index makes that a short
    # range scan however many reminders have been sent. It also serves every lookup by status, so status and
    # due_at have no index of their own (each index is one more write when a reminder is marked sent).
    __table_args__ = (Index("ix_reminder_status_due_at", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True, max_length=200)
    recipient_person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=40)  # ack_chase, feedback_chase, receiver_chase, escalation_timer, ...
    subject_kind: str = Field(default="item", max_length=20)  # item, escalation, team, digest
    subject_id: int | None = None
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default="pending", max_length=20)  # pending, claimed, sent, failed, cancelled
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message_ref: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # platform id for later updates
    created_at: datetime = Field(sa_type=UTCDateTime)


class DigestRun(SQLModel, table=True):
    """One manager's digest for one period; the unique key makes it exactly-once across replicas."""

    __table_args__ = (UniqueConstraint("recipient_person_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    recipient_person_id: int = Field(foreign_key="person.id", index=True)
    period: str = Field(max_length=40)  # daily:2026-11-25, weekly:2026-W48
    status: str = Field(default="claimed", max_length=20)  # claimed, sent, failed
    is_late: bool = False
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
