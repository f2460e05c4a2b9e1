"""The CSV directory format: one row per contact route, with its team and agency repeated on every row.

A team with no routes is one row with the route columns empty. Lists (areas, closure days) are separated
by semicolons; hours read 'mon 09:00-17:15; fri 09:00-17:00'; escalation contacts read
'1|Duty social worker|phone|0161 496 0101; 2|Team manager|phone|0161 496 0102'. Synonyms are YAML-only.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from directory import fields
from directory.checks import Where
from directory.document import DirectoryDoc, EscalationDoc, Problem, RouteDoc, TeamDoc
from directory.records import (
    Collector,
    agency_record,
    read_agency,
    read_escalation,
    read_route,
    read_team,
    route_record,
    team_record,
)

AGENCY_COLUMNS = (
    "agency_key",
    "agency_uuid",
    "agency_name",
    "agency_kind",
    "agency_description",
    "agency_website",
)
TEAM_COLUMNS = (
    "team_key",
    "team_uuid",
    "team_name",
    "purpose",
    "handles",
    "not_for",
    "areas",
    "hours",
    "open_bank_holidays",
    "closure_days",
    "out_of_hours",
    "nation",
    "owner",
    "contact_person",
    "last_verified",
    "review_interval_days",
    "team_public",
    "immediate_danger",
    "concerns",
    "also_concerns",
    "base_address",
    "base_town",
    "base_postcode",
    "escalation",
)
ROUTE_COLUMNS = (
    "route_key",
    "route_uuid",
    "route_kind",
    "route_value",
    "route_label",
    "when_to_use",
    "how_to_leave_message",
    "ack_within",
    "ack_unit",
    "response_within",
    "response_unit",
    "priority",
    "route_public",
)
COLUMNS = AGENCY_COLUMNS + TEAM_COLUMNS + ROUTE_COLUMNS
# CSV column → the record field it fills (the YAML names), where they differ.
_RENAMED = {
    "agency_key": "key",
    "agency_uuid": "uuid",
    "agency_name": "name",
    "agency_kind": "kind",
    "agency_description": "description",
    "agency_website": "website",
    "team_key": "key",
    "team_uuid": "uuid",
    "team_name": "name",
    "team_public": "public",
    "route_key": "key",
    "route_uuid": "uuid",
    "route_kind": "kind",
    "route_value": "value",
    "route_label": "label",
    "route_public": "public",
}


def _section(row: dict[str, str], columns: tuple[str, ...]) -> dict[str, Any]:
    return {_RENAMED.get(column, column): (row.get(column) or "").strip() for column in columns}


def _row_where(row_number: int) -> Where:
    return lambda _field: f"row {row_number}"


def _escalation(c: Collector, text: str, where: Where) -> list[EscalationDoc]:
    contacts = []
    for part in fields.split_list(text):
        pieces = [p.strip() for p in part.split("|")]
        if len(pieces) != 4:
            c.add(where("escalation"), "escalation", f"{part!r} must read level|role|kind|value")
            continue
        raw = dict(zip(("level", "role", "kind", "value"), pieces, strict=True))
        contacts.append(read_escalation(c, raw, where))
    return contacts


def parse_csv(text: str, *, file: str) -> tuple[DirectoryDoc, dict[int, Where], list[Problem]]:
    """Read a CSV directory; return the document, where each record is, and the problems found."""
    c = Collector(file)
    doc = DirectoryDoc()
    wheres: dict[int, Where] = {}
    # Universal newlines, as when the file is read from disk: a lone carriage return ends a line.
    reader = csv.DictReader(io.StringIO(text, newline=None))
    try:
        fieldnames = list(reader.fieldnames or [])
        rows = list(reader)
    except csv.Error as error:
        c.add(f"row {reader.line_num}", "file", f"is not valid CSV: {error}")
        return doc, wheres, c.problems
    missing = [column for column in ("agency_key", "team_key", "team_name") if column not in fieldnames]
    if missing:
        c.add("row 1", ", ".join(missing), "the header row is missing these columns")
        return doc, wheres, c.problems
    unknown = [column for column in fieldnames if column not in COLUMNS]
    if unknown:
        c.add("row 1", ", ".join(unknown), "these columns are not directory columns; check the spelling")
    agencies: dict[str, int] = {}
    teams: dict[str, tuple[TeamDoc, dict[str, Any], int]] = {}
    for row_number, row in enumerate(rows, start=2):
        where = _row_where(row_number)
        agency_raw = _section(row, AGENCY_COLUMNS)
        if agency_raw["key"] not in agencies:
            agency = read_agency(c, agency_raw, where)
            wheres[id(agency)] = where
            doc.agencies.append(agency)
            agencies[agency_raw["key"]] = row_number
        team_raw = _section(row, TEAM_COLUMNS)
        route_raw = _section(row, ROUTE_COLUMNS)
        if not any(team_raw.values()) and not any(route_raw.values()):
            continue  # an agency with no teams yet
        known = teams.get(team_raw["key"])
        if known is None:
            team = read_team(c, team_raw, where, agency_key=agency_raw["key"])
            team.escalation = _escalation(c, team_raw["escalation"], where)
            wheres[id(team)] = where
            doc.teams.append(team)
            teams[team_raw["key"]] = (team, team_raw, row_number)
        else:
            team, first_raw, first_row = known
            differs = [name for name, value in team_raw.items() if first_raw.get(name) != value]
            if team.agency_key != agency_raw["key"]:
                differs.append("agency_key")
            if differs:
                c.add(
                    where(differs[0]),
                    ", ".join(differs),
                    f"team {team.key} is described differently here than on row {first_row}; "
                    "every row of a team must repeat the same team columns",
                )
        if any(route_raw.values()):
            route = read_route(c, route_raw, where)
            wheres[id(route)] = where
            team.routes.append(route)
    return doc, wheres, c.problems


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def dump_csv(doc: DirectoryDoc) -> str:
    """Write a document as CSV, one row per route."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    agencies = {a.key: agency_record(a) for a in doc.agencies}
    with_teams = {team.agency_key for team in doc.teams}
    for key, agency in agencies.items():
        if key not in with_teams:
            row = [_cell(agency[_RENAMED.get(column, column)]) for column in AGENCY_COLUMNS]
            writer.writerow(row + [""] * (len(TEAM_COLUMNS) + len(ROUTE_COLUMNS)))
    for team in doc.teams:
        agency = agencies[team.agency_key]
        record = team_record(team)
        record["hours"] = fields.format_hours_text(team.hours)
        record["escalation"] = "; ".join(
            f"{e.level}|{e.role_title}|{e.route_kind}|{e.route_value}" for e in team.escalation
        )
        team_cells = [_cell(record[_RENAMED.get(column, column)]) for column in TEAM_COLUMNS]
        agency_cells = [_cell(agency[_RENAMED.get(column, column)]) for column in AGENCY_COLUMNS]
        routes: list[RouteDoc | None] = list(team.routes) or [None]
        for route in routes:
            route_cells = (
                [_cell(route_record(route)[_RENAMED.get(column, column)]) for column in ROUTE_COLUMNS]
                if route is not None
                else [""] * len(ROUTE_COLUMNS)
            )
            writer.writerow(agency_cells + team_cells + route_cells)
    return out.getvalue()
