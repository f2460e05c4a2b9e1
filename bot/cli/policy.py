"""joinup policy: load and list escalation policies (validated YAML, stored as immutable versions)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.cli.common import load_settings, open_engine
from schedules.escalation.policy import PolicyError, list_versions, load_policy, parse_policy, policy_of
from schedules.escalation.records import OPEN_STATUSES
from schedules.time.clock import SystemClock
from storage.db import make_sessions
from storage.models import Escalation, Person, RoleGrant

DB_HELP = "Database URL (default: JOINUP_DATABASE_URL or the SQLite file)."


@click.group(help="Load and list escalation policies. Open escalations keep the version they started on.")
def policy() -> None:
    """Escalation policy commands."""


def _check_admin(session: Session, handle: str) -> None:
    person = session.exec(select(Person).where(col(Person.handle) == handle)).first()
    if person is None:
        raise click.ClickException(f"There's no person {handle!r}. Give the handle of a directory admin.")
    grant = session.exec(
        select(RoleGrant.id).where(
            col(RoleGrant.person_id) == person.id, col(RoleGrant.role) == "directory_admin"
        )
    ).first()
    if person.role != "directory_admin" and grant is None:
        raise click.ClickException(f"{handle} isn't a directory admin, so can't load escalation policies.")


@policy.command(
    help="Validate a YAML escalation policy and store it as a new version (nothing changes if invalid)."
)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--by", "loaded_by", help="Handle of the directory admin loading it, for the audit log.")
@click.option("--check", "check_only", is_flag=True, help="Only validate the file; store nothing.")
@click.option("--db", "database_url", help=DB_HELP)
def load(file: Path, loaded_by: str | None, check_only: bool, database_url: str | None) -> None:
    """Load a policy file."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(
            f"Can't read {file}: {error.__class__.__name__}. Nothing was stored."
        ) from None
    try:
        parsed = parse_policy(text)
    except PolicyError as error:
        problems = "\n".join(f"  - {problem}" for problem in error.problems)
        raise click.ClickException(
            f"{file.name} can't be loaded. Fix these and try again (nothing was stored):\n{problems}"
        ) from None
    ladder = "; ".join(
        f"{lvl.level}. {lvl.name} ({lvl.working_days} working days)"
        if lvl.working_days
        else f"{lvl.level}. {lvl.name}"
        for lvl in parsed.levels
    )
    if check_only:
        click.echo(f"{file.name} is a valid policy: {parsed.name}. Levels: {ladder}.")
        return
    sessions = make_sessions(open_engine(load_settings(database_url)))
    with sessions.begin() as session:
        if loaded_by:
            _check_admin(session, loaded_by)
        version, is_new = load_policy(
            session=session, clock=SystemClock(), policy=parsed, loaded_by=loaded_by or "cli"
        )
    if not is_new:
        click.echo(f"{parsed.key} version {version.version} already has this content; nothing changed.")
        return
    default = " It is the default for new escalations." if version.is_default else ""
    click.echo(
        f"Loaded {parsed.key} version {version.version}: {parsed.name}. Levels: {ladder}.{default} "
        "Open escalations keep the version they started on."
    )


@policy.command(
    name="list", help="List every stored policy version, the default, and open escalations on each."
)
@click.option("--db", "database_url", help=DB_HELP)
def list_(database_url: str | None) -> None:
    """List policy versions."""
    sessions = make_sessions(open_engine(load_settings(database_url)))
    with sessions() as session:
        versions = list_versions(session=session)
        open_counts = dict(
            session.exec(
                select(Escalation.policy_version_id, func.count())
                .where(col(Escalation.status).in_(OPEN_STATUSES))
                .group_by(col(Escalation.policy_version_id))
            ).all()
        )
    if not versions:
        click.echo("No escalation policies are loaded. Load one with: joinup policy load FILE")
        return
    for version in versions:
        ladder = "/".join(
            str(lvl.working_days) if lvl.working_days else "partnership" for lvl in policy_of(version).levels
        )
        marker = " (default)" if version.is_default else ""
        click.echo(
            f"{version.key} v{version.version}{marker}: {version.name}; working days {ladder}; "
            f"loaded {version.loaded_at:%Y-%m-%d %H:%M} UTC by {version.loaded_by}; "
            f"{open_counts.get(version.id or 0, 0)} open escalations"
        )
