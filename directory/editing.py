"""Edit one team's directory entry from a form (the web directory editor): validate every field, apply, audit.

Validation reuses directory.fields, so a form accepts exactly what an import would. Every problem is collected
(not just the first), keyed by the form field it belongs to, so the page can show them all at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from directory import fields
from directory.document import EXPECTATION_UNITS, ROUTE_KINDS
from directory.index import bump_generation
from schedules.time.clock import Clock
from storage import audit
from storage.errors import DomainError, NotFound
from storage.models import Agency, ContactRoute, Team

TEAM_FIELDS = ("name", "purpose", "handles", "not_for", "hours", "review_interval_days")
ROUTE_FIELDS = (
    "label",
    "kind",
    "value",
    "when_to_use",
    "how_to_leave_message",
    "ack_expected",
    "ack_unit",
    "response_expected",
    "response_unit",
)
UNIT_WORDS = {"working_hours": "working hours", "working_days": "working days"}
KIND_WORDS = {
    "phone": "Phone",
    "secure_email": "Secure email",
    "email": "Email",
    "portal": "Online form or portal",
    "chat": "Chat",
}


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one form field: `field` is the input's name, `message` says how to fix it."""

    field: str
    message: str


class EditRejected(DomainError):
    """The form has problems; nothing was saved."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} problems in the form")
        self.errors = errors


@dataclass(frozen=True, slots=True)
class TeamRow:
    """One line of the directory list."""

    key: str
    name: str
    agency: str
    routes: int
    last_verified_at: datetime | None
    review_due_at: datetime | None
    is_stale: bool


def review_due_at(team: Team) -> datetime | None:
    """Return when the entry is next due for review (None: never verified, so due now)."""
    if team.last_verified_at is None:
        return None
    return team.last_verified_at + timedelta(days=team.review_interval_days)


def is_stale(team: Team, *, now: datetime) -> bool:
    """Tell whether the entry is overdue for review."""
    due = review_due_at(team)
    return due is None or due <= now


def list_teams(
    *,
    session: Session,
    now: datetime,
    query: str = "",
    team_ids: frozenset[int] | None = None,
    only_stale: bool = False,
) -> list[TeamRow]:
    """Return teams (those in `team_ids`, or all) whose name, key or agency contains `query`, by name."""
    statement = (
        select(Team, Agency.name)
        .join(Agency, col(Agency.id) == col(Team.agency_id))
        .where(col(Team.source) == "")
    )
    if team_ids is not None:
        statement = statement.where(col(Team.id).in_(sorted(team_ids)))
    for word in query.lower().split():
        pattern = f"%{word}%"
        statement = statement.where(
            or_(
                func.lower(col(Team.name)).like(pattern),
                func.lower(col(Team.key)).like(pattern),
                func.lower(col(Team.handles)).like(pattern),
                func.lower(col(Agency.name)).like(pattern),
            )
        )
    counts = dict(
        session.exec(select(ContactRoute.team_id, func.count()).group_by(col(ContactRoute.team_id))).all()
    )
    rows = [
        TeamRow(
            key=team.key,
            name=team.name,
            agency=agency,
            routes=int(counts.get(team.id or 0, 0)),
            last_verified_at=team.last_verified_at,
            review_due_at=review_due_at(team),
            is_stale=is_stale(team, now=now),
        )
        for team, agency in session.exec(statement.order_by(col(Team.name))).all()
    ]
    return [row for row in rows if row.is_stale] if only_stale else rows


def get_team(*, session: Session, key: str) -> Team:
    """Return the team with this key.

    Raises:
        NotFound: no such team.
    """
    team = session.exec(select(Team).where(col(Team.key) == key)).first()
    if team is None:
        raise NotFound("team", key, hint="Go back to the directory list and choose a team.")
    return team


def routes_of(*, session: Session, team: Team) -> list[ContactRoute]:
    """Return a team's routes, preferred first."""
    return list(
        session.exec(
            select(ContactRoute)
            .where(col(ContactRoute.team_id) == team.id)
            .order_by(col(ContactRoute.priority), col(ContactRoute.id))
        ).all()
    )


def form_values(*, session: Session, team: Team) -> dict[str, str]:
    """Return the form's initial values for a team and its routes (route inputs are route-<id>-<field>)."""
    values = {
        "name": team.name,
        "purpose": team.purpose,
        "handles": team.handles,
        "not_for": team.not_for,
        "hours": fields.format_hours_text(team.hours),
        "review_interval_days": str(team.review_interval_days),
    }
    for route in routes_of(session=session, team=team):
        for name in ROUTE_FIELDS:
            value = getattr(route, name)
            values[f"route-{route.id}-{name}"] = "" if value is None else str(value)
    return values


class _Checker:
    """Runs field checks and collects every problem instead of stopping at the first."""

    def __init__(self, form: Mapping[str, str]) -> None:
        self.form = form
        self.errors: list[FieldError] = []

    def read(self, name: str, check: Callable[[str], Any], label: str) -> Any:
        try:
            return check(self.form.get(name, ""))
        except ValueError as error:
            message = str(error)
            if message.startswith(("is ", "'")) or message[:1].isdigit():
                message = f"{label} {message}" if message.startswith("is ") else f"{label}: {message}"
            self.errors.append(FieldError(name, message[:1].upper() + message[1:]))
            return None


def _route_changes(check: _Checker, route_id: int | str) -> dict[str, Any]:
    prefix = f"route-{route_id}-"
    kind = check.read(prefix + "kind", lambda v: fields.check_choice(v, ROUTE_KINDS), "The kind of contact")
    values: dict[str, Any] = {
        "label": check.read(prefix + "label", lambda v: fields.check_text(v, max_length=200), "The label"),
        "kind": kind,
        "when_to_use": check.read(prefix + "when_to_use", fields.check_text, "When to use it"),
        "how_to_leave_message": check.read(
            prefix + "how_to_leave_message", fields.check_text, "How to leave a message"
        ),
    }
    if kind is not None:
        values["value"] = check.read(
            prefix + "value", lambda v: fields.check_route_value(kind, v), "The number or address"
        )
    for clock in ("ack", "response"):
        values[f"{clock}_expected"] = check.read(
            f"{prefix}{clock}_expected",
            lambda v: fields.parse_count(v, optional=True),
            "The expected time",
        )
        values[f"{clock}_unit"] = check.read(
            f"{prefix}{clock}_unit", lambda v: fields.check_choice(v, EXPECTATION_UNITS), "The unit"
        )
    return values


def _refuse_pulled(team: Team) -> None:
    """Pulled services belong to their source's publisher: local edits would be lost at the next pull."""
    if team.source:
        message = (
            f"{team.name} comes from the {team.source} feed and is read-only here; "
            f"ask its publisher to correct it, and it will change at the next pull."
        )
        raise EditRejected([FieldError("source", message)])


def apply_edit(
    *, session: Session, clock: Clock, team: Team, form: Mapping[str, str], actor: str
) -> list[str]:
    """Validate the whole form, then save the team and its routes; return the names of changed fields.

    Raises:
        EditRejected: one or more fields are wrong (every problem is listed; nothing is saved).
    """
    _refuse_pulled(team)
    check = _Checker(form)
    team_values = {
        "name": check.read("name", lambda v: fields.check_text(v, required=True, max_length=200), "The name"),
        "purpose": check.read("purpose", fields.check_text, "What the team does"),
        "handles": check.read("handles", fields.check_text, "What it handles"),
        "not_for": check.read("not_for", fields.check_text, "Who it is not for"),
        "hours": check.read("hours", fields.parse_hours_text, "Opening hours"),
        "review_interval_days": check.read(
            "review_interval_days", lambda v: fields.parse_count(v, minimum=7), "The review interval"
        ),
    }
    routes = routes_of(session=session, team=team)
    route_values = {route.id: _route_changes(check, route.id or 0) for route in routes}
    new_route = None
    if form.get("route-new-value", "").strip():
        new_route = _route_changes(check, "new")
    if check.errors:
        raise EditRejected(check.errors)
    changed = [name for name, value in team_values.items() if getattr(team, name) != value]
    for name in changed:
        setattr(team, name, team_values[name])
    for route in routes:
        for name, value in route_values[route.id].items():
            if getattr(route, name) != value:
                setattr(route, name, value)
                changed.append(f"route:{route.key}:{name}")
    if new_route is not None:
        assert team.id is not None
        key = f"{team.key}-{new_route['kind']}-{len(routes) + 1}"
        session.add(ContactRoute(key=key, team_id=team.id, priority=len(routes), **new_route))
        changed.append(f"route:{key}:added")
    if changed:
        session.flush()
        audit.record(
            session=session,
            at=clock.now(),
            actor=actor,
            action="directory.team_edited",
            subject=f"team:{team.key}",
            data={"changed": changed, "via": "web"},
        )
        bump_generation()
    return changed


def mark_verified(*, session: Session, clock: Clock, team: Team, actor: str) -> None:
    """Record that someone checked the entry is still right today.

    Raises:
        EditRejected: the team was pulled from a neighbour's feed; only its publisher can change it.
    """
    _refuse_pulled(team)
    team.last_verified_at = clock.now()
    session.flush()
    audit.record(
        session=session,
        at=clock.now(),
        actor=actor,
        action="directory.verified",
        subject=f"team:{team.key}",
        data={"via": "web"},
    )
    bump_generation()
