"""joinup teams: build the Teams app package, and refresh people's details from Microsoft Graph."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from bot.cli.common import load_settings, open_engine
from bot.runtime import build_router
from bot.teams.graph import GraphPeople, build_graph_client
from bot.teams.package import MANIFEST_DIR, PackageError, build_package
from bot.teams.people import sync_people
from schedules.time.clock import SystemClock
from storage.db import make_sessions


@click.group(help="Microsoft Teams: build the app package to upload, and refresh people from Entra ID.")
def teams() -> None:
    """Teams commands."""


@teams.command(help="Build the Teams app package (a zip to upload in Teams or the Teams admin centre).")
@click.option("--app-id", help="The bot's Microsoft App ID (default: JOINUP_TEAMS__APP_ID).")
@click.option("--version", "version", default="1.0.0", show_default=True, help="The app version, x.y.z.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("joinup-teams.zip"),
    show_default=True,
    help="Where to write the zip.",
)
@click.option(
    "--manifest-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=MANIFEST_DIR,
    help="The folder holding manifest.json and the icons (default: teams/manifest).",
)
def package(app_id: str | None, version: str, output: Path, manifest_dir: Path) -> None:
    """Write the zip."""
    settings = load_settings()
    app_id = app_id or settings.teams.app_id
    if not app_id:
        raise click.ClickException(
            "Give --app-id, or set JOINUP_TEAMS__APP_ID to the bot's Microsoft App ID."
        )
    try:
        data = build_package(
            app_id=app_id,
            base_url=settings.public_base_url,
            version=version,
            commands=build_router().commands,
            manifest_dir=manifest_dir,
        )
    except PackageError as error:
        raise click.ClickException(str(error)) from None
    output.write_bytes(data)
    click.echo(f"Wrote {output}. Upload it in Teams: Apps, Manage your apps, Upload an app.")


@teams.command(
    "sync-people", help="Refresh e-mail, job title and manager from Microsoft Graph for everyone on Teams."
)
@click.option("--db", "database_url", help="Database URL (default: JOINUP_DATABASE_URL or the SQLite file).")
def sync_people_command(database_url: str | None) -> None:
    """Look everyone up in Graph and store what changed."""
    settings = load_settings(database_url)
    client = build_graph_client(settings.teams)
    if client is None:
        raise click.ClickException(
            "Set JOINUP_TEAMS__APP_ID, JOINUP_TEAMS__APP_PASSWORD and JOINUP_TEAMS__TENANT_ID "
            "to read people from Microsoft Graph."
        )
    sessions = make_sessions(open_engine(settings))
    result = asyncio.run(sync_people(sessions=sessions, clock=SystemClock(), graph=GraphPeople(client)))
    message = f"Checked {result.checked} people on Teams: {result.updated} updated."
    if result.failed:
        message += f" {result.failed} couldn't be read from Graph; run this again later."
    click.echo(message)
