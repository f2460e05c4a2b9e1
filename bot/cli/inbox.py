"""joinup inbox / joinup outbox: see what could not be handled or delivered, and act on it (audited)."""

from __future__ import annotations

import click

from bot.cli.common import friendly_errors, load_settings, open_engine
from schedules.inbox import rows as inbox_rows
from schedules.outbox import admin as outbox_admin
from schedules.time.clock import SystemClock
from storage.db import make_sessions

DB_OPTION = click.option(
    "--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file)."
)
BY_OPTION = click.option(
    "--by", "actor", default="cli", show_default=True, help="Who acts, for the audit log."
)
INBOX_STATUSES = ("pending", "claimed", "done", "failed", "dropped")
OUTBOX_STATUSES = ("pending", "claimed", "sent", "failed", "cancelled")


@click.group(help="Requests Slack and Teams handed joinup: see what failed, retry it or drop it.")
def inbox() -> None:
    """The inbox commands."""


@inbox.command("list", help="List inbox requests (failed ones by default); never shows what people wrote.")
@click.option(
    "--status",
    "statuses",
    type=click.Choice(INBOX_STATUSES),
    multiple=True,
    help="Statuses to list (repeatable; default failed).",
)
@click.option("--limit", default=100, show_default=True, help="List at most this many.")
@DB_OPTION
def list_inbox(statuses: tuple[str, ...], limit: int, database_url: str | None) -> None:
    """Print one line per request: id, platform, kind, status, attempts, when received, last error."""
    with friendly_errors():
        sessions = make_sessions(open_engine(load_settings(database_url)))
        with sessions() as session:
            found = inbox_rows.summaries(session, statuses=statuses or ("failed",), limit=limit)
    if not found:
        click.echo("Nothing to list.")
    for row in found:
        received = row.received_at.strftime("%Y-%m-%d %H:%M:%S")
        click.echo(
            f"{row.id}\t{row.platform}\t{row.kind}\t{row.status}\t{row.attempts} attempts\t"
            f"{received} UTC\t{row.last_error or '-'}"
        )


@inbox.command("retry", help="Hand a failed request back to the workers with fresh attempts (audited).")
@click.argument("item_id", type=int)
@BY_OPTION
@DB_OPTION
def retry_inbox(item_id: int, actor: str, database_url: str | None) -> None:
    """Retry one failed inbox request."""
    with friendly_errors():
        sessions = make_sessions(open_engine(load_settings(database_url)))
        try:
            with sessions.begin() as session:
                inbox_rows.retry(session, item_id=item_id, now=SystemClock().now(), actor=actor)
        except inbox_rows.NotRetryable as error:
            raise click.ClickException(f"Can't retry {error}.") from None
    click.echo(f"Inbox request {item_id} will be tried again by the next worker.")


@inbox.command("drop", help="Give up on a pending or failed request and empty what it held (audited).")
@click.argument("item_id", type=int)
@BY_OPTION
@DB_OPTION
def drop_inbox(item_id: int, actor: str, database_url: str | None) -> None:
    """Drop one inbox request."""
    with friendly_errors():
        sessions = make_sessions(open_engine(load_settings(database_url)))
        try:
            with sessions.begin() as session:
                inbox_rows.drop(session, item_id=item_id, now=SystemClock().now(), actor=actor)
        except inbox_rows.NotRetryable as error:
            raise click.ClickException(f"Can't drop {error}.") from None
    click.echo(f"Inbox request {item_id} was dropped.")


@click.group(help="Reminders joinup promised to send: see which could not be delivered and retry them.")
def outbox() -> None:
    """The outbox commands."""


@outbox.command("list", help="List reminders (failed ones by default): ids and kinds, never their words.")
@click.option(
    "--status",
    "statuses",
    type=click.Choice(OUTBOX_STATUSES),
    multiple=True,
    help="Statuses to list (repeatable; default failed).",
)
@click.option("--limit", default=100, show_default=True, help="List at most this many.")
@DB_OPTION
def list_outbox(statuses: tuple[str, ...], limit: int, database_url: str | None) -> None:
    """Print one line per reminder: id, kind, recipient's person id, status, attempts, due, last error."""
    with friendly_errors():
        sessions = make_sessions(open_engine(load_settings(database_url)))
        with sessions() as session:
            found = outbox_admin.summaries(session, statuses=statuses or ("failed",), limit=limit)
    if not found:
        click.echo("Nothing to list.")
    for row in found:
        due = row.due_at.strftime("%Y-%m-%d %H:%M:%S")
        click.echo(
            f"{row.id}\t{row.kind}\tperson {row.recipient_person_id}\t{row.status}\t{row.attempts} attempts\t"
            f"due {due} UTC\t{row.last_error or '-'}"
        )


@outbox.command(
    "retry", help="Send a failed reminder again at the next sweep, with fresh attempts (audited)."
)
@click.argument("reminder_id", type=int)
@BY_OPTION
@DB_OPTION
def retry_outbox(reminder_id: int, actor: str, database_url: str | None) -> None:
    """Retry one failed reminder."""
    with friendly_errors():
        sessions = make_sessions(open_engine(load_settings(database_url)))
        try:
            with sessions.begin() as session:
                outbox_admin.retry(session, reminder_id=reminder_id, now=SystemClock().now(), actor=actor)
        except outbox_admin.CannotRetry as error:
            raise click.ClickException(f"Can't retry {error}.") from None
    click.echo(f"Reminder {reminder_id} will be sent at the next sweep.")
