"""Shared CLI pieces: settings, the engine, and one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from bot.config import ConfigError, Settings
from storage import audit
from storage.db import DatabaseUrlError, make_engine


def load_settings(database_url: str | None = None) -> Settings:
    """Read settings from the environment, with an optional --db override.

    Raises:
        click.ClickException: a setting is invalid.
    """
    try:
        settings = Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"JOINUP_{'__'.join(str(p).upper() for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise click.ClickException(f"Invalid settings: {problems}") from None
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    return settings


def open_engine(settings: Settings) -> Engine:
    """Create the engine, creating the SQLite file's folder if needed.

    Raises:
        click.ClickException: the URL is unusable.
    """
    if settings.database_url.startswith("sqlite:///") and not settings.database_url.startswith("sqlite:///:"):
        from pathlib import Path

        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = make_engine(settings.database_url)
    except DatabaseUrlError as error:
        raise click.ClickException(str(error)) from None
    audit.use_keys(engine, settings.audit.keyring())
    return engine


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn configuration and connection errors into one line on stderr and exit code 1."""
    try:
        yield
    except (ConfigError, DatabaseUrlError) as error:
        raise SystemExit(f"Error: {error}") from None
    except OperationalError as error:
        first = str(error.orig).strip().splitlines()[0] if error.orig else str(error).splitlines()[0]
        raise SystemExit(f"Error: can't use the database: {first}") from None
