"""Aware datetimes round-trip on both backends; the audit chain detects tampering; migrations match models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel, select

from schedules.time.clock import FakeClock
from storage import audit, migrate
from storage.db import DatabaseUrlError, make_engine, make_sessions
from storage.models import AuditEvent, Person


def _round_trip(sessions: sessionmaker[Session]) -> None:
    summer = datetime(2026, 7, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1)))
    with sessions.begin() as session:
        session.add(Person(handle="hv.test", display_name="Test HV", created_at=summer))
    with sessions() as session:
        person = session.exec(select(Person).where(Person.handle == "hv.test")).one()
    assert person.created_at == summer
    assert person.created_at is not None and person.created_at.tzinfo is not None
    assert person.created_at.utcoffset() == timedelta(0)


def test_aware_datetimes_round_trip_on_sqlite(sessions: sessionmaker[Session]) -> None:
    _round_trip(sessions)


@pytest.mark.postgres
def test_aware_datetimes_round_trip_on_postgres(pg_engine: Engine) -> None:
    _round_trip(make_sessions(pg_engine))


def test_naive_datetimes_are_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(Exception, match="naive datetime"), sessions.begin() as session:
        session.add(Person(handle="x", display_name="x", created_at=datetime(2026, 1, 1)))
        session.flush()


def _chain(sessions: sessionmaker[Session], clock: FakeClock, n: int = 5) -> None:
    for i in range(n):
        with sessions.begin() as session:
            audit.record(
                session=session,
                at=clock.now(),
                actor="hv.amy",
                action="item.created",
                subject=f"item:{i}",
                data={"case_ref": f"NB-{i}", "n": i},
            )
        clock.advance(timedelta(minutes=1))


def test_an_untouched_chain_verifies(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    _chain(sessions, clock)
    with sessions() as session:
        report = audit.verify(session=session)
    assert report.is_intact and report.checked == 5


def test_a_tampered_row_is_detected(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    _chain(sessions, clock)
    with sessions.begin() as session:
        session.execute(text("UPDATE audit_event SET actor = 'someone.else' WHERE id = 3"))
    with sessions() as session:
        report = audit.verify(session=session)
    assert report.broken_id == 3 and report.checked == 2
    assert "does not match" in report.reason


def test_a_deleted_row_is_detected(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    _chain(sessions, clock)
    with sessions.begin() as session:
        session.execute(text("DELETE FROM audit_event WHERE id = 2"))
    with sessions() as session:
        report = audit.verify(session=session)
    assert report.broken_id == 3
    assert "events 2 to 2 are missing" in report.reason


@pytest.mark.postgres
def test_the_chain_verifies_on_postgres(pg_engine: Engine, clock: FakeClock) -> None:
    sessions = make_sessions(pg_engine)
    _chain(sessions, clock, 3)
    with sessions() as session:
        assert audit.verify(session=session).checked == 3
        assert session.exec(select(AuditEvent)).first() is not None


def _assert_migrations_match_models(engine: Engine) -> None:
    migrate.upgrade(engine)
    migrate.upgrade(engine)  # twice changes nothing
    assert migrate.is_current(engine)
    with engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diff == [], f"models and migrations differ; add a migration: {diff}"


def test_migrations_reach_head_and_match_the_models_on_sqlite(tmp_path: object) -> None:
    _assert_migrations_match_models(make_engine(f"sqlite:///{tmp_path}/m.db"))


@pytest.mark.postgres
def test_migrations_reach_head_and_match_the_models_on_postgres(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    _assert_migrations_match_models(engine)
    engine.dispose()


@pytest.mark.parametrize("url", ["not a url", "mysql://root@localhost/db", "oracle://x"])
def test_bad_database_urls_name_the_problem(url: str) -> None:
    with pytest.raises(DatabaseUrlError, match="JOINUP_DATABASE_URL"):
        make_engine(url)


def test_fake_clock_only_moves_forward() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.advance(timedelta(hours=1))
    assert clock.now() == datetime(2026, 1, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        clock.advance(timedelta(hours=-1))
