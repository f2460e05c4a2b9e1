"""joinup directory: import, export, check, stale, verify and coverage for the contact directory."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
import httpx
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.cli.common import load_settings, open_engine
from bot.cli.directory_sources import source
from directory.cards import PUBLIC
from directory.concerns import ConcernsInvalid, parse_concerns, store_taxonomy
from directory.document import DirectoryInvalid
from directory.exporter import FORMATS, export_text
from directory.importer import format_for, import_file
from directory.pull import SourceReport, read_records, source_name
from directory.pull_fetch import PullFailed, fetch_records, records_from_text
from directory.pull_store import store_pull
from directory.search import resolve_team
from directory.store import ImportSummary
from directory.upkeep import coverage_gaps, stale_entries, unhandled_concerns, untagged_teams, verify_team
from schedules.time.calendar import LONDON
from schedules.time.clock import SystemClock
from storage import migrate
from storage.db import make_sessions
from storage.errors import DomainError, InvalidInput, NotFound
from storage.models import DirectorySource

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
        return click.ClickException(f"{error.field}: {error.problem}")
    return click.ClickException(str(error))


def _summary_lines(summary: ImportSummary) -> str:
    counts = summary.as_dict()
    return (
        ", ".join(f"{name.replace('_', ' ')}: {value}" for name, value in counts.items() if value)
        or "no changes"
    )


def _run_import(path: Path, database_url: str | None, actor: str, *, dry_run: bool) -> None:
    sessions = _sessions(database_url)
    try:
        with sessions.begin() as session:
            summary = import_file(
                session=session, clock=SystemClock(), path=path, actor=actor, dry_run=dry_run
            )
    except DirectoryInvalid as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"{len(error.problems)} problem(s) in {path.name}; nothing was changed. Fix them and try again."
        ) from None
    except DomainError as error:
        raise _fail(error) from None
    verb = "would change" if dry_run else "imported"
    click.echo(f"{path.name}: {verb}: {_summary_lines(summary)}.")


@click.group(
    help="Manage the contact directory: import, export, check, review, coverage and neighbours' feeds."
)
def directory() -> None:
    """Directory commands."""


directory.add_command(source)


@directory.command("import", help="Import a directory file (.yaml, .csv or ORUK .json); all or nothing.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dry-run", is_flag=True, help="Check the file and say what would change, without changing it."
)
@_ACTOR
@_DB
def import_(file: Path, dry_run: bool, actor: str, database_url: str | None) -> None:
    """Import a directory file."""
    _run_import(file, database_url, actor, dry_run=dry_run)


@directory.command(help="Check a directory file without importing it (the same as import --dry-run).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_DB
def check(file: Path, database_url: str | None) -> None:
    """Check a directory file."""
    _run_import(file, database_url, "cli", dry_run=True)


@directory.command(help="Export the whole directory (private entries included) to a file or stdout.")
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), help="Format (default: from the file name, else yaml)."
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout."
)
@_DB
def export(fmt: str | None, output: Path | None, database_url: str | None) -> None:
    """Export the directory."""
    try:
        chosen = fmt or (format_for(output) if output else "yaml")
    except InvalidInput as error:
        raise _fail(error) from None
    with _sessions(database_url)() as session:
        text = export_text(session=session, fmt=chosen)
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"Wrote the directory to {output} ({chosen}).")


@directory.command(help="List entries overdue for review (never verified, or past their review interval).")
@_DB
def stale(database_url: str | None) -> None:
    """List stale entries."""
    now = SystemClock().now()
    with _sessions(database_url)() as session:
        entries = stale_entries(session=session, at=now)
    if not entries:
        click.echo("Every directory entry has been reviewed within its review interval.")
        return
    click.echo(f"{len(entries)} entr{'y is' if len(entries) == 1 else 'ies are'} overdue for review:")
    for entry in entries:
        when = (
            "never verified"
            if entry.last_verified_at is None
            else f"last verified {entry.last_verified_at.astimezone(LONDON):%d %b %Y}, {entry.days_overdue} days overdue"
        )
        click.echo(
            f"  {entry.team_key}: {entry.team_name} ({entry.agency_name}); {when}; owner {entry.owner_handle or 'none'}"
        )


@directory.command(help="Record that a team's entry has been checked and is still right.")
@click.argument("team")
@click.option("--every", "interval", type=int, help="Also set the review interval, in days.")
@_ACTOR
@_DB
def verify(team: str, interval: int | None, actor: str, database_url: str | None) -> None:
    """Verify a team's entry."""
    clock = SystemClock()
    try:
        with _sessions(database_url).begin() as session:
            found = resolve_team(session=session, text=team)
            verify_team(session=session, clock=clock, team=found, actor=actor, review_interval_days=interval)
            name, days = found.name, found.review_interval_days
    except DomainError as error:
        raise _fail(error) from None
    click.echo(f"Recorded: {name} verified now; next review due in {days} days.")


@directory.command(
    help="List areas with no route for a common need, teams with no concerns tagged, and concerns no team "
    "in an area handles."
)
@_DB
def coverage(database_url: str | None) -> None:
    """Report coverage gaps."""
    with _sessions(database_url)() as session:
        gaps = coverage_gaps(session=session)
        untagged = [(t.key, t.name) for t in untagged_teams(session=session)]
        unhandled = unhandled_concerns(session=session)
    if not gaps:
        click.echo("Every area has a route for every common need.")
    else:
        click.echo(f"{len(gaps)} gap(s):")
        for gap in gaps:
            click.echo(f"  {gap.area}: no route for {gap.need}")
    if untagged:
        click.echo(
            f"{len(untagged)} team(s) say no concerns they handle (search finds them by their words only):"
        )
        for key, name in untagged:
            click.echo(f"  {name} ({key})")
    else:
        click.echo("Every team says which concerns it handles.")
    if unhandled:
        click.echo(f"{len(unhandled)} concern(s) no team handles in an area:")
        for gap in unhandled:
            click.echo(f"  {gap.area}: nobody handles {gap.need}")
    else:
        click.echo("Every concern is handled by a team in every area.")


@directory.command(
    help="Load an edited concern taxonomy (YAML); every problem is listed and nothing changes if any is found."
)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--check", "check_only", is_flag=True, help="Only check the file; store nothing.")
@_ACTOR
@_DB
def concerns(file: Path, check_only: bool, actor: str, database_url: str | None) -> None:
    """Load a concern taxonomy file."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(
            f"Can't read {file}: {error.__class__.__name__}. Nothing was stored."
        ) from None
    try:
        if check_only:
            taxonomy = parse_concerns(text)
            click.echo(f"{file.name} is a valid concern taxonomy with {len(taxonomy.concerns)} concerns.")
            return
        with _sessions(database_url).begin() as session:
            version, is_new = store_taxonomy(session=session, clock=SystemClock(), text=text, loaded_by=actor)
    except ConcernsInvalid as error:
        for problem in error.problems:
            click.echo(f"  - {problem}", err=True)
        raise click.ClickException(
            f"{len(error.problems)} problem(s) in {file.name}; nothing was changed. Fix them and try again."
        ) from None
    if not is_new:
        click.echo(f"{file.name} matches concern taxonomy version {version}; nothing changed.")
        return
    click.echo(f"{file.name} loaded as concern taxonomy version {version}; searches use it now.")


@directory.command(
    help="Pull a neighbour's Open Referral feed (a URL, or a saved JSON file) into the directory, record by "
    "record: usable services land, the rest are quarantined with their reason. The services belong to the "
    "source and are read-only here; pulling again updates them."
)
@click.argument("feed")
@click.option("--source", "source", required=True, help="A short name for the feed, like millbridge.")
@click.option(
    "--confirm-removals",
    is_flag=True,
    help="Allow a pull that removes more than 20% of the source's services.",
)
@click.option("--details/--summary", default=True, show_default=True, help="List each record's problems.")
@_ACTOR
@_DB
def pull(
    feed: str, source: str, confirm_removals: bool, details: bool, actor: str, database_url: str | None
) -> None:
    """Pull one feed."""
    try:
        name = source_name(source)
        if feed.startswith(("http://", "https://")):
            with httpx.Client(
                headers={"User-Agent": "joinup directory pull"}, follow_redirects=True
            ) as client:
                records = fetch_records(feed, client=client, sleep=time.sleep)
        else:
            path = Path(feed)
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as error:
                raise PullFailed(f"I can't read {path}: {error}") from None
            records = records_from_text(text, where=path.name)
        report = read_records(SourceReport(name), records)
        sessions = _sessions(database_url)
        with sessions.begin() as session:
            # A registered source keeps the kind its admin gave it; an unregistered one is public services.
            registered = session.exec(
                select(DirectorySource.kind).where(col(DirectorySource.name) == name)
            ).first()
            summary = store_pull(
                session=session,
                clock=SystemClock(),
                report=report,
                actor=actor,
                confirm_removals=confirm_removals,
                kind=registered or PUBLIC,
            )
    except PullFailed as error:
        raise click.ClickException(f"Pull of {source} stopped: {error} Nothing was changed.") from None
    except DomainError as error:
        raise _fail(error) from None
    for line in report.lines(detail=details):
        click.echo(line)
    click.echo(f"Stored for {name}: {summary.line()}.")
