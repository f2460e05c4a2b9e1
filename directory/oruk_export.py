"""Write the directory as Open Referral (HSDS 3.0 / Open Referral UK) JSON: one compiled service per team.

Standard HSDS fields carry what other systems understand: the organization, phones (phone routes), contacts
(e-mail routes and, in the full export, escalation contacts), schedules (weekly opening hours as iCal
WEEKLY rules in London time), service areas, the service e-mail and web address. The full export adds a
"joinup" object to each service holding the native record (every field, every route, escalation), so an
export imports back without loss; the public feed leaves it out and drops non-public teams and routes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from directory.concerns import NATION_NAMES, shipped_taxonomy
from directory.document import BANK_HOLIDAY_KEY, WEEKDAYS, AgencyDoc, DirectoryDoc, RouteDoc, TeamDoc
from directory.records import agency_record, escalation_record, route_record, team_record
from directory.store import stable_uuid

HSDS_VERSION = "3.0"
PROFILE = "https://openreferral.org.uk/"
EXTENSION = "joinup"
TIMEZONE_NOTE = "Times are London local time (GMT in winter, BST in summer)."
ICAL_DAYS = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU"}
ESCALATION_DEPARTMENT = "Escalation level {level}"


def _uuid(value: str, kind: str, key: str) -> str:
    return value or stable_uuid(kind, key)


def organization_json(agency: AgencyDoc, *, full: bool) -> dict[str, Any]:
    """An HSDS organization for an agency."""
    org: dict[str, Any] = {
        "id": _uuid(agency.uuid, "agency", agency.key),
        "name": agency.name,
        "description": agency.description or agency.name,
    }
    if agency.website:
        org["website"] = agency.website
    if full:
        org[EXTENSION] = {k: v for k, v in agency_record(agency).items() if v not in ("", None)}
    return org


def _schedules(team: TeamDoc, service_id: str) -> list[dict[str, Any]]:
    schedules = []
    if not team.hours:
        schedules.append(
            {
                "id": stable_uuid("schedule", f"{team.key}:all"),
                "service_id": service_id,
                "freq": "WEEKLY",
                "byday": ",".join(ICAL_DAYS.values()),
                "opens_at": "00:00",
                "closes_at": "24:00",
                "description": "Open 24 hours, every day. " + TIMEZONE_NOTE,
            }
        )
    for day in WEEKDAYS:
        for index, (start, end) in enumerate(team.hours.get(day, [])):
            schedules.append(
                {
                    "id": stable_uuid("schedule", f"{team.key}:{day}:{index}"),
                    "service_id": service_id,
                    "freq": "WEEKLY",
                    "byday": ICAL_DAYS[day],
                    "opens_at": start,
                    "closes_at": end,
                    "description": TIMEZONE_NOTE,
                }
            )
    for index, (start, end) in enumerate(team.hours.get(BANK_HOLIDAY_KEY, [])):
        schedules.append(
            {
                "id": stable_uuid("schedule", f"{team.key}:{BANK_HOLIDAY_KEY}:{index}"),
                "service_id": service_id,
                "opens_at": start,
                "closes_at": end,
                "description": "Bank holidays. " + TIMEZONE_NOTE,
            }
        )
    if not team.is_open_bank_holidays:
        for schedule in schedules:
            schedule["notes"] = "Closed on bank holidays."
    return schedules


def _phone(route: RouteDoc, service_id: str) -> dict[str, Any]:
    phone: dict[str, Any] = {
        "id": _uuid(route.uuid, "route", route.key),
        "service_id": service_id,
        "number": route.value,
        "type": "text" if route.value.replace(" ", "").startswith("07") else "voice",
    }
    description = " ".join(p for p in (route.label, route.when_to_use, route.how_to_leave_message) if p)
    if description:
        phone["description"] = description
    return phone


CONCERN_TAXONOMY = "joinup-safeguarding-concerns"  # the ORUK taxonomy the concern terms belong to
CONCERN_TAXONOMY_ID = stable_uuid("taxonomy", CONCERN_TAXONOMY)
# The fields HSDS 3.0 (and the UK profile) define for a service in a list view (compiled/service_list.json).
LIST_FIELDS = (
    "id", "organization_id", "program_id", "name", "alternate_name", "description", "url", "email", "status",
    "interpretation_services", "application_process", "fees_description", "wait_time", "fees",
    "accreditations", "eligibility_description", "minimum_age", "maximum_age", "assured_date",
    "assurer_email", "licenses", "alert", "last_modified", "organization", "program",
)  # fmt: skip


def concern_term_id(concern_id: str) -> str:
    """Return the stable taxonomy term id of a concern (the same in every export and every area)."""
    return stable_uuid("concern", concern_id)


def concern_taxonomy_json() -> dict[str, Any]:
    """The HSDS taxonomy that joinup's concern terms belong to."""
    taxonomy = shipped_taxonomy()
    return {
        "id": CONCERN_TAXONOMY_ID,
        "name": CONCERN_TAXONOMY,
        "description": "The safeguarding concerns a team handles, in the words practitioners use for them.",
        "version": taxonomy.sha256[:12],
    }


def concern_term_json(concern_id: str) -> dict[str, Any]:
    """One concern as an HSDS taxonomy term (an unknown id still gets a term, named by its id)."""
    concern = shipped_taxonomy().by_id().get(concern_id)
    return {
        "id": concern_term_id(concern_id),
        "code": concern_id,
        "name": concern.name if concern else concern_id,
        "description": concern.means if concern else concern_id,
        "taxonomy": CONCERN_TAXONOMY,
        "taxonomy_id": CONCERN_TAXONOMY_ID,
    }


def concern_attributes(team: TeamDoc, service_id: str) -> list[dict[str, Any]]:
    """Say which concerns a team handles as ORUK attributes: a taxonomy term each, valued primary or also."""
    attributes = []
    for value, ids in (("primary", team.concerns), ("also", team.also_concerns)):
        for concern_id in ids:
            term = concern_term_json(concern_id)
            attributes.append(
                {
                    "id": stable_uuid("concern-attribute", f"{team.key}:{concern_id}"),
                    "link_id": service_id,
                    "link_type": "service",
                    "link_entity": "service",
                    "taxonomy_term_id": term["id"],
                    "value": value,
                    "taxonomy_term": term,
                }
            )
    return attributes


def service_at_location_json(team: TeamDoc, service_id: str) -> dict[str, Any]:
    """Where a team is reached: its office when it has a base, else a virtual location covering its areas.

    Most teams are reached by phone, e-mail or portal, so without a base the location says where the team
    works rather than inventing a building. A base is the team's own office, an organisation's address.
    """
    location_id = stable_uuid("location", team.key)
    areas = ", ".join(team.areas)
    location: dict[str, Any] = {
        "id": location_id,
        "location_type": "virtual",
        "name": f"{team.name}: {areas}" if areas else team.name,
        "description": (f"Covers {areas}. " if areas else "")
        + "Reached by phone, e-mail or online; no walk-in address.",
    }
    if team.base_address:
        location |= {
            "location_type": "physical",
            "name": f"{team.name}: office",
            "description": (f"Covers {areas}. " if areas else "") + "The team's office.",
            "addresses": [
                {
                    "id": stable_uuid("address", team.key),
                    "location_id": location_id,
                    "address_1": team.base_address,
                    "city": team.base_town,
                    "state_province": NATION_NAMES.get(team.nation, team.nation),
                    "postal_code": team.base_postcode,
                    "country": "GB",
                    "address_type": "physical",
                }
            ],
        }
    return {
        "id": stable_uuid("service-at-location", team.key),
        "service_id": service_id,
        "location_id": location_id,
        "location": location,
    }


def list_item(service: dict[str, Any]) -> dict[str, Any]:
    """Cut a compiled service down to the fields the HSDS list view defines."""
    return {field: service[field] for field in LIST_FIELDS if field in service}


def service_json(
    team: TeamDoc, agency: AgencyDoc, *, full: bool, at: datetime | None = None
) -> dict[str, Any]:
    """A compiled HSDS service for a team; `full` adds private routes, escalation and the joinup record."""
    service_id = _uuid(team.uuid, "team", team.key)
    routes = [r for r in team.routes if full or r.is_public]
    service: dict[str, Any] = {
        "id": service_id,
        "organization_id": _uuid(agency.uuid, "agency", agency.key),
        "name": team.name,
        "description": team.purpose or team.name,
        "status": "active",
    }
    if team.handles:
        service["eligibility_description"] = "Contact about: " + team.handles
    if team.not_for:
        service["alert"] = "Not for: " + team.not_for
    emails = [r for r in routes if r.kind in ("secure_email", "email")]
    portals = [r for r in routes if r.kind in ("portal", "chat")]
    if emails:
        service["email"] = emails[0].value
    if portals:
        service["url"] = portals[0].value
    if team.last_verified_at is not None:
        service["assured_date"] = team.last_verified_at.astimezone(UTC).date().isoformat()
        service["last_modified"] = team.last_verified_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    elif at is not None:
        service["last_modified"] = at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    service["organization"] = organization_json(agency, full=full)
    service["phones"] = [_phone(r, service_id) for r in routes if r.kind == "phone"]
    contacts = [
        {
            "id": _uuid(r.uuid, "route", r.key),
            "service_id": service_id,
            "name": r.label or team.name,
            "email": r.value,
        }
        for r in emails
    ]
    if full:
        for e in team.escalation:
            contact: dict[str, Any] = {
                "id": stable_uuid("escalation", f"{team.key}:{e.level}:{e.role_title}"),
                "service_id": service_id,
                "title": e.role_title,
                "department": ESCALATION_DEPARTMENT.format(level=e.level),
            }
            if e.route_kind in ("email", "secure_email"):
                contact["email"] = e.route_value
            elif e.route_kind == "phone":
                contact["phones"] = [
                    {"id": stable_uuid("escalation-phone", contact["id"]), "number": e.route_value}
                ]
            contacts.append(contact)
    service["contacts"] = contacts
    service["schedules"] = _schedules(team, service_id)
    service["attributes"] = concern_attributes(team, service_id)
    service["service_areas"] = [
        {"id": stable_uuid("area", f"{team.key}:{area}"), "service_id": service_id, "name": area}
        for area in team.areas
    ]
    service["service_at_locations"] = [service_at_location_json(team, service_id)]
    if full:
        record = {k: v for k, v in team_record(team).items() if v not in ("", None, [], {})}
        record["agency"] = agency.key
        record["routes"] = [
            {k: v for k, v in route_record(r).items() if v not in ("", None)} for r in team.routes
        ]
        record["escalation"] = [escalation_record(e) for e in team.escalation]
        service[EXTENSION] = record
    return service


def dump_oruk(doc: DirectoryDoc) -> str:
    """Write a whole document as an ORUK JSON file that joinup can import again without loss."""
    agencies = {a.key: a for a in doc.agencies}
    data: dict[str, Any] = {
        "hsds_version": HSDS_VERSION,
        "profile": PROFILE,
        "organizations": [organization_json(a, full=True) for a in doc.agencies],
        "services": [service_json(t, agencies[t.agency_key], full=True) for t in doc.teams],
    }
    if doc.synonyms:
        data[EXTENSION] = {"synonyms": {term: list(means) for term, means in doc.synonyms.items()}}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
