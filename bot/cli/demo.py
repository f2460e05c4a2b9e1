"""joinup demo: fill a database with the fictional Northbrook borough and months of its activity."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from sqlmodel import col, select

from bot.cli.common import load_settings, open_engine
from bot.runtime import SEEDERS
from schedules.insight.durations import CalendarCache
from schedules.insight.history import (
    SEEDED_ACTION,
    HistoryPlan,
    generate_history,
    history_teams,
    seed_demo_history,
)
from schedules.time.calendar import LONDON
from schedules.time.clock import Clock, FakeClock, SystemClock
from storage import audit, migrate
from storage.db import analyze, make_sessions
from storage.models import AuditEvent, Person


@click.group(help="The fictional Northbrook demo borough.")
def demo() -> None:
    """Demo commands."""


@demo.command(
    "seed-history",
    help="Generate months of fictional referrals, acknowledgements, feedback and escalations for the demo "
    "borough, so the insight dashboard and stats have something to show. Loads the demo directory first if "
    "the database is empty; runs once unless --again.",
)
@click.option(
    "--months", default=6, show_default=True, type=click.IntRange(1, 24), help="How far back to go."
)
@click.option(
    "--per-team-week",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.1, 500),
    help="Average referrals.",
)
@click.option(
    "--seed", default=2026, show_default=True, help="Random seed: the same seed gives the same history."
)
@click.option("--again", is_flag=True, help="Add another batch even if history was generated before.")
@click.option("--at", "at", help="Pretend it is this London time (ISO, e.g. 2026-11-25T09:00); default now.")
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
def seed_history(
    months: int, per_team_week: float, seed: int, again: bool, at: str | None, database_url: str | None
) -> None:
    """Generate the demo history."""
    clock: Clock = SystemClock() if at is None else FakeClock(_parse_at(at))
    engine = open_engine(load_settings(database_url))
    migrate.upgrade(engine)
    sessions = make_sessions(engine)
    for seeder in SEEDERS:
        if seeder is not seed_demo_history:
            with sessions.begin() as session:
                seeder(session, clock)
    with sessions.begin() as session:
        done = session.exec(select(AuditEvent.id).where(col(AuditEvent.action) == SEEDED_ACTION)).first()
        if done is not None and not again:
            click.echo("Demo history is already there. Add --again to add more.")
            return
        teams = history_teams(session=session)
        senders = session.exec(select(Person).where(col(Person.team_id).is_not(None))).all()
        if not teams or not senders:
            raise click.ClickException("There are no teams or people to make history for.")
        plan = HistoryPlan(months=months, referrals_per_team_week=per_team_week, seed=seed)
        summary = generate_history(
            session=session,
            clock=clock,
            teams=list(teams),
            senders=list(senders),
            plan=plan,
            calendars=CalendarCache(),
        )
        audit.record(
            session=session, at=clock.now(), actor="system:demo", action=SEEDED_ACTION, subject="demo:history",
            data={"items": summary.items, "escalations": summary.escalations, "months": months},
        )  # fmt: skip
    analyze(engine)  # a bulk load: give the planner its statistics now, so the dashboard is fast at once
    click.echo(
        f"Added {summary.items} referrals and {summary.escalations} escalations over {months} months "
        f"for {len(teams)} teams. Try stats in joinup chat, or insight for the dashboard link."
    )


def _parse_at(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "use an ISO date and time, like 2026-11-25T09:00", param_hint="--at"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LONDON).astimezone(UTC)
