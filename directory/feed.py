"""The public Open Referral feed: the HSDS 3.0 / ORUK read API over public teams and public routes only.

Safeguarding-only lines (routes or teams not marked public), escalation contacts and joinup's own fields
never appear. Each service is compiled exactly as the ORUK export writes it, minus the private parts; list
views carry only the fields HSDS defines for them. The concerns a team handles are the terms of one
taxonomy, and each team has one (virtual) location covering its service areas.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, false, func
from sqlmodel import Session, col, select

from directory.concerns import shipped_taxonomy
from directory.document import AgencyDoc, RouteDoc, TeamDoc
from directory.feed_paging import PUBLISHED, page_ids
from directory.oruk_export import (
    CONCERN_TAXONOMY_ID,
    concern_taxonomy_json,
    concern_term_id,
    concern_term_json,
    list_item,
    service_at_location_json,
    service_json,
)
from directory.store import stable_uuid
from storage.errors import InvalidInput, NotFound
from storage.models import Agency, AuditEvent, ContactRoute, Team

MAX_PER_PAGE = 500
# Far past any directory's last page, and small enough that the row offset always fits the database's integer.
MAX_PAGE = 1_000_000
DEFAULT_PER_PAGE = 25
ORUK_VERSION = "HSDS-UK-3.0"  # what the ORUK validator reads at GET / to pick the profile it checks against
ORUK_PROFILE = "https://openreferraluk.org/"


def api_details() -> dict[str, Any]:
    """GET / of the feed: which HSDS profile this API follows."""
    return {"version": ORUK_VERSION, "profile": ORUK_PROFILE}


def _public_teams() -> Any:
    return select(Team, Agency).join(Agency, col(Agency.id) == col(Team.agency_id)).where(*PUBLISHED)


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
            concerns=list(team.concerns_primary),
            also_concerns=list(team.concerns_also),
            nation=team.nation,
            base_address=team.base_address,
            base_town=team.base_town,
            base_postcode=team.base_postcode,
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


def _check_paging(page: int, per_page: int) -> None:
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput("page", f"must be between 1 and {MAX_PAGE}", example="?page=1")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput("per_page", f"must be between 1 and {MAX_PER_PAGE}", example="?per_page=25")


def _page(contents: list[dict[str, Any]], *, total: int, page: int, per_page: int) -> dict[str, Any]:
    pages = math.ceil(total / per_page)
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


def _public_rows(
    session: Session, page: int, per_page: int, filters: tuple[Any, ...] = ()
) -> tuple[list[tuple[Team, Agency]], int]:
    """One page of public teams with their agencies, and how many match in all.

    The page's ids first, then only those rows in full: deep pages never drag whole rows through the
    offset. The unfiltered feed pages from its outline (directory/feed_paging.py: a cached total and an
    anchor id every thousand services); a filtered one counts and walks its matches each time.
    """
    if filters:
        total = session.exec(select(func.count(col(Team.id))).where(*PUBLISHED, *filters)).one()
        ids = (
            select(Team.id)
            .where(*PUBLISHED, *filters)
            .order_by(col(Team.id))
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        wanted = [team_id for team_id in session.exec(ids) if team_id is not None]
    else:
        wanted, total = page_ids(session, page, per_page)
    if not wanted:
        return [], total
    rows = session.exec(_public_teams().where(col(Team.id).in_(wanted)).order_by(col(Team.id)))
    return list(rows), total


MAX_SEARCH = 100


def service_filters(*, search: str = "", taxonomy_term_id: str = "") -> tuple[Any, ...]:
    """The HSDS `search` (words in a service's name or description) and `taxonomy_term_id` filters.

    An unknown taxonomy term matches nothing (an empty page), as a filter on a term nobody uses would.

    Raises:
        InvalidInput: the search is too long.
    """
    filters: list[Any] = []
    text = " ".join(search.split())
    if len(text) > MAX_SEARCH:
        raise InvalidInput("search", f"must be at most {MAX_SEARCH} characters", example="?search=early+help")
    for word in text.split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        filters.append(
            col(Team.name).ilike(like, escape="\\")
            | col(Team.purpose).ilike(like, escape="\\")
            | col(Team.handles).ilike(like, escape="\\")
        )
    if taxonomy_term_id.strip():
        ids = {concern_term_id(c.id): c.id for c in shipped_taxonomy().concerns}
        concern = ids.get(taxonomy_term_id.strip())
        if concern is None:
            filters.append(false())
        else:
            # The concern lists are JSON arrays; as text each id sits in quotes, on either database.
            quoted = f'%"{concern}"%'
            filters.append(
                cast(Team.concerns_primary, Text).like(quoted) | cast(Team.concerns_also, Text).like(quoted)
            )
    return tuple(filters)


def services_page(
    *,
    session: Session,
    at: datetime,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    search: str = "",
    taxonomy_term_id: str = "",
) -> dict[str, Any]:
    """Return one HSDS Page of public services in the list view, in a stable order, optionally filtered.

    Raises:
        InvalidInput: `page` is below 1, `per_page` is outside 1-100, or the search is too long.
    """
    _check_paging(page, per_page)
    filters = service_filters(search=search, taxonomy_term_id=taxonomy_term_id)
    rows, total = _public_rows(session, page, per_page, filters)
    contents = [list_item(s) for s in _compile(session, rows, at)]
    return _page(contents, total=total, page=page, per_page=per_page)


def last_modified(*, session: Session) -> datetime | None:
    """When the public directory last changed: the newest directory event in the audit log."""
    return session.exec(
        select(func.max(col(AuditEvent.at))).where(col(AuditEvent.action).like("directory.%"))
    ).one()


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


def taxonomies_page(*, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> dict[str, Any]:
    """Return the taxonomies the feed uses (joinup's concern taxonomy) as an HSDS Page.

    Raises:
        InvalidInput: bad paging.
    """
    _check_paging(page, per_page)
    every = [concern_taxonomy_json()]
    return _page(
        every[(page - 1) * per_page : page * per_page], total=len(every), page=page, per_page=per_page
    )


def taxonomy_detail(taxonomy_id: str) -> dict[str, Any]:
    """Return one taxonomy.

    Raises:
        NotFound: no taxonomy has that id.
    """
    if taxonomy_id != CONCERN_TAXONOMY_ID:
        raise NotFound("taxonomy", taxonomy_id)
    return concern_taxonomy_json()


def taxonomy_terms_page(*, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> dict[str, Any]:
    """Return the concern terms, in the taxonomy file's order, as an HSDS Page.

    Raises:
        InvalidInput: bad paging.
    """
    _check_paging(page, per_page)
    ids = [concern.id for concern in shipped_taxonomy().concerns]
    contents = [concern_term_json(i) for i in ids[(page - 1) * per_page : page * per_page]]
    return _page(contents, total=len(ids), page=page, per_page=per_page)


def taxonomy_term_detail(term_id: str) -> dict[str, Any]:
    """Return one concern term.

    Raises:
        NotFound: no term has that id.
    """
    for concern in shipped_taxonomy().concerns:
        term = concern_term_json(concern.id)
        if term["id"] == term_id:
            return term
    raise NotFound("taxonomy term", term_id)


def service_at_locations_page(
    *, session: Session, page: int = 1, per_page: int = DEFAULT_PER_PAGE
) -> dict[str, Any]:
    """Return where each public service is delivered, one per team, as an HSDS Page.

    Raises:
        InvalidInput: bad paging.
    """
    _check_paging(page, per_page)
    contents = []
    rows, total = _public_rows(session, page, per_page)
    for team, _agency in rows:
        doc = TeamDoc(key=team.key, name=team.name, agency_key="", areas=list(team.areas), nation=team.nation,
                      base_address=team.base_address, base_town=team.base_town, base_postcode=team.base_postcode)  # fmt: skip
        contents.append(service_at_location_json(doc, team.uuid or stable_uuid("team", team.key)))
    return _page(contents, total=total, page=page, per_page=per_page)


def service_at_location_detail(*, session: Session, at: datetime, sal_id: str) -> dict[str, Any]:
    """Return the compiled service delivered at one service-at-location (what HSDS 3.0 answers here).

    Raises:
        NotFound: no public service has a location with that id.
    """
    keys = session.exec(select(Team.key, Team.uuid).where(*PUBLISHED)).all()
    for key, uuid in keys:
        if stable_uuid("service-at-location", key) == sal_id:
            return service_detail(session=session, at=at, service_id=uuid)
    raise NotFound("service at location", sal_id)
