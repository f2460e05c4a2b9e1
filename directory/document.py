"""The directory as plain data: what every import format reads into and every export format writes from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from storage.errors import DomainError

ROUTE_KINDS = ("phone", "secure_email", "email", "portal", "chat")
EXPECTATION_UNITS = ("working_hours", "working_days")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Hours used on a bank holiday, if a team gives them (e.g. the emergency duty team is open all day).
BANK_HOLIDAY_KEY = "bank_holiday"
HOURS_KEYS = (*WEEKDAYS, BANK_HOLIDAY_KEY)

Hours = dict[str, list[tuple[str, str]]]


@dataclass(slots=True)
class RouteDoc:
    """One way to reach a team."""

    key: str
    kind: str
    value: str
    uuid: str = ""
    label: str = ""
    when_to_use: str = ""
    how_to_leave_message: str = ""
    ack_expected: int | None = None
    ack_unit: str = "working_days"
    response_expected: int | None = None
    response_unit: str = "working_days"
    priority: int = 0
    is_public: bool = True


@dataclass(slots=True)
class EscalationDoc:
    """Who to go to at one escalation level for a team."""

    level: int
    role_title: str
    route_kind: str
    route_value: str


@dataclass(slots=True)
class TeamDoc:
    """A team or service and everything about how to reach it."""

    key: str
    name: str
    agency_key: str
    uuid: str = ""
    purpose: str = ""
    handles: str = ""
    not_for: str = ""
    areas: list[str] = field(default_factory=list)
    hours: Hours = field(default_factory=dict)
    is_open_bank_holidays: bool = False
    closure_days: list[str] = field(default_factory=list)
    out_of_hours_team_key: str | None = None
    nation: str = "ENG"
    owner_handle: str | None = None
    contact_person_handle: str | None = None
    last_verified_at: datetime | None = None
    review_interval_days: int = 90
    is_public: bool = True
    is_immediate_danger: bool = False
    concerns: list[str] = field(default_factory=list)  # concern ids it handles first
    also_concerns: list[str] = field(default_factory=list)  # concern ids it also handles
    # The team's office, if it has one: published as a physical location. An organisation's address.
    base_address: str = ""
    base_town: str = ""
    base_postcode: str = ""
    routes: list[RouteDoc] = field(default_factory=list)
    escalation: list[EscalationDoc] = field(default_factory=list)


@dataclass(slots=True)
class AgencyDoc:
    """An organisation in the partnership."""

    key: str
    name: str
    kind: str
    uuid: str = ""
    description: str = ""
    website: str | None = None


@dataclass(slots=True)
class DirectoryDoc:
    """A whole directory (or part of one) ready to import or just exported."""

    agencies: list[AgencyDoc] = field(default_factory=list)
    teams: list[TeamDoc] = field(default_factory=list)
    synonyms: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in an import file: where it is and what is wrong, in plain words."""

    file: str
    location: str  # "line 12" or "row 4"
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}, {self.location}, {self.field}: {self.message}"


class DirectoryInvalid(DomainError):
    """An import file has problems; nothing was stored."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the directory file")
        self.problems = problems
