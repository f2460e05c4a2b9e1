"""joinup db: database schema migrations."""

from __future__ import annotations

import click

from bot.cli.common import load_settings, open_engine
from storage import migrate


@click.group(help="Create and upgrade the database schema.")
def db() -> None:
    """Database commands."""


@db.command(help="Upgrade the database to the newest schema (safe to run again).")
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
def upgrade(database_url: str | None) -> None:
    """Run migrations to head."""
    engine = open_engine(load_settings(database_url))
    before = migrate.current(engine)
    migrate.upgrade(engine)
    after = migrate.current(engine)
    if before == after:
        click.echo(f"Already at the newest schema ({after}).")
    else:
        click.echo(f"Upgraded the schema from {before or 'empty'} to {after}.")


@db.command(help="Show the schema revision the database is at, and whether it is the newest.")
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
def current(database_url: str | None) -> None:
    """Print the current revision."""
    engine = open_engine(load_settings(database_url))
    revision = migrate.current(engine)
    status = "newest" if revision == migrate.head() else f"newest is {migrate.head()}; run joinup db upgrade"
    click.echo(f"{revision or 'empty'} ({status})")
