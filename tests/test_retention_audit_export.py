"""`joinup audit export` is itself audited, and the chain still verifies afterwards."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlmodel import SQLModel, col, select

from bot.cli.audit import audit as audit_group
from storage import audit
from storage.db import make_engine, make_sessions
from storage.models import AuditEvent
from tests.conftest import START


def test_an_export_is_audited(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'joinup.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    with make_sessions(engine).begin() as session:
        audit.record(session=session, at=START, actor="hv.amy", action="item.created", subject="item:TI-0001")
    result = CliRunner().invoke(audit_group, ["export", "--db", url, "--by", "audit.sam"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["action"] for line in result.stdout.splitlines()] == ["item.created"]
    with make_sessions(engine)() as session:
        [event] = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "audit.exported")).all()
        assert (event.actor, event.data) == ("audit.sam", {"since": None, "events": 1})
        assert audit.verify(session=session).is_intact
    engine.dispose()
