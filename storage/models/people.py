"""People who use joinup, their roles and where to reach them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class Person(SQLModel, table=True):
    """A professional using joinup. Never a child or family member."""

    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(unique=True, index=True, max_length=80)
    display_name: str = Field(max_length=200)
    email: str | None = Field(default=None, index=True, max_length=254)
    job_title: str = ""
    role: str = Field(default="practitioner", max_length=20)  # practitioner, manager, directory_admin, ...
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    manager_id: int | None = Field(default=None, foreign_key="person.id")
    nation: str = Field(default="ENG", max_length=3)
    slack_user_id: str | None = Field(default=None, unique=True, max_length=40)
    teams_user_id: str | None = Field(default=None, unique=True, max_length=100)
    is_onboarded: bool = False
    digest_schedule: str = Field(default="daily", max_length=10)  # daily, weekly, off
    digest_time: str = Field(default="08:30", max_length=5)  # London time, HH:MM
    quiet_hours_ok: bool = False  # True: reminders may arrive outside working hours
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RoleGrant(SQLModel, table=True):
    """An extra role with a scope: manager of a team, admin of an agency, auditor, partnership lead."""

    __table_args__ = (UniqueConstraint("person_id", "role", "team_id", "agency_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=20)  # manager, directory_admin, auditor, partnership
    team_id: int | None = Field(default=None, foreign_key="team.id")
    agency_id: int | None = Field(default=None, foreign_key="agency.id")


class ConversationRef(SQLModel, table=True):
    """Where to send a proactive message to a person on one platform."""

    __table_args__ = (UniqueConstraint("person_id", "platform"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    platform: str = Field(max_length=20)  # slack, teams, console
    address: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConversationState(SQLModel, table=True):
    """A multi-step conversation in progress (onboarding, share?, escalate), kept in the database."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", unique=True)
    flow: str = Field(max_length=40)
    step: str = Field(max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ProcessedEvent(SQLModel, table=True):
    """An inbound platform event already handled; makes retries and duplicates harmless."""

    key: str = Field(primary_key=True, max_length=200)
    received_at: datetime = Field(sa_type=UTCDateTime)
