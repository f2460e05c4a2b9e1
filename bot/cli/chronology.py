"""joinup chronology: export everything joinup holds about a case, in time order, for a practice review."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from bot.cli.common import load_settings, open_engine
from schedules.chronology import timeline as case_chronology
from schedules.time.clock import SystemClock
from storage.db import make_sessions
from storage.errors import NotFound


@click.group(
    help="Export the chronology of a case reference (referrals, attempts, escalation steps, decisions)."
)
def chronology() -> None:
    """Chronology commands."""


@chronology.command(help="Export one case's chronology as Markdown, CSV or JSON, with working-day gaps.")
@click.argument("case_ref")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(case_chronology.FORMATS),
    default="md",
    show_default=True,
    help="Output format.",
)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help="Write to this file.")
@click.option("--nation", type=click.Choice(["ENG", "WLS", "SCT", "NIR"]), help="Bank holidays for the gaps.")
@click.option(
    "--by", "actor", default="cli", show_default=True, help="Who is exporting it, for the audit log."
)
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
def export(
    case_ref: str, fmt: str, output: Path | None, nation: str | None, actor: str, database_url: str | None
) -> None:
    """Export a chronology."""
    sessions = make_sessions(open_engine(load_settings(database_url)))
    try:
        with sessions.begin() as session:
            text = case_chronology.export(
                session=session,
                clock=SystemClock(),
                case_ref=case_ref,
                fmt=cast(case_chronology.Format, fmt),  # click.Choice limits it to FORMATS
                actor=actor,
                nation=nation,
            )
    except NotFound:
        raise click.ClickException(
            f"joinup holds nothing about case {case_ref.upper()}. Check the reference."
        ) from None
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote the chronology for {case_ref.upper()} to {output}.")
