"""joinup directory source: register neighbours' Open Referral feeds, list them, pull one, report on one."""

from __future__ import annotations

import click
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.cli.common import load_settings, open_engine
from directory.cards import SOURCE_KINDS
from directory.sources import (
    DEFAULT_EVERY,
    PULLED,
    add_source,
    every_words,
    get_source,
    list_sources,
    parse_every,
    pull_source,
    report_lines,
)
from schedules.time.clock import SystemClock
from storage import migrate
from storage.db import make_sessions
from storage.errors import DomainError, InvalidInput, NotFound

_DB = click.option(
    "--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file)."
)
_ACTOR = click.option(
    "--as", "actor", default="cli", show_default=True, help="Who is doing this, for the audit log."
)


def _sessions(database_url: str | None) -> sessionmaker[Session]:
    engine = open_engine(load_settings(database_url))
    migrate.upgrade(engine)
    return make_sessions(engine)


def _fail(error: DomainError) -> click.ClickException:
    if isinstance(error, NotFound):
        return click.ClickException(f"There is no {error.kind} {error.key!r}. {error.hint}".strip())
    if isinstance(error, InvalidInput):
        example = f" For example: {error.example}" if error.example else ""
        return click.ClickException(f"{error.field}: {error.problem}.{example}")
    return click.ClickException(str(error))


@click.group(
    help="Neighbours' Open Referral feeds: add one (saying whether it holds professional routes or public "
    "services), list them, pull one now, or report on what its last pull found. Registered sources are "
    "also pulled on a schedule by joinup serve."
)
def source() -> None:
    """Source commands."""


@source.command("add", help="Register a feed (a URL or a saved JSON file) to pull on a schedule.")
@click.argument("name")
@click.argument("url")
@click.option("--kind", type=click.Choice(SOURCE_KINDS), required=True,
              help="professional: safeguarding routes of a neighbouring area; public: family services to signpost.")  # fmt: skip
@click.option("--every", "every", default="1d", show_default=True, help="How often to pull it: 12h, 1d, 1w.")
@_ACTOR
@_DB
def add(name: str, url: str, kind: str, every: str, actor: str, database_url: str | None) -> None:
    """Add a source."""
    sessions = _sessions(database_url)
    try:
        interval = parse_every(every) if every else DEFAULT_EVERY
        with sessions.begin() as session:
            added = add_source(session=session, clock=SystemClock(), name=name, url=url, kind=kind,
                               every=interval, actor=actor)  # fmt: skip
            line = f"Added {added.name} ({added.kind}, {every_words(added.every_seconds)}): {added.url}."
    except DomainError as error:
        raise _fail(error) from None
    click.echo(line + f" Pull it now with: joinup directory source pull {name.strip().lower()}")


@source.command("list", help="List the registered sources, their kind, interval and last pull.")
@_DB
def list_(database_url: str | None) -> None:
    """List sources."""
    sessions = _sessions(database_url)
    with sessions() as session:
        sources = list_sources(session=session)
        if not sources:
            click.echo("No sources yet. Add one with: joinup directory source add NAME URL --kind public")
            return
        for s in sources:
            last = s.last_good_at.isoformat(timespec="minutes") if s.last_good_at else "never"
            usable = (s.report or {}).get("usable")
            state = " HELD" if s.held else " FAILED" if s.last_error else ""
            counts = f", {usable} usable" if usable is not None else ""
            click.echo(
                f"{s.name}\t{s.kind}\t{every_words(s.every_seconds)}\tlast good pull {last}{counts}{state}\t{s.url}"
            )


@source.command("pull", help="Pull a registered source now; a feed that fails changes nothing.")
@click.argument("name")
@click.option("--confirm-removals", is_flag=True,
              help="Allow a pull that removes more than 20% of the source's services.")  # fmt: skip
@_ACTOR
@_DB
def pull(name: str, confirm_removals: bool, actor: str, database_url: str | None) -> None:
    """Pull one source."""
    sessions = _sessions(database_url)
    try:
        outcome = pull_source(sessions=sessions, clock=SystemClock(), name=name, actor=actor,
                              confirm_removals=confirm_removals)  # fmt: skip
    except DomainError as error:
        raise _fail(error) from None
    if outcome.report is not None and outcome.status == PULLED:
        for line in outcome.report.lines(detail=False):
            click.echo(line)
    if outcome.status != PULLED:
        raise click.ClickException(outcome.line)
    click.echo(outcome.line)


@source.command("report", help="What the source's last pull found: pulled, usable, quarantined by reason, …")
@click.argument("name")
@_DB
def report(name: str, database_url: str | None) -> None:
    """Report on one source."""
    sessions = _sessions(database_url)
    try:
        with sessions() as session:
            lines = report_lines(get_source(session=session, name=name))
    except DomainError as error:
        raise _fail(error) from None
    for line in lines:
        click.echo(line)
