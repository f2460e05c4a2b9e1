"""Checks that span records: duplicate ids, references to unknown agencies or teams."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable, Collection, Mapping

from directory.document import DirectoryDoc
from directory.records import Collector

Where = Callable[[str], str]


def _is_uuid(value: str) -> bool:
    try:
        uuidlib.UUID(value)
    except ValueError:
        return False
    return True


def check_document(
    c: Collector,
    doc: DirectoryDoc,
    wheres: dict[int, Where],
    *,
    known_agency_keys: Collection[str] = (),
    known_team_keys: Collection[str] = (),
    known_uuids: Mapping[str, str] | None = None,
) -> None:
    """Record duplicate ids and unknown references in `doc`; `known_*` are keys already stored, and
    `known_uuids` maps each stored uuid to what holds it ("agency front-door" or "team lado")."""

    def where(obj: object) -> Where:
        return wheres.get(id(obj), lambda _field: "start of file")

    seen_agencies: set[str] = set()
    seen_uuids: set[str] = set()

    def check_uuid(obj: object, value: str, holder: str) -> None:
        if not value:
            return
        stored = (known_uuids or {}).get(value)
        if not _is_uuid(value):
            c.add(where(obj)("uuid"), "uuid", f"{value!r} is not a UUID; leave it empty to have one made")
        elif value in seen_uuids:
            c.add(where(obj)("uuid"), "uuid", f"{value} is used twice; every uuid must be different")
        elif stored is not None and stored != holder:
            c.add(
                where(obj)("uuid"),
                "uuid",
                f"{value} already belongs to {stored} in the directory; give {holder} its own uuid, "
                "or leave it empty to have one made",
            )
        seen_uuids.add(value)

    for agency in doc.agencies:
        if agency.key and agency.key in seen_agencies:
            c.add(where(agency)("key"), "key", f"agency {agency.key} appears twice; ids must be unique")
        seen_agencies.add(agency.key)
        check_uuid(agency, agency.uuid, f"agency {agency.key}")
    agency_keys = seen_agencies | set(known_agency_keys)
    team_keys = {team.key for team in doc.teams} | set(known_team_keys)
    seen_teams: set[str] = set()
    seen_routes: set[str] = set()
    for team in doc.teams:
        at = where(team)
        if team.key and team.key in seen_teams:
            c.add(at("key"), "key", f"team {team.key} appears twice; ids must be unique")
        seen_teams.add(team.key)
        check_uuid(team, team.uuid, f"team {team.key}")
        if team.agency_key and team.agency_key not in agency_keys:
            c.add(at("agency"), "agency", f"there is no agency {team.agency_key}; add it or fix the id")
        if team.out_of_hours_team_key and team.out_of_hours_team_key not in team_keys:
            c.add(
                at("out_of_hours"),
                "out_of_hours",
                f"there is no team {team.out_of_hours_team_key}; add it or fix the id",
            )
        if team.out_of_hours_team_key and team.out_of_hours_team_key == team.key:
            c.add(at("out_of_hours"), "out_of_hours", "a team can't be its own out-of-hours fallback")
        levels_seen: set[tuple[int, str]] = set()
        for contact in team.escalation:
            pair = (contact.level, contact.role_title)
            if pair in levels_seen:
                c.add(
                    where(contact)("role"),
                    "role",
                    f"level {contact.level} lists {contact.role_title!r} twice for team {team.key}",
                )
            levels_seen.add(pair)
        for route in team.routes:
            if route.key and route.key in seen_routes:
                c.add(where(route)("key"), "key", f"route {route.key} appears twice; ids must be unique")
            seen_routes.add(route.key)
            check_uuid(route, route.uuid, f"route {route.key}")
    for term, means in doc.synonyms.items():
        if not term.strip() or not means:
            c.add("synonyms", "synonyms", f"synonym {term!r} needs a term and at least one meaning")
