"""Read agencies, teams, routes and escalation contacts from plain mappings, collecting every problem.

YAML and CSV both turn their input into these mappings (the YAML field names), so one set of rules
decides what a valid directory entry is, and every problem names its file, line or row, and field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from directory import fields
from directory.document import AgencyDoc, EscalationDoc, Problem, RouteDoc, TeamDoc

T = TypeVar("T")
Where = Callable[[str], str]  # field name → "line 12" or "row 4"


class Collector:
    """Collects problems while reading one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, location: str, field: str, message: str) -> None:
        """Record one problem."""
        self.problems.append(Problem(self.file, location, field, message))

    def read(
        self, raw: Mapping[str, Any], name: str, where: Where, parse: Callable[[Any], T], default: T
    ) -> T:
        """Parse `raw[name]`; on failure record the problem and return `default`."""
        try:
            return parse(raw.get(name))
        except ValueError as error:
            self.add(where(name), name, str(error))
            return default


def _text(required: bool = False, max_length: int = 2000) -> Callable[[Any], str]:
    return lambda value: fields.check_text(value, required=required, max_length=max_length)


def _optional_text(value: Any) -> str | None:
    return fields.check_text(value, max_length=300) or None


def _list(parse: Callable[[Any], str]) -> Callable[[Any], list[str]]:
    def read(value: Any) -> list[str]:
        if value in (None, ""):
            return []
        items = value if isinstance(value, list) else fields.split_list(str(value))
        return [parse(item) for item in items]

    return read


def _optional_bool(default: bool) -> Callable[[Any], bool]:
    return lambda value: default if value is None or value == "" else fields.parse_bool(value)


def read_agency(c: Collector, raw: Mapping[str, Any], where: Where) -> AgencyDoc:
    """Read one agency."""
    return AgencyDoc(
        key=c.read(raw, "key", where, fields.check_key, ""),
        name=c.read(raw, "name", where, _text(required=True, max_length=200), ""),
        kind=c.read(raw, "kind", where, _text(required=True, max_length=40), ""),
        uuid=c.read(raw, "uuid", where, _text(max_length=36), ""),
        description=c.read(raw, "description", where, _text(), ""),
        website=c.read(raw, "website", where, lambda v: fields.check_url(v) if v else None, None),
    )


def read_team(c: Collector, raw: Mapping[str, Any], where: Where, *, agency_key: str) -> TeamDoc:
    """Read one team, without its routes and escalation contacts."""
    return TeamDoc(
        key=c.read(raw, "key", where, fields.check_key, ""),
        name=c.read(raw, "name", where, _text(required=True, max_length=200), ""),
        agency_key=agency_key,
        uuid=c.read(raw, "uuid", where, _text(max_length=36), ""),
        purpose=c.read(raw, "purpose", where, _text(), ""),
        handles=c.read(raw, "handles", where, _text(), ""),
        not_for=c.read(raw, "not_for", where, _text(), ""),
        areas=c.read(raw, "areas", where, _list(_text(required=True, max_length=80)), []),
        hours=c.read(raw, "hours", where, fields.parse_hours, {}),
        is_open_bank_holidays=c.read(raw, "open_bank_holidays", where, _optional_bool(False), False),
        closure_days=c.read(raw, "closure_days", where, _list(fields.parse_day), []),
        out_of_hours_team_key=c.read(
            raw, "out_of_hours", where, lambda v: fields.check_key(v) if v else None, None
        ),
        nation=c.read(raw, "nation", where, fields.check_nation, "ENG"),
        owner_handle=c.read(raw, "owner", where, _optional_text, None),
        contact_person_handle=c.read(raw, "contact_person", where, _optional_text, None),
        last_verified_at=c.read(raw, "last_verified", where, fields.parse_moment, None),
        review_interval_days=c.read(
            raw,
            "review_interval_days",
            where,
            lambda v: fields.parse_count(90 if v in (None, "") else v, minimum=1) or 90,
            90,
        ),
        is_public=c.read(raw, "public", where, _optional_bool(True), True),
        is_immediate_danger=c.read(raw, "immediate_danger", where, _optional_bool(False), False),
        concerns=c.read(raw, "concerns", where, _list(fields.check_key), []),
        also_concerns=c.read(raw, "also_concerns", where, _list(fields.check_key), []),
        base_address=c.read(raw, "base_address", where, _text(max_length=300), ""),
        base_town=c.read(raw, "base_town", where, _text(max_length=80), ""),
        base_postcode=c.read(raw, "base_postcode", where, fields.check_postcode, ""),
    )


def read_route(c: Collector, raw: Mapping[str, Any], where: Where) -> RouteDoc:
    """Read one contact route."""
    kind = c.read(raw, "kind", where, fields.check_route_kind, "")
    value = c.read(raw, "value", where, lambda v: fields.check_route_value(kind, v), "") if kind else ""
    return RouteDoc(
        key=c.read(raw, "key", where, fields.check_key, ""),
        kind=kind,
        value=value,
        uuid=c.read(raw, "uuid", where, _text(max_length=36), ""),
        label=c.read(raw, "label", where, _text(max_length=200), ""),
        when_to_use=c.read(raw, "when_to_use", where, _text(), ""),
        how_to_leave_message=c.read(raw, "how_to_leave_message", where, _text(), ""),
        ack_expected=c.read(raw, "ack_within", where, lambda v: fields.parse_count(v, optional=True), None),
        ack_unit=c.read(raw, "ack_unit", where, fields.check_unit, "working_days"),
        response_expected=c.read(
            raw, "response_within", where, lambda v: fields.parse_count(v, optional=True), None
        ),
        response_unit=c.read(raw, "response_unit", where, fields.check_unit, "working_days"),
        priority=c.read(raw, "priority", where, lambda v: fields.parse_count(v or 0) or 0, 0),
        is_public=c.read(raw, "public", where, _optional_bool(True), True),
    )


def read_escalation(c: Collector, raw: Mapping[str, Any], where: Where) -> EscalationDoc:
    """Read one escalation contact."""
    kind = c.read(raw, "kind", where, fields.check_route_kind, "")
    return EscalationDoc(
        level=c.read(raw, "level", where, lambda v: _level(v), 0),
        role_title=c.read(raw, "role", where, _text(required=True, max_length=200), ""),
        route_kind=kind,
        route_value=c.read(raw, "value", where, lambda v: fields.check_route_value(kind, v), "")
        if kind
        else "",
    )


def _level(value: Any) -> int:
    level = fields.parse_count(value, minimum=1) or 0
    if level > 9:
        raise ValueError(f"{level} is not an escalation level; levels run from 1 to 9")
    return level


# --- writing: the inverse of the readers, in the YAML field names ---------------------------------
def agency_record(agency: AgencyDoc) -> dict[str, Any]:
    """Write an agency in the YAML field names."""
    return {
        "key": agency.key,
        "uuid": agency.uuid,
        "name": agency.name,
        "kind": agency.kind,
        "description": agency.description,
        "website": agency.website or "",
    }


def team_record(team: TeamDoc) -> dict[str, Any]:
    """Write a team (without routes and escalation) in the YAML field names."""
    return {
        "key": team.key,
        "uuid": team.uuid,
        "name": team.name,
        "purpose": team.purpose,
        "handles": team.handles,
        "not_for": team.not_for,
        "areas": list(team.areas),
        "hours": {day: [f"{start}-{end}" for start, end in spans] for day, spans in team.hours.items()},
        "open_bank_holidays": team.is_open_bank_holidays,
        "closure_days": list(team.closure_days),
        "out_of_hours": team.out_of_hours_team_key or "",
        "nation": team.nation,
        "owner": team.owner_handle or "",
        "contact_person": team.contact_person_handle or "",
        "last_verified": fields.format_moment(team.last_verified_at),
        "review_interval_days": team.review_interval_days,
        "public": team.is_public,
        "immediate_danger": team.is_immediate_danger,
        "concerns": list(team.concerns),
        "also_concerns": list(team.also_concerns),
        "base_address": team.base_address,
        "base_town": team.base_town,
        "base_postcode": team.base_postcode,
    }


def route_record(route: RouteDoc) -> dict[str, Any]:
    """Write a route in the YAML field names."""
    return {
        "key": route.key,
        "uuid": route.uuid,
        "kind": route.kind,
        "value": route.value,
        "label": route.label,
        "when_to_use": route.when_to_use,
        "how_to_leave_message": route.how_to_leave_message,
        "ack_within": "" if route.ack_expected is None else route.ack_expected,
        "ack_unit": route.ack_unit,
        "response_within": "" if route.response_expected is None else route.response_expected,
        "response_unit": route.response_unit,
        "priority": route.priority,
        "public": route.is_public,
    }


def escalation_record(contact: EscalationDoc) -> dict[str, Any]:
    """Write an escalation contact in the YAML field names."""
    return {
        "level": contact.level,
        "role": contact.role_title,
        "kind": contact.route_kind,
        "value": contact.route_value,
    }
