"""joinup audit: check and export the tamper-evident audit log."""

from __future__ import annotations

import json
from datetime import datetime

import click
from sqlmodel import col, select

from bot.cli.common import load_settings, open_engine
from schedules.time.clock import SystemClock
from storage import audit as audit_log
from storage.db import make_sessions
from storage.models import AuditEvent


@click.group(help="Check and export the audit log.")
def audit() -> None:
    """Audit commands."""


@audit.command(help="Check every link of the audit chain and report the first broken one.")
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
def verify(database_url: str | None) -> None:
    """Verify the hash chain."""
    sessions = make_sessions(open_engine(load_settings(database_url)))
    with sessions() as session:
        report = audit_log.verify(session=session)
    if report.is_intact:
        click.echo(f"The audit chain is intact: {report.checked} events checked.")
        return
    raise click.ClickException(
        f"The audit chain is broken at event {report.broken_id}: {report.reason} "
        f"({report.checked} events before it are intact)."
    )


@audit.command(help="Export audit events as JSON lines, for information governance.")
@click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]), help="Only events from this date."
)
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
@click.option("--by", "actor", default="cli", show_default=True, help="Who exports, for the audit log.")
def export(since: datetime | None, database_url: str | None, actor: str) -> None:
    """Print events as JSON lines; the export is itself audited (who, when, from when, how many)."""
    sessions = make_sessions(open_engine(load_settings(database_url)))
    query = select(AuditEvent).order_by(col(AuditEvent.id))
    if since is not None:
        from datetime import UTC

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
