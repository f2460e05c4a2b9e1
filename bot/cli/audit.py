"""joinup audit: check, checkpoint and export the tamper-evident audit log."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.cli.common import load_settings, open_engine
from bot.config import Settings
from schedules.time.clock import SystemClock
from storage import audit as audit_log
from storage.db import make_sessions
from storage.models import AuditEvent

CHECKPOINTS_HELP = "Checkpoint file (default: JOINUP_AUDIT__CHECKPOINT_PATH)."


@click.group(help="Check, checkpoint and export the audit log.")
def audit() -> None:
    """Audit commands."""


def _open(database_url: str | None) -> tuple[Settings, sessionmaker[Session]]:
    settings = load_settings(database_url)
    return settings, make_sessions(open_engine(settings))


def checkpoint_now(settings: Settings, sessions: sessionmaker[Session], path: Path | None) -> str:
    """Append a checkpoint of the chain's head to `path` (or the configured file); return what was done."""
    target = path or settings.audit.checkpoint_path
    if target is None:
        return "No checkpoint written: set JOINUP_AUDIT__CHECKPOINT_PATH to a file outside the database."
    with sessions() as session:
        head = audit_log.head(session=session, at=SystemClock().now())
    if head is None:
        return "No checkpoint written: the audit log is empty."
    audit_log.write_checkpoint(target, head)
    return f"Checkpoint written to {target}: event {head.seq}, seal {head.hash[:16]}…"


@audit.command(
    help="Check every event of the audit chain against its seal and the checkpoints, and report the first "
    "missing, moved or altered one."
)
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
@click.option("--checkpoints", type=click.Path(path_type=Path, dir_okay=False), help=CHECKPOINTS_HELP)
def verify(database_url: str | None, checkpoints: Path | None) -> None:
    """Verify the keyed hash chain and the checkpoints kept outside the database."""
    settings, sessions = _open(database_url)
    path = checkpoints or settings.audit.checkpoint_path
    try:
        kept = audit_log.read_checkpoints(path) if path else []
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    with sessions() as session:
        report = audit_log.verify(session=session, checkpoints=kept)
    if report.is_intact:
        against = (
            f", matching {report.checkpoints} checkpoints" if kept else " (no checkpoint file to compare)"
        )
        click.echo(f"The audit chain is intact: {report.checked} events checked{against}.")
        return
    where = f" at event id {report.broken_id}" if report.broken_id is not None else ""
    raise click.ClickException(
        f"The audit chain is broken{where}: {report.reason} ({report.checked} events before it are intact)."
    )


@audit.command(help="Append a checkpoint of the chain's head to the checkpoint file (cron it, or let serve).")
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
@click.option("--to", "path", type=click.Path(path_type=Path, dir_okay=False), help=CHECKPOINTS_HELP)
def checkpoint(database_url: str | None, path: Path | None) -> None:
    """Write one checkpoint now."""
    settings, sessions = _open(database_url)
    click.echo(checkpoint_now(settings, sessions, path))


@audit.command(
    help="Export audit events as JSON lines, for information governance; then checkpoint the head."
)
@click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]), help="Only events from this date."
)
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
@click.option("--by", "actor", default="cli", show_default=True, help="Who exports, for the audit log.")
def export(since: datetime | None, database_url: str | None, actor: str) -> None:
    """Print events as JSON lines; the export is itself audited (who, when, from when, how many)."""
    settings, sessions = _open(database_url)
    query = select(AuditEvent).order_by(col(AuditEvent.seq))
    if since is not None:
        query = query.where(col(AuditEvent.at) >= since.replace(tzinfo=UTC))
    exported = 0
    with sessions() as session:
        for event in session.exec(query):
            click.echo(json.dumps(event.model_dump(mode="json"), ensure_ascii=False))
            exported += 1
    with sessions.begin() as session:  # every export is itself audited: who took the log out, and when
        audit_log.record(
            session=session,
            at=SystemClock().now(),
            actor=actor,
            action="audit.exported",
            data={"since": since.date().isoformat() if since else None, "events": exported},
        )
    # The head after the export (its own event included) goes outside the database, so what was exported
    # can later be shown to be what the log held.
    click.echo(checkpoint_now(settings, sessions, None), err=True)
