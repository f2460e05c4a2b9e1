"""The search snapshot's cards: a team, its routes and escalation contacts, as search results show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# What a neighbour's feed holds, as the admin said when adding it.
PROFESSIONAL = "professional"
PUBLIC = "public"
SOURCE_KINDS = (PROFESSIONAL, PUBLIC)


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """One way to reach a team, as a search result shows it."""

    key: str
    kind: str
    value: str
    label: str
    when_to_use: str
    how_to_leave_message: str
    ack_expected: int | None
    ack_unit: str
    response_expected: int | None
    response_unit: str
    priority: int
    is_public: bool


@dataclass(frozen=True, slots=True)
class EscalationInfo:
    """Who to go to at one escalation level."""

    level: int
    role_title: str
    route_kind: str
    route_value: str


@dataclass(frozen=True, slots=True)
class TeamInfo:
    """Everything a search result needs to say about a team; also usable wherever hours are checked."""

    id: int
    key: str
    uuid: str
    name: str
    agency_key: str
    agency_name: str
    agency_kind: str
    purpose: str
    handles: str
    not_for: str
    areas: tuple[str, ...]
    hours: dict[str, Any]
    is_open_bank_holidays: bool
    closure_days: tuple[str, ...]
    out_of_hours_team_id: int | None
    nation: str
    owner_handle: str | None
    contact_person_handle: str | None
    last_verified_at: datetime | None
    review_interval_days: int
    is_public: bool
    is_immediate_danger: bool
    concerns: tuple[str, ...] = ()  # concern ids it handles first
    also_concerns: tuple[str, ...] = ()  # concern ids it also handles
    routes: tuple[RouteInfo, ...] = ()
    escalation: tuple[EscalationInfo, ...] = ()
    hours_published: bool = True  # False: nobody told us its hours, so it is never shown as open
    # Pulled from a neighbour's feed: the source's name, what it holds ("professional" or "public") and
    # when it was last pulled. "" for the partnership's own teams, which it verifies itself.
    source: str = ""
    source_kind: str = ""
    source_pulled_at: datetime | None = None
    base_address: str = ""

    @property
    def is_pulled(self) -> bool:
        """Tell whether it came from a neighbour's feed (not verified by the partnership)."""
        return bool(self.source)

    @property
    def is_public_service(self) -> bool:
        """A public family service from a feed: signposting, never a safeguarding route."""
        return self.source_kind == PUBLIC

    def review_due(self) -> datetime | None:
        """When the entry is next due for review (None: never verified, so due now)."""
        if self.last_verified_at is None:
            return None
        return self.last_verified_at + timedelta(days=self.review_interval_days)

    def is_stale(self, at: datetime) -> bool:
        """Tell whether the entry is overdue for review at `at`."""
        due = self.review_due()
        return due is None or at >= due
