"""The directory editor for directory admins: list and search teams, see stale entries, edit a team and its
routes (every problem shown at once, GOV.UK style), and mark an entry as checked. Every change is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from bot.runtime import Runtime
from bot.web_pages.session import (
    SignInNeeded,
    Visitor,
    check_csrf,
    page_context,
    refused_page,
    render,
    visitor,
)
from directory import editing
from directory.document import EXPECTATION_UNITS, ROUTE_KINDS
from handlers.access import auth
from handlers.access.roles import access_of
from handlers.insight.scope import Scope, directory_scope
from schedules.time.words import day_in_words
from storage.errors import NotAllowed, NotFound
from storage.models import Agency, Team

KINDS = [(kind, editing.KIND_WORDS.get(kind, kind)) for kind in ROUTE_KINDS]
UNITS = [(unit, editing.UNIT_WORDS[unit]) for unit in EXPECTATION_UNITS]


def _checked(at: datetime | None) -> str:
    """When an entry was last checked, with the year ("never" if it never was)."""
    return day_in_words(at, with_year=True) if at is not None else "never"


def _refusal(error: NotAllowed | NotFound) -> Response:
    if isinstance(error, NotFound):
        heading, lines, status = "Page not found", [f"There is no team called {error.key}.", error.hint], 404
    else:
        heading, lines, status = (
            "You can't change this entry",
            [f"You can't {error.action}.", error.reason],
            403,
        )
    return render("message.html", status_code=status, title=heading, heading=heading, lines=lines, nav=[])


def directory_routes(runtime: Runtime) -> APIRouter:
    """GET/POST /directory/edit..."""
    router = APIRouter()

    def _context(session: Session, v: Visitor) -> dict[str, Any]:
        access = access_of(session, v.person)
        can_see_insight = access.is_partnership or access.is_auditor or bool(access.managed_team_ids)
        return page_context(v, active="directory", can_edit=True, can_see_insight=can_see_insight)

    def _team_in_scope(session: Session, v: Visitor, scope: Scope, key: str) -> Team:
        team = editing.get_team(session=session, key=key)
        assert team.id is not None
        if not scope.allows(team.id):
            auth.require(session, v.person, auth.EDIT_DIRECTORY, clock=runtime.clock, team_id=team.id)
        return team

    def _team_page(
        session: Session, v: Visitor, team: Team, *, values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None, notice: str = "", status_code: int = 200,
    ) -> Response:  # fmt: skip
        agency = session.get(Agency, team.agency_id)
        routes = [
            {"id": r.id, "label": r.label, "kind_words": editing.KIND_WORDS.get(r.kind, r.kind)}
            for r in editing.routes_of(session=session, team=team)
        ]
        return render(
            "directory_team.html",
            status_code=status_code,
            title=f"Edit {team.name}",
            has_errors=bool(errors),
            team=team,
            agency=agency.name if agency else "",
            checked=_checked(team.last_verified_at),
            is_stale=editing.is_stale(team, now=runtime.clock.now()),
            routes=routes,
            values=values if values is not None else editing.form_values(session=session, team=team),
            errors=errors or {},
            notice=notice,
            kinds=KINDS,
            units=UNITS,
            **_context(session, v),
        )

    @router.get("/directory/edit", include_in_schema=False)
    async def team_list(request: Request, q: str = "", stale: str = "") -> Response:
        try:
            v = visitor(request, runtime, "directory")
            with runtime.sessions() as session:
                scope = directory_scope(session=session, person=v.person, clock=runtime.clock)
                rows = editing.list_teams(
                    session=session, now=runtime.clock.now(), query=q[:100], team_ids=scope.team_ids,
                    only_stale=bool(stale),
                )  # fmt: skip
                context = _context(session, v)
        except SignInNeeded as needed:
            return refused_page(needed.reason, needed.purpose)
        except NotAllowed as error:
            return _refusal(error)
        shown = [
            {"key": r.key, "name": r.name, "agency": r.agency, "routes": r.routes,
             "checked": _checked(r.last_verified_at), "is_stale": r.is_stale}
            for r in rows
        ]  # fmt: skip
        return render(
            "directory_list.html",
            title="Directory",
            rows=shown,
            stale_count=sum(1 for r in rows if r.is_stale),
            query=q,
            only_stale=bool(stale),
            **context,
        )

    @router.get("/directory/edit/{key}", include_in_schema=False)
    async def team_form(request: Request, key: str, saved: int = -1, checked: str = "") -> Response:
        try:
            v = visitor(request, runtime, "directory")
            with runtime.sessions() as session:
                scope = directory_scope(session=session, person=v.person, clock=runtime.clock)
                team = _team_in_scope(session, v, scope, key)
                notice = ""
                if saved == 0:
                    notice = "Nothing had changed, so nothing was saved."
                elif saved > 0:
                    notice = (
                        f"Saved {saved} {'change' if saved == 1 else 'changes'}. Chat searches show them now."
                    )
                elif checked:
                    notice = "Marked as checked today."
                return _team_page(session, v, team, notice=notice)
        except SignInNeeded as needed:
            return refused_page(needed.reason, needed.purpose)
        except (NotAllowed, NotFound) as error:
            return _refusal(error)

    async def _form(request: Request) -> dict[str, str]:
        body = (await request.body()).decode("utf-8", errors="replace")
        return dict(parse_qsl(body, keep_blank_values=True))

    @router.post("/directory/edit/{key}", include_in_schema=False)
    async def save(request: Request, key: str) -> Response:
        form = await _form(request)
        try:
            v = visitor(request, runtime, "directory")
            check_csrf(runtime, request, form.get("csrf", ""), "directory")
            with runtime.sessions.begin() as session:
                scope = directory_scope(session=session, person=v.person, clock=runtime.clock)
                team = _team_in_scope(session, v, scope, key)
                try:
                    changed = editing.apply_edit(
                        session=session, clock=runtime.clock, team=team, form=form, actor=v.person.handle
                    )
                except editing.EditRejected as rejected:
                    errors = {e.field: e.message for e in rejected.errors}
                    return _team_page(session, v, team, values=form, errors=errors, status_code=400)
        except SignInNeeded as needed:
            return refused_page(needed.reason, needed.purpose)
        except (NotAllowed, NotFound) as error:
            return _refusal(error)
        return RedirectResponse(f"/directory/edit/{team.key}?saved={len(changed)}", status_code=303)

    @router.post("/directory/edit/{key}/verify", include_in_schema=False)
    async def verify(request: Request, key: str) -> Response:
        form = await _form(request)
        try:
            v = visitor(request, runtime, "directory")
            check_csrf(runtime, request, form.get("csrf", ""), "directory")
            with runtime.sessions.begin() as session:
                scope = directory_scope(session=session, person=v.person, clock=runtime.clock)
                team = _team_in_scope(session, v, scope, key)
                editing.mark_verified(session=session, clock=runtime.clock, team=team, actor=v.person.handle)
        except SignInNeeded as needed:
            return refused_page(needed.reason, needed.purpose)
        except (NotAllowed, NotFound) as error:
            return _refusal(error)
        return RedirectResponse(f"/directory/edit/{team.key}?checked=1", status_code=303)

    return router
