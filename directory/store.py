"""Move a directory document in and out of the database: upsert by key, and read everything back."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, col, select

from directory.document import AgencyDoc, DirectoryDoc, EscalationDoc, RouteDoc, TeamDoc
from storage.models import Agency, ContactRoute, EscalationContact, Synonym, Team

# Stable UUIDs for records imported without one, so the same file gives the same ORUK ids everywhere.
_NAMESPACE = uuidlib.UUID("5b0c8f2e-7a51-4c1e-9d0e-6f3b2a9c4d17")


def stable_uuid(kind: str, key: str) -> str:
    """Return the UUID a record gets when its file gives none."""
    return str(uuidlib.uuid5(_NAMESPACE, f"{kind}:{key}"))


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import changes (or would change, on a dry run)."""

    agencies_added: int = 0
    agencies_updated: int = 0
    teams_added: int = 0
    teams_updated: int = 0
    routes_added: int = 0
    routes_updated: int = 0
    routes_removed: int = 0
    synonyms_added: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counts by name, for the audit log and the CLI."""
        return {name: getattr(self, name) for name in self.__slots__}


def summarise(*, session: Session, doc: DirectoryDoc) -> ImportSummary:
    """Count what importing `doc` would add, update and remove, without changing anything."""
    agency_keys = set(session.exec(select(Agency.key)).all())
    team_keys = set(session.exec(select(Team.key)).all())
    doc_team_keys = [t.key for t in doc.teams]
    stored_routes = session.exec(
        select(ContactRoute.key, Team.key)
        .join(Team, col(Team.id) == col(ContactRoute.team_id))
        .where(col(Team.key).in_(doc_team_keys))
    ).all()
    route_keys = {key for key, _ in stored_routes} | set(
        session.exec(
            select(ContactRoute.key).where(
                col(ContactRoute.key).in_([r.key for t in doc.teams for r in t.routes])
            )
        ).all()
    )
    doc_routes = {r.key for t in doc.teams for r in t.routes}
    pairs = set(session.exec(select(Synonym.term, Synonym.means)).all())
    doc_pairs = {(term, means) for term, meanings in doc.synonyms.items() for means in meanings}
    return ImportSummary(
        agencies_added=sum(a.key not in agency_keys for a in doc.agencies),
        agencies_updated=sum(a.key in agency_keys for a in doc.agencies),
        teams_added=sum(k not in team_keys for k in doc_team_keys),
        teams_updated=sum(k in team_keys for k in doc_team_keys),
        routes_added=len(doc_routes - route_keys),
        routes_updated=len(doc_routes & route_keys),
        routes_removed=len({key for key, _ in stored_routes} - doc_routes),
        synonyms_added=len(doc_pairs - pairs),
    )


def apply_document(*, session: Session, doc: DirectoryDoc) -> None:
    """Upsert `doc` by key; each team's routes and escalation contacts become exactly those in `doc`.

    The caller checks the document first and owns the transaction, so a failure changes nothing.
    """
    agencies = {a.key: a for a in session.exec(select(Agency)).all()}
    for item in doc.agencies:
        agency = agencies.get(item.key) or Agency(
            key=item.key, uuid=item.uuid or stable_uuid("agency", item.key), name=item.name, kind=item.kind
        )
        agency.name, agency.kind, agency.description, agency.website = (
            item.name,
            item.kind,
            item.description,
            item.website,
        )
        agency.uuid = item.uuid or agency.uuid
        session.add(agency)
        agencies[item.key] = agency
    session.flush()
    teams = {
        t.key: t for t in session.exec(select(Team).where(col(Team.key).in_([t.key for t in doc.teams])))
    }
    for team_doc in doc.teams:
        team = teams.get(team_doc.key) or Team(
            key=team_doc.key,
            uuid=team_doc.uuid or stable_uuid("team", team_doc.key),
            agency_id=0,
            name=team_doc.name,
        )
        _copy_team(team, team_doc, agency_id=agencies[team_doc.agency_key].id or 0)
        session.add(team)
        teams[team_doc.key] = team
    session.flush()
    fallback_keys = {t.out_of_hours_team_key for t in doc.teams if t.out_of_hours_team_key}
    missing = fallback_keys - set(teams)
    if missing:
        teams.update({t.key: t for t in session.exec(select(Team).where(col(Team.key).in_(missing)))})
    for team_doc in doc.teams:
        fallback = teams.get(team_doc.out_of_hours_team_key or "")
        teams[team_doc.key].out_of_hours_team_id = fallback.id if fallback else None
        _replace_routes(session, teams[team_doc.key], team_doc.routes)
        _replace_escalation(session, teams[team_doc.key], team_doc.escalation)
    pairs = set(session.exec(select(Synonym.term, Synonym.means)).all())
    for term, meanings in doc.synonyms.items():
        for means in meanings:
            if (term, means) not in pairs:
                session.add(Synonym(term=term, means=means))
                pairs.add((term, means))
    session.flush()


def _copy_team(team: Team, item: TeamDoc, *, agency_id: int) -> None:
    team.agency_id = agency_id
    team.uuid = item.uuid or team.uuid
    team.name, team.purpose, team.handles, team.not_for = item.name, item.purpose, item.handles, item.not_for
    team.areas = list(item.areas)
    team.hours = {day: [list(span) for span in spans] for day, spans in item.hours.items()}
    team.is_open_bank_holidays = item.is_open_bank_holidays
    team.closure_days = list(item.closure_days)
    team.nation = item.nation
    team.owner_handle, team.contact_person_handle = item.owner_handle, item.contact_person_handle
    team.last_verified_at = item.last_verified_at
    team.base_address, team.base_town, team.base_postcode = (
        item.base_address,
        item.base_town,
        item.base_postcode,
    )
    team.review_interval_days = item.review_interval_days
    team.is_public, team.is_immediate_danger = item.is_public, item.is_immediate_danger
    team.concerns_primary, team.concerns_also = list(item.concerns), list(item.also_concerns)


def _replace_routes(session: Session, team: Team, items: list[RouteDoc]) -> None:
    assert team.id is not None
    keys = [r.key for r in items]
    session.execute(
        delete(ContactRoute).where(col(ContactRoute.team_id) == team.id, col(ContactRoute.key).not_in(keys))
    )
    existing = {r.key: r for r in session.exec(select(ContactRoute).where(col(ContactRoute.key).in_(keys)))}
    for item in items:
        route = existing.get(item.key) or ContactRoute(
            key=item.key, uuid=item.uuid or stable_uuid("route", item.key), team_id=team.id, kind="", value=""
        )
        route.team_id = team.id
        route.uuid = item.uuid or route.uuid
        route.kind, route.value, route.label = item.kind, item.value, item.label
        route.when_to_use, route.how_to_leave_message = item.when_to_use, item.how_to_leave_message
        route.ack_expected, route.ack_unit = item.ack_expected, item.ack_unit
        route.response_expected, route.response_unit = item.response_expected, item.response_unit
        route.priority, route.is_public = item.priority, item.is_public
        session.add(route)


def _replace_escalation(session: Session, team: Team, items: list[EscalationDoc]) -> None:
    session.execute(delete(EscalationContact).where(col(EscalationContact.team_id) == team.id))
    for item in items:
        session.add(
            EscalationContact(
                team_id=team.id or 0,
                level=item.level,
                role_title=item.role_title,
                route_kind=item.route_kind,
                route_value=item.route_value,
            )
        )


def load_document(*, session: Session) -> DirectoryDoc:
    """Read the partnership's own directory as a document (private teams and routes included).

    Services pulled from neighbours' feeds are left out: they belong to their publishers, not to this file.
    """
    agencies = session.exec(select(Agency).where(col(Agency.source) == "").order_by(col(Agency.id))).all()
    agency_keys = {a.id: a.key for a in agencies}
    teams = session.exec(select(Team).where(col(Team.source) == "").order_by(col(Team.id))).all()
    team_keys = {t.id: t.key for t in teams}
    routes: dict[int, list[RouteDoc]] = {}
    for r in session.exec(select(ContactRoute).order_by(col(ContactRoute.id))):
        routes.setdefault(r.team_id, []).append(
            RouteDoc(
                key=r.key,
                kind=r.kind,
                value=r.value,
                uuid=r.uuid,
                label=r.label,
                when_to_use=r.when_to_use,
                how_to_leave_message=r.how_to_leave_message,
                ack_expected=r.ack_expected,
                ack_unit=r.ack_unit,
                response_expected=r.response_expected,
                response_unit=r.response_unit,
                priority=r.priority,
                is_public=r.is_public,
            )
        )
    escalation: dict[int, list[EscalationDoc]] = {}
    query = select(EscalationContact).order_by(col(EscalationContact.level), col(EscalationContact.id))
    for e in session.exec(query):
        escalation.setdefault(e.team_id, []).append(
            EscalationDoc(
                level=e.level, role_title=e.role_title, route_kind=e.route_kind, route_value=e.route_value
            )
        )
    synonyms: dict[str, list[str]] = {}
    for s in session.exec(select(Synonym).order_by(col(Synonym.id))):
        synonyms.setdefault(s.term, []).append(s.means)
    return DirectoryDoc(
        agencies=[
            AgencyDoc(
                key=a.key, name=a.name, kind=a.kind, uuid=a.uuid, description=a.description, website=a.website
            )
            for a in agencies
        ],
        teams=[
            TeamDoc(
                key=t.key,
                name=t.name,
                agency_key=agency_keys[t.agency_id],
                uuid=t.uuid,
                purpose=t.purpose,
                handles=t.handles,
                not_for=t.not_for,
                areas=list(t.areas),
                hours={day: [(s[0], s[1]) for s in spans] for day, spans in t.hours.items()},
                is_open_bank_holidays=t.is_open_bank_holidays,
                closure_days=list(t.closure_days),
                out_of_hours_team_key=team_keys.get(t.out_of_hours_team_id)
                if t.out_of_hours_team_id
                else None,
                nation=t.nation,
                owner_handle=t.owner_handle,
                contact_person_handle=t.contact_person_handle,
                last_verified_at=t.last_verified_at,
                review_interval_days=t.review_interval_days,
                is_public=t.is_public,
                is_immediate_danger=t.is_immediate_danger,
                concerns=list(t.concerns_primary),
                also_concerns=list(t.concerns_also),
                base_address=t.base_address,
                base_town=t.base_town,
                base_postcode=t.base_postcode,
                routes=routes.get(t.id or 0, []),
                escalation=escalation.get(t.id or 0, []),
            )
            for t in teams
        ],
        synonyms=synonyms,
    )
