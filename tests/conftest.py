"""Shared fixtures: a fresh in-memory SQLite per test, a fake clock, and (when reachable) PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel

import storage.models  # noqa: F401  (registers the tables)
from bot import pacing
from schedules.time.clock import FakeClock
from storage.db import make_engine, make_sessions, scratch_postgres_database

# Wednesday 25 November 2026, 10:00 London (GMT).
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's JOINUP_* settings or the Teams SDK's fallbacks."""
    for name in list(os.environ):
        if name.startswith("JOINUP_") and name != "JOINUP_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    for name in ("CLIENT_ID", "CLIENT_SECRET", "TENANT_ID", "SERVICE_URL", "CLOUD"):
        monkeypatch.delenv(name, raising=False)
    # Platform pacing waits real seconds between sends to one chat; tests about pacing build their own pacer.
    monkeypatch.setenv("JOINUP_PACING__ENABLED", "false")
    pacing.configure(pacing.PacingSettings(enabled=False))


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at Wednesday 25 November 2026, 10:00."""
    return FakeClock(START)


@pytest.fixture
def engine() -> Iterator[Engine]:
    """A fresh in-memory SQLite database with every table."""
    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """The session factory over the test database."""
    return make_sessions(engine)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The PostgreSQL server for tests marked postgres; skipped unless JOINUP_TEST_DATABASE_URL is set."""
    url = os.environ.get("JOINUP_TEST_DATABASE_URL")
    if not url:
        pytest.skip("set JOINUP_TEST_DATABASE_URL to run PostgreSQL tests (make test does when it can)")
    return url


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A uniquely named, empty PostgreSQL database for one test, dropped afterwards."""
    with scratch_postgres_database(postgres_admin_url, prefix="joinup_test") as url:
        yield url


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    """An engine on a fresh PostgreSQL database with every table."""
    engine = make_engine(postgres_url)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()
