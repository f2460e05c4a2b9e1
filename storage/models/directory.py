"""The contact protocol directory: agencies, teams (services), contact routes, escalation contacts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class Agency(SQLModel, table=True):
    """An organisation in the partnership, e.g. Northbrook Council children's services."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=80)
    uuid: str = Field(default_factory=lambda: str(uuid.uuid4()), unique=True, max_length=36)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=40)  # children_social_care, health, police, education, ...
    description: str = ""
    website: str | None = None
    # The neighbour's ORUK feed this organisation was pulled from; "" for the partnership's own.
    source: str = Field(default="", max_length=80, index=True)


class Team(SQLModel, table=True):
    """A team or service inside an agency that professionals contact."""

    # The open feed pages through the partnership's own public teams by id: a partial index holds just
    # those, so counting them and walking to a deep page never reads the rest of the table.
    __table_args__ = (
        Index(
            "ix_team_published",
            "id",
            postgresql_where=text("is_public AND source = ''"),
            sqlite_where=text("is_public AND source = ''"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=80)
    uuid: str = Field(default_factory=lambda: str(uuid.uuid4()), unique=True, max_length=36)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    name: str = Field(max_length=200)
    purpose: str = ""
    handles: str = ""  # what it handles, in the words a practitioner would type
    not_for: str = ""  # who or what it is not for
    areas: list[str] = Field(default_factory=list, sa_type=JSON)
    # {"mon": [["09:00", "17:15"]], ...}; an empty dict means open 24/7, but only when the hours are published.
    hours: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # False when nobody told us the hours (a pulled service whose feed gives none): never read as open 24/7.
    hours_published: bool = True
    is_open_bank_holidays: bool = False
    closure_days: list[str] = Field(default_factory=list, sa_type=JSON)  # ISO dates
    out_of_hours_team_id: int | None = Field(default=None, foreign_key="team.id")
    nation: str = Field(default="ENG", max_length=3)
    owner_handle: str | None = Field(default=None, max_length=80)
    contact_person_handle: str | None = Field(default=None, max_length=80)
    last_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    review_interval_days: int = 90
    is_public: bool = True
    is_immediate_danger: bool = False  # carries the 999 / immediate-danger line
    # Concern taxonomy ids (directory/concerns.yaml) this team handles first, and also handles.
    concerns_primary: list[str] = Field(default_factory=list, sa_type=JSON)
    concerns_also: list[str] = Field(default_factory=list, sa_type=JSON)
    # A service pulled from a neighbour's ORUK feed belongs to that source and is read-only here; "" for
    # the partnership's own teams. `source_id` is the id the publisher gives it (unique within the source).
    source: str = Field(default="", max_length=80, index=True)
    source_id: str = Field(default="", max_length=200)
    source_pulled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What the source holds, as the admin said when adding it: "professional" routes or "public" services.
    source_kind: str = Field(default="", max_length=20)
    # The team's office (a base), published as its physical location; an organisation's address, not a person's.
    base_address: str = Field(default="", max_length=300)  # street lines, e.g. "Town Hall, 1 Market Street"
    base_town: str = Field(default="", max_length=80)
    base_postcode: str = Field(default="", max_length=10)
    # When a pulled service's source stopped publishing it: the team is kept (tracked items may point to it)
    # but hidden from search, lists and the feed; None while it is published.
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DirectorySource(SQLModel, table=True):
    """A neighbour's Open Referral feed that the directory pulls on a schedule."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True, max_length=40)
    url: str = Field(max_length=500)
    kind: str = Field(max_length=20)  # professional | public: said by the admin, never guessed per record
    every_seconds: int = 86_400
    added_at: datetime = Field(sa_type=UTCDateTime)
    added_by: str = Field(default="cli", max_length=80)
    next_pull_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_good_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = ""  # one line; "" after a good pull
    held: str = ""  # why the last pull is waiting for an admin to confirm removals; "" when not held
    # The last pull's data-quality counts (pulled, usable, quarantined by reason, with contacts, ...).
    report: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class ContactRoute(SQLModel, table=True):
    """One way to reach a team: how, when to use it, how to leave a message, what response to expect."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=120)
    uuid: str = Field(default_factory=lambda: str(uuid.uuid4()), unique=True, max_length=36)
    team_id: int = Field(foreign_key="team.id", index=True)
    kind: str = Field(max_length=20)  # phone, secure_email, email, portal, chat
    value: str = Field(max_length=300)
    label: str = ""
    when_to_use: str = ""
    how_to_leave_message: str = ""
    ack_expected: int | None = None
    ack_unit: str = Field(default="working_days", max_length=20)  # working_hours | working_days
    response_expected: int | None = None
    response_unit: str = Field(default="working_days", max_length=20)
    priority: int = 0  # lower is preferred
    is_public: bool = True


class EscalationContact(SQLModel, table=True):
    """Who to go to at an escalation level for a team."""

    __table_args__ = (UniqueConstraint("team_id", "level", "role_title"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    level: int
    role_title: str = Field(max_length=200)
    route_kind: str = Field(max_length=20)
    route_value: str = Field(max_length=300)


class Synonym(SQLModel, table=True):
    """A search synonym: `term` also means `means` (e.g. MASH means children's front door)."""

    __table_args__ = (UniqueConstraint("term", "means"),)

    id: int | None = Field(default=None, primary_key=True)
    term: str = Field(index=True, max_length=80)
    means: str = Field(max_length=200)


class ConcernTaxonomy(SQLModel, table=True):
    """A loaded version of the area's concern taxonomy; the newest is the one search uses."""

    __table_args__ = (UniqueConstraint("version"),)

    id: int | None = Field(default=None, primary_key=True)
    version: int
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    sha256: str = Field(max_length=64)
    loaded_at: datetime = Field(sa_type=UTCDateTime)
    loaded_by: str = Field(default="system", max_length=80)


class DirectoryVersion(SQLModel, table=True):
    """One row counting writes to the directory, bumped in the writing transaction, so every replica's search
    index notices an edit made on another (directory/freshness.py)."""

    __tablename__ = "directory_version"

    id: int = Field(default=1, primary_key=True)
    version: int = 0
