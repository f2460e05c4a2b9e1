"""`joinup digest preview --as HANDLE` and `joinup purge` from the command line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import SQLModel, func, select

from bot.cli.digest import digest
from bot.cli.retention import purge
from storage.db import make_engine, make_sessions
from storage.models import AuditEvent, TrackedItem
from tests.conftest import START
from tests.roles_world import add_item, build_world


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'joinup.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    with make_sessions(engine).begin() as session:
        world = build_world(session, now=START)
        add_item(
            session, world, ref="TI-0001", case_ref="NB-1", sender="hv.amy", to_team="front-door",
            sent_at=START - timedelta(days=2), ack_due_at=START - timedelta(days=1),
        )  # fmt: skip
        add_item(
            session, world, ref="TI-0002", case_ref="NB-2", sender="hv.amy", to_team="front-door",
            sent_at=START - timedelta(days=3000), status="closed", closed_at=START - timedelta(days=2990),
        )  # fmt: skip
    engine.dispose()
    return url


def test_digest_preview_prints_a_managers_digest(database: str) -> None:
    result = CliRunner().invoke(
        digest, ["preview", "--as", "mgr.kate", "--at", "2026-11-25T10:00", "--db", database]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Preview of your digest for Health visiting, Wednesday 25 November.")
    assert "Overdue from other agencies: 1" in lines
    assert any(line.startswith("• TI-0001 (case NB-1) sent to Children's front door") for line in lines)


def test_digest_preview_refuses_non_managers_and_strangers(database: str) -> None:
    amy = CliRunner().invoke(digest, ["preview", "--as", "hv.amy", "--db", database])
    assert amy.exit_code == 1 and "hv.amy doesn't manage a team" in amy.output
    nobody = CliRunner().invoke(digest, ["preview", "--as", "no.one", "--db", database])
    assert nobody.exit_code == 1 and "nobody with the handle 'no.one'" in nobody.output


def _rows(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with make_sessions(engine)() as session:
        found = (
            session.exec(select(func.count()).select_from(TrackedItem)).one(),
            session.exec(select(func.count()).select_from(AuditEvent)).one(),
        )
    engine.dispose()
    return found


def test_purge_dry_run_then_real(database: str) -> None:
    dry = CliRunner().invoke(purge, ["--older-than", "6y", "--dry-run", "--db", database])
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("Would remove 1 item about 1 case reference, all closed before")
    assert _rows(database) == (2, 0)
    real = CliRunner().invoke(purge, ["--db", database, "--by", "audit.sam"])
    assert real.exit_code == 0, real.output
    assert real.output.startswith("Removed 1 item about 1 case reference")
    assert _rows(database) == (1, 2)  # the open item stays; a tombstone and the run are audited


def test_purge_refuses_a_bad_period(database: str) -> None:
    result = CliRunner().invoke(purge, ["--older-than", "soon", "--db", database])
    assert result.exit_code == 2 and "Give a period like 6y" in result.output
