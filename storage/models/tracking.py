"""Referrals, callbacks and information requests between agencies, and the attempts to reach them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class TrackedItem(SQLModel, table=True):
    """Something sent from one person/team to another team about a case reference, with two clocks."""

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, index=True, max_length=20)  # TI-0042
    kind: str = Field(default="referral", max_length=30)  # referral, callback, information_request, ...
    case_ref: str = Field(index=True, max_length=40)
    from_person_id: int = Field(foreign_key="person.id", index=True)
    from_team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    to_team_id: int = Field(foreign_key="team.id", index=True)
    # A callback owed by one joinup user (named by @mention or handle), not by whoever is on duty.
    to_person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    route_id: int | None = Field(default=None, foreign_key="contactroute.id")
    method: str = Field(default="phone", max_length=20)
    about: str = Field(default="", max_length=500)
    nation: str = Field(default="ENG", max_length=3)
    sent_at: datetime = Field(sa_type=UTCDateTime)
    # An information request tied to a meeting ("the ICPC on 12/01/2027"): both sides are warned the
    # working day before it if nothing has come back.
    meeting: str = Field(default="", max_length=60)
    meeting_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ack_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    feedback_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    feedback_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=40)
    outcome_reason: str = Field(default="", max_length=500)
    status: str = Field(default="open", index=True, max_length=20)  # open, paused, closed
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    pause_reason: str = Field(default="", max_length=200)
    ack_remaining_minutes: int | None = None  # working minutes left when paused
    feedback_remaining_minutes: int | None = None
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    chase_count: int = 0
    # Working minutes from sent_at to acknowledged_at / feedback_at, frozen when each clock stops
    # (schedules.insight.figures.record_durations), so insight aggregates them in SQL.
    ack_working_minutes: int | None = None
    feedback_working_minutes: int | None = None
    # Working minutes each clock spent paused ("waiting for the family"), banked at resume and taken off
    # the durations above, as the due dates leave it out too.
    ack_paused_minutes: int = 0
    feedback_paused_minutes: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)


class ContactAttempt(SQLModel, table=True):
    """One attempt to reach the other party: a call, an e-mail, a portal message."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int | None = Field(default=None, foreign_key="trackeditem.id", index=True)
    case_ref: str = Field(index=True, max_length=40)
    team_id: int = Field(foreign_key="team.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    method: str = Field(default="phone", max_length=20)
    result: str = Field(max_length=20)  # spoke, left_message, no_answer, sent
    note: str = Field(default="", max_length=500)


class SharingDecision(SQLModel, table=True):
    """An information-sharing decision recorded at the end of the share? walkthrough."""

    id: int | None = Field(default=None, primary_key=True)
    case_ref: str = Field(index=True, max_length=40)
    person_id: int = Field(foreign_key="person.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    decision: str = Field(max_length=20)  # shared, not_shared
    with_whom: str = Field(default="", max_length=200)
    purpose: str = Field(default="", max_length=500)
    lawful_basis: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=500)
