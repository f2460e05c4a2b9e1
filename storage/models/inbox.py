"""The inbox: every verified request a chat platform hands joinup, kept until its work is done."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class InboxItem(SQLModel, table=True):
    """One platform request: written and acknowledged at once, then claimed under a lease by one worker.

    `content` holds only what the work needs (the sender's platform id, their words, where to answer) and is
    emptied as soon as the row is done, or has finally failed and the person has been told.
    """

    __tablename__ = "inbox"
    # Workers read pending rows in due order: a short range scan on (status, due_at), as for reminders.
    __table_args__ = (Index("ix_inbox_status_due_at", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=10)  # slack, teams
    # The platform's id for the request (Slack event id or trigger id, Teams activity id): a redelivery
    # of the same request finds this row instead of making a second one.
    event_key: str = Field(unique=True, max_length=200)
    kind: str = Field(max_length=40)  # slack.command, slack.dm, slack.button, slack.form, teams.message, ...
    content: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default="pending", max_length=20)  # pending, claimed, done, failed, dropped
    received_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)  # when a worker may next try it
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
