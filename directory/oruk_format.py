"""Read Open Referral (HSDS 3.0 / ORUK) JSON into a directory document.

A file joinup exported carries a "joinup" record on each service and organization, read exactly like the
YAML format. A feed from elsewhere has only standard HSDS: organizations become agencies, services become
teams (ids made from their names), phones and e-mail contacts become routes, contacts whose department
reads "Escalation level N" become escalation contacts, weekly schedules become opening hours. Either way
each service is first checked against the HSDS compiled schema, and every problem names its line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from directory.checks import Where
from directory.document import BANK_HOLIDAY_KEY, AgencyDoc, DirectoryDoc, Problem, TeamDoc
from directory.oruk_export import EXTENSION, ICAL_DAYS
from directory.records import Collector, read_agency, read_escalation, read_route, read_team

SCHEMA_DIR = Path(__file__).with_name("oruk")
_DAY_KEYS = {code: day for day, code in ICAL_DAYS.items()}
_ESCALATION = re.compile(r"^escalation level (\d+)$", re.IGNORECASE)


@lru_cache(maxsize=2)
def schema_validator(name: str = "service.json") -> Draft202012Validator:
    """A validator for one of the shipped HSDS compiled schemas."""
    return Draft202012Validator(json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8")))


def slug(text: str) -> str:
    """Make an id like front-door from a name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "unnamed"


class _Locator:
    """Finds the line of a JSON object (by its id) and of a field inside it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.cursor = 0

    def line_at(self, offset: int) -> int:
        return self.text.count("\n", 0, max(offset, 0)) + 1

    def find(self, object_id: Any) -> int:
        """Return where the object whose "id" is `object_id` starts, searching on from the last one."""
        if not object_id:
            return -1
        needle = json.dumps(str(object_id))
        start = self.text.find(needle, self.cursor)
        start = self.text.find(needle) if start < 0 else start
        if start >= 0:
            self.cursor = start + len(needle)
        return start

    def where(self, start: int, end: int, label: str) -> Where:
        """Locate fields between `start` and `end` (an object's span), by the first line naming them."""
        if start < 0:
            return lambda field: f"{label}, {field}"

        def locate(field: str) -> str:
            found = self.text.find(f'"{field}"', start, end)
            return f"line {self.line_at(found if found >= 0 else start)} ({label})"

        return locate


def _schema_problems(c: Collector, service: Mapping[str, Any], where: Where) -> None:
    for error in sorted(schema_validator().iter_errors(service), key=lambda e: list(e.path)):
        path = ".".join(str(p) for p in error.absolute_path) or "service"
        c.add(where(str(error.absolute_path[-1]) if error.absolute_path else "id"), path, error.message)


def parse_oruk(text: str, *, file: str) -> tuple[DirectoryDoc, dict[int, Where], list[Problem]]:
    """Read an ORUK/HSDS JSON file (a joinup export, a service list, a Page, or one service)."""
    c = Collector(file)
    doc = DirectoryDoc()
    wheres: dict[int, Where] = {}
    try:
        root = json.loads(text)
    except json.JSONDecodeError as error:
        c.add(f"line {error.lineno}", "file", f"is not valid JSON: {error.msg}")
        return doc, wheres, c.problems
    if isinstance(root, dict) and isinstance(root.get("services", root.get("contents")), list):
        services: list[Any] = root.get("services", root.get("contents")) or []
        organizations: list[Any] = root.get("organizations") or []
    elif isinstance(root, dict) and "id" in root:
        services, organizations = [root], []
    elif isinstance(root, list):
        services, organizations = root, []
    else:
        c.add("line 1", "file", 'must hold "services": [...] (an HSDS service list)')
        return doc, wheres, c.problems
    locator = _Locator(text)
    starts = [locator.find(s.get("id")) if isinstance(s, dict) else -1 for s in services]
    ends = [*(s for s in starts[1:]), len(text)]
    locator.cursor = 0
    agency_by_id: dict[str, str] = {}
    for org in [*organizations, *(s.get("organization") for s in services if isinstance(s, dict))]:
        if isinstance(org, dict) and str(org.get("id")) not in agency_by_id:
            start = locator.find(org.get("id"))
            where = locator.where(
                start, text.find("}", start), f"organization {org.get('name') or ''}".strip()
            )
            agency = _agency(c, org, where)
            wheres[id(agency)] = where
            agency_by_id[str(org.get("id"))] = agency.key
            if agency.key not in {a.key for a in doc.agencies}:
                doc.agencies.append(agency)
    for number, service in enumerate(services, start=1):
        if not isinstance(service, dict):
            c.add(f"service {number}", "services", "each service must be a JSON object")
            continue
        end = ends[number - 1] if ends[number - 1] > starts[number - 1] else len(text)
        where = locator.where(starts[number - 1], end, f"service {service.get('name') or number}")
        _schema_problems(c, service, where)
        org_id = str(service.get("organization_id") or (service.get("organization") or {}).get("id") or "")
        team = _team(c, service, where, wheres, agency_key=agency_by_id.get(org_id, ""))
        if not team.agency_key:
            c.add(
                where("organization_id"), "organization_id", "the service names no organization in the file"
            )
        wheres[id(team)] = where
        doc.teams.append(team)
    extension = root.get(EXTENSION) if isinstance(root, dict) else None
    if isinstance(extension, dict) and isinstance(extension.get("synonyms"), dict):
        for term, means in extension["synonyms"].items():
            items = means if isinstance(means, list) else [means]
            doc.synonyms[str(term).strip().lower()] = [str(m).strip() for m in items if str(m or "").strip()]
    return doc, wheres, c.problems


def _agency(c: Collector, org: Mapping[str, Any], where: Where) -> AgencyDoc:
    ext = org.get(EXTENSION)
    raw: Mapping[str, Any] = (
        {"uuid": org.get("id"), **ext}
        if isinstance(ext, dict)
        else {
            "key": slug(str(org.get("name") or "")),
            "uuid": org.get("id"),
            "name": org.get("name"),
            "kind": "other",
            "description": org.get("description"),
            "website": org.get("website"),
        }
    )
    return read_agency(c, raw, where)


def _concerns(service: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Read the concerns a service handles from its ORUK attributes (joinup's concern taxonomy terms)."""
    primary: list[str] = []
    also: list[str] = []
    attributes = service.get("attributes")
    for attribute in attributes if isinstance(attributes, list) else []:
        term = attribute.get("taxonomy_term") if isinstance(attribute, dict) else None
        if not isinstance(term, dict) or term.get("taxonomy") != "joinup-safeguarding-concerns":
            continue
        code = str(term.get("code") or "").strip()
        if code:
            (also if attribute.get("value") == "also" else primary).append(code)
    return primary, also


def _team(
    c: Collector, service: Mapping[str, Any], where: Where, wheres: dict[int, Where], *, agency_key: str
) -> TeamDoc:
    ext = service.get(EXTENSION)
    if isinstance(ext, dict):
        team = read_team(
            c, {"uuid": service.get("id"), **ext}, where, agency_key=str(ext.get("agency") or agency_key)
        )
        # A fuzzed or hand-edited file may hold any JSON value here: only a list holds routes.
        raw_routes = ext.get("routes")
        for raw_route in raw_routes if isinstance(raw_routes, list) else []:
            route = read_route(c, raw_route if isinstance(raw_route, dict) else {}, where)
            wheres[id(route)] = where
            team.routes.append(route)
        raw_contacts = ext.get("escalation")
        for raw_contact in raw_contacts if isinstance(raw_contacts, list) else []:
            contact = read_escalation(c, raw_contact if isinstance(raw_contact, dict) else {}, where)
            wheres[id(contact)] = where
            team.escalation.append(contact)
        return team
    key = slug(str(service.get("name") or ""))
    raw = {
        "key": key,
        "uuid": service.get("id"),
        "name": service.get("name"),
        "purpose": service.get("description"),
        "handles": str(service.get("eligibility_description") or "").removeprefix("Contact about: "),
        "not_for": str(service.get("alert") or "").removeprefix("Not for: "),
        "areas": [str(a.get("name")) for a in service.get("service_areas") or [] if isinstance(a, dict)],
        "hours": _hours(service.get("schedules") or []),
        "open_bank_holidays": any(
            isinstance(s, dict) and not s.get("byday") and s.get("opens_at")
            for s in service.get("schedules") or []
        ),
        "last_verified": service.get("assured_date"),
    }
    team = read_team(c, raw, where, agency_key=agency_key)
    team.concerns, team.also_concerns = _concerns(service)
    for raw_route in _standard_routes(service, key):
        route = read_route(c, raw_route, where)
        wheres[id(route)] = where
        team.routes.append(route)
    for contact in service.get("contacts") or []:
        match = _ESCALATION.match(str(contact.get("department") or "")) if isinstance(contact, dict) else None
        if match and isinstance(contact, dict):
            phones = [p for p in contact.get("phones") or [] if isinstance(p, dict)]
            kind, value = (
                ("email", contact.get("email"))
                if contact.get("email")
                else ("phone", phones[0]["number"] if phones else "")
            )
            raw_contact = {
                "level": match.group(1),
                "role": contact.get("title") or contact.get("name"),
                "kind": kind,
                "value": value,
            }
            team.escalation.append(read_escalation(c, raw_contact, where))
    return team


def _hours(schedules: list[Any]) -> dict[str, list[str]]:
    hours: dict[str, list[str]] = {}
    for schedule in schedules:
        if not isinstance(schedule, dict) or not schedule.get("opens_at") or not schedule.get("closes_at"):
            continue
        span = f"{str(schedule['opens_at'])[:5]}-{str(schedule['closes_at'])[:5]}"
        codes = [code.strip().upper() for code in str(schedule.get("byday") or "").split(",") if code.strip()]
        for code in codes or [""]:
            day = _DAY_KEYS.get(code, code.lower()) if code else BANK_HOLIDAY_KEY
            hours.setdefault(day, []).append(span)
    if set(hours) >= set(ICAL_DAYS) and all(v == ["00:00-24:00"] for d, v in hours.items() if d in ICAL_DAYS):
        return {}
    return hours


def _standard_routes(service: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    routes: list[dict[str, Any]] = []
    for number, phone in enumerate(service.get("phones") or [], start=1):
        if isinstance(phone, dict):
            routes.append(
                {
                    "key": f"{key}-phone-{number}"[:120],
                    "uuid": phone.get("id"),
                    "kind": "phone",
                    "value": phone.get("number"),
                    "label": str(phone.get("description") or "")[:200],
                    "priority": number,
                }
            )
    emails = set()
    for number, contact in enumerate(service.get("contacts") or [], start=1):
        if (
            isinstance(contact, dict)
            and contact.get("email")
            and not _ESCALATION.match(str(contact.get("department") or ""))
        ):
            emails.add(contact["email"])
            routes.append(
                {
                    "key": f"{key}-email-{number}"[:120],
                    "uuid": contact.get("id"),
                    "kind": "email",
                    "value": contact["email"],
                    "label": contact.get("name") or contact.get("title") or "",
                    "priority": len(routes) + 1,
                }
            )
    if service.get("email") and service["email"] not in emails:
        routes.append(
            {"key": f"{key}-email", "kind": "email", "value": service["email"], "priority": len(routes) + 1}
        )
    if service.get("url"):
        routes.append(
            {"key": f"{key}-web", "kind": "portal", "value": service["url"], "priority": len(routes) + 1}
        )
    return routes
