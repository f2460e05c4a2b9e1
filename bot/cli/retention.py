"""joinup purge: remove closed work older than the retention period, keeping a tombstone audit event per case."""

from __future__ import annotations

import click

from bot.cli.common import load_settings, open_engine
from schedules import retention
from schedules.time.clock import SystemClock
from schedules.time.words import date_in_words
from storage.db import make_sessions
from storage.errors import InvalidInput


@click.command(
    help="Remove closed items, attempts, escalations and reminders older than the retention period."
)
@click.option(
    "--older-than",
    "older_than",
    help="A period like 6y, 18m or 90d (default: JOINUP_RETENTION_YEARS, 6 years).",
)
@click.option("--dry-run", is_flag=True, help="Only say what would be removed; change nothing.")
@click.option(
    "--by", "actor", default="cli", show_default=True, help="Who runs the purge, for the audit log."
)
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
def purge(older_than: str | None, dry_run: bool, actor: str, database_url: str | None) -> None:
    """Purge (or, with --dry-run, report) closed work past the retention period."""
    settings = load_settings(database_url)
    try:
        age = retention.parse_age(older_than or f"{settings.retention_years}y")
    except InvalidInput as error:
        raise click.BadParameter(error.problem, param_hint="--older-than") from None
    sessions = make_sessions(open_engine(settings))
    with sessions.begin() as session:
        report = retention.purge(
            session=session, clock=SystemClock(), older_than=age, actor=actor, dry_run=dry_run
        )
    verb = "Would remove" if dry_run else "Removed"
    cutoff = date_in_words(report.cutoff, with_year=True, with_weekday=False)
    if not report.removed:
        click.echo(f"Nothing closed before {cutoff} to remove.")
        return
    kinds = ", ".join(_count(count, kind) for kind, count in sorted(report.removed.items()))
    cases = _count(len(report.cases), "case references")
    click.echo(f"{verb} {kinds} about {cases}, all closed before {cutoff}.")
    if dry_run:
        click.echo("Nothing was changed. Run again without --dry-run to remove them.")
    else:
        click.echo(
            "Each case reference keeps a retention.purged event in the audit log. Open items were not touched."
        )


def _count(count: int, plural: str) -> str:
    return f"{count} {plural.removesuffix('s') if count == 1 else plural}"
