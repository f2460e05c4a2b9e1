"""GET /insight (the dashboard) and GET /insight/download/{table}.csv, for managers and the partnership."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import col, select

from bot.runtime import Runtime
from bot.web_pages import insight_tables
from bot.web_pages.session import (
    SignInNeeded,
    Visitor,
    page_context,
    refused_page,
    render,
    visitor,
)
from directory.offered import offered
from handlers.access.roles import access_of
from handlers.insight.scope import Scope, insight_scope, require_team_insight
from schedules.insight.periods import PERIOD_NAMES, Period, period_named
from schedules.time.words import time_in_words
from storage import audit
from storage.errors import NotAllowed
from storage.models import Team

DEFAULT_PERIOD = "last 6 months"


def _not_allowed(error: NotAllowed) -> Response:
    lines = [f"You can't {error.action}.", error.reason, "Ask your manager if you think you should."]
    return render("message.html", status_code=403, title="You can't see this page", heading="You can't see this page",
                  lines=[line for line in lines if line], nav=[])  # fmt: skip


def dashboard_routes(runtime: Runtime) -> APIRouter:
    """The insight dashboard and its CSV downloads."""
    router = APIRouter()
    boards = insight_tables.DashboardCache()

    def _scope(v: Visitor, team_key: str) -> tuple[Scope, frozenset[int] | None, list[tuple[str, str]], bool]:
        with runtime.sessions() as session:
            scope = insight_scope(session=session, person=v.person, clock=runtime.clock)
            statement = select(Team.key, Team.name, Team.id).where(offered()).order_by(col(Team.name))
            if scope.team_ids is not None:
                statement = statement.where(col(Team.id).in_(sorted(scope.team_ids)))
            choices = session.exec(statement).all()
            ids = scope.team_ids
            if team_key:
                team = next((c for c in choices if c[0] == team_key), None)
                if team is None:
                    found = session.exec(select(Team.id).where(col(Team.key) == team_key)).first()
                    if found is None:
                        raise NotAllowed(
                            "see figures for that team", reason="There is no team with that name."
                        )
                    require_team_insight(
                        session=session, person=v.person, clock=runtime.clock, scope=scope, team_id=found
                    )
                    raise AssertionError("require_team_insight refuses teams outside the scope")
                ids = frozenset({team[2]}) if team[2] is not None else ids
            access = access_of(session, v.person)
            can_edit = access.is_admin_everywhere or bool(access.admin_agency_ids)
        return scope, ids, [(c[0], c[1]) for c in choices], can_edit

    def _period(name: str) -> tuple[str, Period]:
        name = name if name in PERIOD_NAMES else DEFAULT_PERIOD
        return name, period_named(name, now=runtime.clock.now())

    @router.get("/insight", include_in_schema=False)
    async def dashboard(request: Request, period: str = DEFAULT_PERIOD, team: str = "") -> Response:
        try:
            v = visitor(request, runtime, "insight")
            scope, ids, choices, can_edit = _scope(v, team)
        except SignInNeeded as needed:
            return refused_page(needed.reason, needed.purpose)
        except NotAllowed as error:
            return _not_allowed(error)
        period_name, chosen = _period(period)
        now = runtime.clock.now()
        board, worked_out_at = await boards.get(
            sessions=runtime.sessions, period=chosen, now=now, team_ids=ids
        )
        with runtime.sessions.begin() as session:
            audit.record(
                session=session, at=now, actor=v.person.handle, action="insight.viewed",
                subject=f"insight:{team or 'all'}", data={"period": chosen.key},
            )  # fmt: skip
        query = urlencode({"period": period_name, **({"team": team} if team else {})})
        tables = {
            name: {
                "caption": table.caption,
                "head": table.head,
                "rows": insight_tables.display_rows(table),
                "download": {"href": f"/insight/download/{name}.csv?{query}"},
            }
            for name, table in board.tables.items()
        }
        scope_words = (
            dict(choices).get(team, "the team")
            if team
            else ("every team" if scope.team_ids is None else "your teams and the teams you refer to")
        )
        return render(
            "dashboard.html",
            title="Response times and repeat referrals",
            period=chosen,
            period_name=period_name,
            periods=PERIOD_NAMES,
            team_key=team,
            team_choices=choices,
            scope_words=scope_words,
            headline=board.headline,
            tables=tables,
            charts=board.charts,
            worked_out_at=time_in_words(worked_out_at),
            **page_context(v, active="insight", can_edit=can_edit, can_see_insight=True),
        )

    @router.get("/insight/download/{name}.csv", include_in_schema=False)
    async def download(request: Request, name: str, period: str = DEFAULT_PERIOD, team: str = "") -> Response:
        if name not in insight_tables.TABLES:
            return Response("There is no such table.", status_code=404, media_type="text/plain")
        try:
            v = visitor(request, runtime, "insight")
            _, ids, _, _ = _scope(v, team)
        except SignInNeeded as needed:
            return refused_page(needed.reason, needed.purpose)
        except NotAllowed as error:
            return _not_allowed(error)
        _name, chosen = _period(period)
        now = runtime.clock.now()
        board, _worked_out_at = await boards.get(
            sessions=runtime.sessions, period=chosen, now=now, team_ids=ids
        )
        with runtime.sessions.begin() as session:
            audit.record(
                session=session, at=now, actor=v.person.handle, action="insight.downloaded",
                subject=f"insight:{team or 'all'}", data={"period": chosen.key, "table": name},
            )  # fmt: skip
        buffer = io.StringIO()
        csv.writer(buffer).writerows(insight_tables.as_csv_rows(board.tables[name]))
        filename = f"joinup-{name}-{team or 'all'}-{chosen.key}.csv"
        return Response(
            buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )

    return router
