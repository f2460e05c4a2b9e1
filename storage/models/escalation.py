"""Escalation (resolution of professional disagreement) policies, cases and steps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class PolicyVersion(SQLModel, table=True):
    """An immutable version of an escalation ladder; open escalations keep the version they started on."""

    __table_args__ = (UniqueConstraint("key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, max_length=80)
    version: int
    name: str = Field(max_length=200)
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    sha256: str = Field(max_length=64)
    is_default: bool = False
    loaded_at: datetime = Field(sa_type=UTCDateTime)
    loaded_by: str = Field(default="system", max_length=80)


class PolicyVersionImmutable(RuntimeError):
    """Something tried to change a stored policy version; load a new version instead."""


@event.listens_for(PolicyVersion, "before_update")
def _refuse_changes(_mapper: Any, _connection: Any, target: PolicyVersion) -> None:
    # Escalations are frozen on a version: changing it in place would rewrite their history.
    raise PolicyVersionImmutable(
        f"policy {target.key} version {target.version} is immutable; load a new version"
    )


class Escalation(SQLModel, table=True):
    """One professional disagreement being worked up the ladder, by case reference."""

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, index=True, max_length=20)  # ES-0007
    case_ref: str = Field(index=True, max_length=40)
    item_id: int | None = Field(default=None, foreign_key="trackeditem.id")
    raised_by_person_id: int = Field(foreign_key="person.id", index=True)
    other_team_id: int | None = Field(default=None, foreign_key="team.id")
    about: str = Field(default="", max_length=500)
    policy_version_id: int = Field(foreign_key="policyversion.id")
    level: int = 1
    level_started_at: datetime = Field(sa_type=UTCDateTime)
    level_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    status: str = Field(default="open", index=True, max_length=20)  # open, resolved, partnership, stopped
    outcome: str = Field(default="", max_length=200)
    rationale: str = Field(default="", max_length=1000)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Working days from opened_at to closed_at, frozen on closing (schedules.insight.figures.record_resolution).
    resolution_working_days: int | None = None


class EscalationStep(SQLModel, table=True):
    """A recorded step: level, who was contacted, what happened and why."""

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalation.id", index=True)
    level: int
    at: datetime = Field(sa_type=UTCDateTime)
    action: str = Field(max_length=30)  # started, contacted, resolved, not_resolved, timed_out, reminded
    person_id: int | None = Field(default=None, foreign_key="person.id")
    contacted: str = Field(default="", max_length=300)
    outcome: str = Field(default="", max_length=200)
    rationale: str = Field(default="", max_length=1000)
