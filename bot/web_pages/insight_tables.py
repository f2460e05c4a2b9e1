"""The insight dashboard's tables and charts, built from schedules.insight.figures for one scope and period.

Each table keeps raw values (hours as decimals, percentages as numbers, blanks as None) so the CSV download
carries the same numbers the page shows; the page formats them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.web_pages.charts import ChartRow, bar_chart
from handlers.insight.commands import escalation_field, figure_fields
from handlers.insight.disagreements import pair_name, partnership_fields
from schedules.insight import figures as insight
from schedules.insight import trends as insight_trends
from schedules.insight.disagreements import PairFigures, pair_figures
from schedules.insight.figures import EscalationFigures, Share, TeamFigures
from schedules.insight.kinds import KindFigures, kind_figures
from schedules.insight.periods import Period
from schedules.insight.sql import Distribution
from schedules.insight.trends import WeekFigures
from storage.models import Team

TABLES = ("teams", "kinds", "acknowledgement", "weekly", "escalations", "agency_pairs")
FRESH_FOR = timedelta(minutes=5)
STATUSES = ("open", "resolved", "partnership", "stopped")

Cell = str | int | float | None


@dataclass(frozen=True, slots=True)
class Table:
    """A caption, column headings and rows of raw values."""

    name: str
    caption: str
    head: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


def hours(minutes: int | None) -> float | None:
    """Return working minutes as hours to one decimal place."""
    return None if minutes is None else round(minutes / 60, 1)


def percent(part: Share) -> int | None:
    """Return a share as a whole percentage (None when nothing was due)."""
    return part.percent


def _ratio(count: int, total: int) -> int | None:
    return None if total == 0 else round(100 * count / total)


def show(value: Cell) -> str:
    """Format a raw cell for the page."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the dashboard page shows."""

    headline: list[tuple[str, str]]
    tables: dict[str, Table]
    charts: dict[str, Markup]


def _distribution_cells(d: Distribution) -> tuple[float | None, float | None]:
    return hours(d.median), hours(d.p90)


@dataclass(frozen=True, slots=True)
class _Scope:
    period: Period
    now: datetime
    team_ids: frozenset[int] | None


# The dashboard's independent queries, each taking a session and the scope, so they can run at once.
_PARTS: dict[str, Callable[[Session, _Scope], Any]] = {
    "counts": lambda s, c: insight.team_counts(session=s, period=c.period, now=c.now, team_ids=c.team_ids),
    "re_referred": lambda s, c: insight.re_referred(s, period=c.period, team_ids=c.team_ids),
    "feedbacks": lambda s, c: insight.response_times(
        session=s, period=c.period, team_ids=c.team_ids, clock="feedback"
    ),
    "all": lambda s, c: insight.overall_response_times(session=s, period=c.period, team_ids=c.team_ids),
    "weeks": lambda s, c: insight_trends.weekly_trend(
        session=s, period=c.period, now=c.now, team_ids=c.team_ids
    ),
    "rest": lambda s, c: _rest_part(s, c),
    "pairs": lambda s, c: pair_figures(session=s, period=c.period, now=c.now, team_ids=c.team_ids),
    "kinds": lambda s, c: kind_figures(session=s, period=c.period, now=c.now, team_ids=c.team_ids),
}


def _rest_part(
    session: Session, scope: _Scope
) -> tuple[list[tuple[str, int]], list[EscalationFigures], dict[int | None, str]]:
    histogram = insight_trends.ack_histogram(session=session, period=scope.period, team_ids=scope.team_ids)
    escalations = insight.escalation_figures(session=session, period=scope.period, team_ids=scope.team_ids)
    names = dict(
        session.exec(
            select(Team.id, Team.name).where(col(Team.id).in_([e.team_id for e in escalations]))
        ).all()
    )
    return histogram, escalations, dict(names)


def _from_parts(results: dict[str, Any]) -> Dashboard:
    counts, acks = results["counts"]
    per_team = insight.combine_team_figures(counts, results["re_referred"], acks, results["feedbacks"])
    overall = insight.combine_overall(per_team, *results["all"])
    dashboard = _assemble(per_team, overall, results["weeks"], *results["rest"], pairs=results["pairs"])
    dashboard.tables["kinds"] = kinds_table(results["kinds"])
    return dashboard


def kinds_table(figures: list[KindFigures]) -> Table:
    """Referrals, call backs and information requests counted apart, and each team's call-back reliability."""
    return Table(
        "kinds",
        "Referrals, call backs and information requests, by team",
        (
            "Team",
            "Referrals",
            "Call backs",
            "Call backs returned on time %",
            "Call backs: median delay in hours",
            "Information requests",
            "Information sent on time %",
        ),
        [
            (
                f.team_name,
                f.referrals,
                f.callbacks,
                percent(f.callbacks_on_time),
                hours(f.callback_delay.median),
                f.information_requests,
                percent(f.requests_on_time),
            )
            for f in figures
        ],
    )


def build(*, session: Session, period: Period, now: datetime, team_ids: frozenset[int] | None) -> Dashboard:
    """Return the dashboard for the teams in `team_ids` (None: every team) over `period`, in one session."""
    scope = _Scope(period, now, team_ids)
    return _from_parts({name: part(session, scope) for name, part in _PARTS.items()})


async def build_in_parallel(
    *, sessions: sessionmaker[Session], period: Period, now: datetime, team_ids: frozenset[int] | None
) -> Dashboard:
    """The same dashboard, its independent queries run at once on PostgreSQL.

    Each query has its own session and connection, in a thread, so the event loop stays free meanwhile. On
    SQLite every transaction takes the write lock (BEGIN IMMEDIATE), so there they run one after another.
    """
    engine = sessions.kw["bind"]
    if not (isinstance(engine, Engine) and engine.dialect.name == "postgresql"):
        with sessions() as session:
            return build(session=session, period=period, now=now, team_ids=team_ids)
    scope = _Scope(period, now, team_ids)

    def run(part: Callable[[Session, _Scope], Any]) -> Any:
        with sessions() as session:
            return part(session, scope)

    found = await asyncio.gather(*(asyncio.to_thread(run, part) for part in _PARTS.values()))
    return _from_parts(dict(zip(_PARTS, found, strict=True)))


def _assemble(
    per_team: list[TeamFigures],
    overall: TeamFigures,
    weeks: list[WeekFigures],
    histogram: list[tuple[str, int]],
    escalations: list[EscalationFigures],
    names: dict[int | None, str],
    *,
    pairs: list[PairFigures],
) -> Dashboard:
    levels = sorted({level for e in escalations for level in e.by_level})

    teams = Table(
        "teams",
        "Referrals received, by team",
        (
            "Team",
            "Referrals",
            "Acknowledged: median hours",
            "Acknowledged: 9 in 10 within hours",
            "Acknowledged on time %",
            "Feedback: median hours",
            "Feedback: 9 in 10 within hours",
            "Feedback on time %",
            "2 or more chases or attempts %",
            "No further action decisions",
            "Referred again within 90 days",
        ),
        [
            (
                f.team_name,
                f.referrals,
                *_distribution_cells(f.ack),
                percent(f.ack_on_time),
                *_distribution_cells(f.feedback),
                percent(f.feedback_on_time),
                _ratio(f.repeat_contacts, f.referrals),
                f.nfa,
                f.re_referred_after_nfa,
            )
            for f in per_team
        ],
    )
    acknowledgement = Table(
        "acknowledgement",
        "Time to acknowledge (working time)",
        ("Time to acknowledge", "Referrals"),
        list(histogram),
    )
    weekly = Table(
        "weekly",
        "Referrals and acknowledgements, week by week",
        ("Week beginning", "Referrals", "Acknowledged: median hours", "Acknowledged on time %"),
        [(w.week_on.isoformat(), w.referrals, hours(w.ack.median), percent(w.ack_on_time)) for w in weeks],
    )
    escalation_table = Table(
        "escalations",
        "Escalations opened, by team",
        (
            "Team",
            "Opened",
            *(f"Reached level {level}" for level in levels),
            *(status.capitalize() for status in STATUSES),
            "Median working days to resolve",
        ),
        [
            (
                names.get(e.team_id, "No team named"),
                e.opened,
                *(e.by_level.get(level, 0) for level in levels),
                *(e.by_status.get(status, 0) for status in STATUSES),
                e.resolution_days.median,
            )
            for e in escalations
        ],
    )
    by_level = {level: sum(e.by_level.get(level, 0) for e in escalations) for level in levels}
    charts = {
        "teams": bar_chart(
            chart_id="chart-teams",
            title="Working hours to acknowledge, by team",
            description="For each team, the median and the time within which 9 in 10 referrals were acknowledged.",
            series=("Median", "9 in 10 within"),
            rows=[ChartRow(f.team_name, _distribution_cells(f.ack)) for f in per_team],
            unit="h",
        ),
        "acknowledgement": bar_chart(
            chart_id="chart-acknowledgement",
            title="How long acknowledgements took",
            description="Number of referrals acknowledged within each band of working time.",
            series=("Referrals",),
            rows=[ChartRow(label, (count,)) for label, count in histogram],
        ),
        "weekly": bar_chart(
            chart_id="chart-weekly",
            title="Referrals sent each week",
            description="Referrals sent each week of the period, by the Monday the week begins.",
            series=("Referrals",),
            rows=[ChartRow(f"{w.week_on:%-d %b %Y}", (w.referrals,)) for w in weeks],
        ),
        "escalation_levels": bar_chart(
            chart_id="chart-escalations",
            title="Escalations opened, by the highest level reached",
            description="Number of escalations opened in the period at each level of the escalation policy.",
            series=("Escalations",),
            rows=[ChartRow(f"Level {level}", (count,)) for level, count in by_level.items()],
        ),
    }
    headline = [
        (f.label, f.value)
        for f in (*figure_fields(overall), escalation_field(escalations), *partnership_fields(pairs))
    ]
    return Dashboard(
        headline=headline,
        tables={t.name: t for t in (teams, acknowledgement, weekly, escalation_table, _pair_table(pairs))},
        charts=charts,
    )


def _pair_table(pairs: list[PairFigures]) -> Table:
    levels = sorted({level for p in pairs for level in (*p.median_days_by_level, *p.resolved_by_level)})
    return Table(
        "agency_pairs",
        "Escalations by agency pair (raised by → about)",
        (
            "Agencies",
            "Opened",
            "Resolved",
            "Resolved at the lowest level %",
            *(f"Resolved at level {level}" for level in levels),
            *(f"Level {level}: median working days" for level in levels),
            "Open now",
            "Open past their level deadline",
        ),
        [
            (
                pair_name(p),
                p.opened,
                p.resolved,
                p.lowest_level_percent,
                *(p.resolved_by_level.get(level, 0) for level in levels),
                *(p.median_days_by_level.get(level) for level in levels),
                p.open_now,
                p.open_past_deadline,
            )
            for p in pairs
        ],
    )


class DashboardCache:
    """Dashboards built in the last few minutes, by period and teams, so repeat views don't recount.

    Insight is about weeks and months, so figures up to FRESH_FOR old are fine; the page says when they were
    worked out. Each web app has its own cache (nothing is shared between replicas or stored).
    """

    def __init__(self, *, fresh_for: timedelta = FRESH_FOR, size: int = 64) -> None:
        self.fresh_for = fresh_for
        self.size = size
        self._boards: dict[tuple[str, frozenset[int] | None], tuple[Dashboard, datetime]] = {}
        # One build per scope at a time: people opening the same cold page together share one count.
        self._building: dict[tuple[str, frozenset[int] | None], asyncio.Lock] = {}

    async def get(
        self,
        *,
        sessions: sessionmaker[Session],
        period: Period,
        now: datetime,
        team_ids: frozenset[int] | None,
    ) -> tuple[Dashboard, datetime]:
        """Return the dashboard and when it was worked out, building it if there is no fresh one."""
        key = (period.key, team_ids)
        async with self._building.setdefault(key, asyncio.Lock()):
            found = self._boards.get(key)
            if found is not None and timedelta(0) <= now - found[1] < self.fresh_for:
                return found
            board = await build_in_parallel(sessions=sessions, period=period, now=now, team_ids=team_ids)
            built = (board, now)
            self._boards[key] = built
        if len(self._boards) > self.size:
            oldest = min(self._boards, key=lambda k: self._boards[k][1])
            del self._boards[oldest]
            self._building.pop(oldest, None)
        return built


def display_rows(table: Table) -> list[tuple[str, ...]]:
    """Return the table's rows formatted for the page."""
    return [tuple(show(cell) for cell in row) for row in table.rows]


def _csv_cell(cell: Cell) -> Any:
    if cell is None:
        return ""
    # A spreadsheet would run a cell starting with = + - @ as a formula; quote it (OWASP CSV injection).
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@"):
        return "'" + cell
    return cell


def as_csv_rows(table: Table) -> list[list[Any]]:
    """Return the heading and raw rows for a CSV file (blanks for missing values)."""
    return [list(table.head), *([_csv_cell(cell) for cell in row] for row in table.rows)]
