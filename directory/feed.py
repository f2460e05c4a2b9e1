"""The public Open Referral feed: HSDS 3.0 Pages of services, public teams and public routes only.

Safeguarding-only lines (routes or teams not marked public), escalation contacts and joinup's own fields
never appear. Each service is compiled exactly as the ORUK export writes it, minus the private parts.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from directory.document import AgencyDoc, RouteDoc, TeamDoc
from directory.oruk_export import service_json
from storage.errors import InvalidInput, NotFound
from storage.models import Agency, ContactRoute, Team

MAX_PER_PAGE = 500
# Far past any directory's last page, and small enough that the row offset always fits the database's integer.
MAX_PAGE = 1_000_000
DEFAULT_PER_PAGE = 25


def _public_teams() -> Any:
    return select(Team, Agency).join(Agency, col(Agency.id) == col(Team.agency_id)).where(col(Team.is_public))


def _compile(session: Session, rows: list[tuple[Team, Agency]], at: datetime) -> list[dict[str, Any]]:
    team_ids = [team.id for team, _ in rows]
    routes: dict[int, list[RouteDoc]] = {}
    query = (
        select(ContactRoute)
        .where(col(ContactRoute.team_id).in_(team_ids), col(ContactRoute.is_public))
        .order_by(col(ContactRoute.priority), col(ContactRoute.id))
    )
    for r in session.exec(query):
        routes.setdefault(r.team_id, []).append(
            RouteDoc(key=r.key, kind=r.kind, value=r.value, uuid=r.uuid, label=r.label, when_to_use=r.when_to_use,
                     how_to_leave_message=r.how_to_leave_message, is_public=True)
        )  # fmt: skip
    services = []
    for team, agency in rows:
        doc = TeamDoc(
            key=team.key,
            name=team.name,
            agency_key=agency.key,
            uuid=team.uuid,
            purpose=team.purpose,
            handles=team.handles,
            not_for=team.not_for,
            areas=list(team.areas),
            hours={day: [(s[0], s[1]) for s in spans] for day, spans in team.hours.items()},
            is_open_bank_holidays=team.is_open_bank_holidays,
            last_verified_at=team.last_verified_at,
            routes=routes.get(team.id or 0, []),
        )
        org = AgencyDoc(
            key=agency.key,
            name=agency.name,
            kind=agency.kind,
            uuid=agency.uuid,
            description=agency.description,
            website=agency.website,
        )
        services.append(service_json(doc, org, full=False, at=at))
    return services


def services_page(
    *, session: Session, at: datetime, page: int = 1, per_page: int = DEFAULT_PER_PAGE
) -> dict[str, Any]:
    """Return one HSDS Page of public services, in a stable order.

    Raises:
        InvalidInput: `page` is outside 1 to MAX_PAGE, or `per_page` outside 1 to MAX_PER_PAGE.
    """
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput("page", f"must be between 1 and {MAX_PAGE}", example="?page=1")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput("per_page", f"must be between 1 and {MAX_PER_PAGE}", example="?per_page=25")
    total = session.exec(select(func.count(col(Team.id))).where(col(Team.is_public))).one()
    pages = math.ceil(total / per_page)
    rows = list(
        session.exec(_public_teams().order_by(col(Team.id)).offset((page - 1) * per_page).limit(per_page))
    )
    contents = _compile(session, rows, at)
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": not contents,
        "contents": contents,
    }


def service_detail(*, session: Session, at: datetime, service_id: str) -> dict[str, Any]:
    """Return one public service, compiled.

    Raises:
        NotFound: there is no public service with that id.
    """
    row = session.exec(_public_teams().where(col(Team.uuid) == service_id)).first()
    if row is None:
        raise NotFound("service", service_id)
    team, agency = row
    return _compile(session, [(team, agency)], at)[0]
