"""joinup digest: see what a manager's digest says, without sending it."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from sqlmodel import col, select

from bot.cli.common import load_settings, open_engine
from handlers.access.auth import RECEIVE_DIGEST, can
from handlers.digest.commands import build_for
from handlers.digest.render import as_plain_text, render_digest
from schedules.time.calendar import LONDON
from schedules.time.clock import FakeClock, SystemClock
from storage.db import make_sessions
from storage.models import Person


@click.group(help="Manager digests.")
def digest() -> None:
    """Digest commands."""


@digest.command(help="Print the digest a manager would receive now (nothing is sent or recorded).")
@click.option("--as", "handle", required=True, help="The manager's handle, e.g. mgr.kate.")
@click.option("--at", "at", help="Preview as of this London time (ISO, e.g. 2026-11-27T08:30); default now.")
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
def preview(handle: str, at: str | None, database_url: str | None) -> None:
    """Print a manager's digest as plain text."""
    clock = SystemClock() if at is None else FakeClock(_parse_at(at))
    sessions = make_sessions(open_engine(load_settings(database_url)))
    with sessions() as session:
        person = session.exec(select(Person).where(col(Person.handle) == handle)).first()
        if person is None:
            raise click.ClickException(f"There is nobody with the handle {handle!r}.")
        if not can(session, person, RECEIVE_DIGEST):
            raise click.ClickException(f"{handle} doesn't manage a team, so gets no digest.")
        built = build_for(session=session, person=person, now=clock.now())
    click.echo(
        as_plain_text(render_digest(built, schedule=person.digest_schedule, is_preview=True)), nl=False
    )


def _parse_at(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "use an ISO date and time, like 2026-11-27T08:30", param_hint="--at"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LONDON).astimezone(UTC)
