"""The native directory format: YAML with agencies → teams → routes and escalation contacts, plus synonyms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from directory.checks import Where
from directory.document import DirectoryDoc, TeamDoc
from directory.records import (
    Collector,
    agency_record,
    escalation_record,
    read_agency,
    read_escalation,
    read_route,
    read_team,
    route_record,
    team_record,
)

FORMAT_VERSION = 1


class _LineMap(dict[Any, Any]):
    """A YAML mapping that remembers the line of each key's value."""

    line: int = 0
    lines: dict[Any, int]


class _LineLoader(yaml.SafeLoader):
    """A safe loader whose mappings remember line numbers."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _LineMap:
    loader.flatten_mapping(node)
    mapping = _LineMap()
    mapping.line = node.start_mark.line + 1
    mapping.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = value_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _where(raw: Mapping[str, Any]) -> Where:
    if isinstance(raw, _LineMap):
        return lambda field: f"line {raw.lines.get(field, raw.line)}"
    return lambda _field: "unknown line"


def _items(c: Collector, raw: Mapping[str, Any], name: str, what: str) -> list[Mapping[str, Any]]:
    value = raw.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        c.add(_where(raw)(name), name, f"must be a list of {what}, each starting with '- key:'")
        return []
    return value


def parse_yaml(text: str, *, file: str) -> tuple[DirectoryDoc, dict[int, Where], list[Any]]:
    """Read a YAML directory; return the document, where each record is, and the problems found."""
    c = Collector(file)
    doc = DirectoryDoc()
    wheres: dict[int, Where] = {}
    try:
        root = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        location = f"line {mark.line + 1}" if mark is not None else "unknown line"
        c.add(location, "file", f"is not valid YAML: {getattr(error, 'problem', None) or error}")
        return doc, wheres, c.problems
    if not isinstance(root, dict):
        c.add("line 1", "file", "must start with agencies: (and optionally synonyms:)")
        return doc, wheres, c.problems
    version = root.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        c.add(_where(root)("version"), "version", f"{version!r} is not a format version joinup reads (1)")
    for raw_agency in _items(c, root, "agencies", "agencies"):
        agency = read_agency(c, raw_agency, _where(raw_agency))
        wheres[id(agency)] = _where(raw_agency)
        doc.agencies.append(agency)
        for raw_team in _items(c, raw_agency, "teams", "teams"):
            doc.teams.append(_read_team(c, raw_team, wheres, agency_key=agency.key))
    synonyms = root.get("synonyms") or {}
    if not isinstance(synonyms, dict):
        c.add(
            _where(root)("synonyms"), "synonyms", "must map a term to what it means, like mash: [front door]"
        )
    else:
        for term, means in synonyms.items():
            items = means if isinstance(means, list) else [means]
            doc.synonyms[str(term).strip().lower()] = [str(m).strip() for m in items if str(m or "").strip()]
    return doc, wheres, c.problems


def _read_team(c: Collector, raw: Mapping[str, Any], wheres: dict[int, Where], *, agency_key: str) -> TeamDoc:
    team = read_team(c, raw, _where(raw), agency_key=agency_key)
    wheres[id(team)] = _where(raw)
    for raw_route in _items(c, raw, "routes", "routes"):
        route = read_route(c, raw_route, _where(raw_route))
        wheres[id(route)] = _where(raw_route)
        team.routes.append(route)
    for raw_contact in _items(c, raw, "escalation", "escalation contacts"):
        contact = read_escalation(c, raw_contact, _where(raw_contact))
        wheres[id(contact)] = _where(raw_contact)
        team.escalation.append(contact)
    return team


def _drop_empty(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v not in ("", None, [], {})}


def dump_yaml(doc: DirectoryDoc) -> str:
    """Write a document as native YAML."""
    agencies = []
    for agency in doc.agencies:
        teams = []
        for team in (t for t in doc.teams if t.agency_key == agency.key):
            record = _drop_empty(team_record(team))
            if team.routes:
                record["routes"] = [_drop_empty(route_record(r)) for r in team.routes]
            if team.escalation:
                record["escalation"] = [escalation_record(e) for e in team.escalation]
            teams.append(record)
        agencies.append({**_drop_empty(agency_record(agency)), "teams": teams})
    data: dict[str, Any] = {"version": FORMAT_VERSION, "agencies": agencies}
    if doc.synonyms:
        data["synonyms"] = {term: list(means) for term, means in doc.synonyms.items()}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
