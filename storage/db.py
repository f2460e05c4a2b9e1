"""Engines and sessions for SQLite (the embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool
from sqlmodel import Session


class DatabaseUrlError(ValueError):
    """The configured database URL can't be used; the message names the problem."""


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for `url` with the settings joinup relies on for that backend.

    Raises:
        DatabaseUrlError: the URL is malformed or names a backend joinup does not support.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise DatabaseUrlError(f"JOINUP_DATABASE_URL is not a database URL: {url!r}") from error
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, in_memory=parsed.database in (None, "", ":memory:"), echo=echo)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            return create_engine(parsed, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)
        except NoSuchModuleError as error:
            raise DatabaseUrlError(
                f"JOINUP_DATABASE_URL names an unknown driver: {parsed.drivername}"
            ) from error
    raise DatabaseUrlError(f"JOINUP_DATABASE_URL must be a sqlite:/// or postgresql:// URL, not {backend!r}")


def _sqlite_engine(url: str, *, in_memory: bool, echo: bool) -> Engine:
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if in_memory:
        # One shared connection, so every session sees the same in-memory database.
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, echo=echo, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin, so BEGIN IMMEDIATE works.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Take the write lock up front: SQLite serialises writers, and a read that later
        # upgrades to a write would fail with "database is locked" under contention.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def analyze(engine: Engine) -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL's autovacuum would, a minute later;
    SQLite never does unless asked)."""
    with engine.begin() as connection:  # ANALYZE, unlike VACUUM, may run inside a transaction on both
        connection.exec_driver_sql("ANALYZE")


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory every handler and job uses."""
    return sessionmaker(engine, class_=Session, expire_on_commit=False)


def is_postgres(session: Session) -> bool:
    """Tell whether `session` talks to PostgreSQL (for SKIP LOCKED and advisory locks)."""
    return session.get_bind().dialect.name == "postgresql"


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session, commit on success and roll back on error."""
    with sessions() as session, session.begin():
        yield session


@contextmanager
def scratch_postgres_database(admin_url: str, *, prefix: str = "joinup_scratch") -> Iterator[str]:
    """Create a uniquely named PostgreSQL database on the server at `admin_url`, yield its URL, then drop it.

    For tests and benchmarks, so runs never see each other's rows.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    server = make_url(admin_url).set(drivername="postgresql+psycopg")
    admin = create_engine(server, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
