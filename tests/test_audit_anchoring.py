"""The audit chain is keyed and anchored outside the database: each way of tampering is caught."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.cli import cli
from bot.config import AuditSettings, ConfigError, Settings, require_audit_key
from schedules.time.clock import FakeClock
from storage import audit
from storage.db import make_engine, make_sessions
from storage.models import AuditEvent

KEYS = audit.AuditKeys("k1", {"k1": b"k1-" + b"x" * 40})


@pytest.fixture
def keyed(engine: Engine) -> sessionmaker[Session]:
    audit.use_keys(engine, KEYS)
    return make_sessions(engine)


def _chain(sessions: sessionmaker[Session], clock: FakeClock, n: int) -> None:
    for i in range(n):
        with sessions.begin() as session:
            audit.record(
                session=session, at=clock.now(), actor="hv.amy", action="item.created",
                subject=f"item:{i}", data={"case_ref": f"NB-{i}"},
            )  # fmt: skip
        clock.advance(timedelta(minutes=1))


def _checkpoint(sessions: sessionmaker[Session], clock: FakeClock) -> audit.Checkpoint:
    with sessions() as session:
        head = audit.head(session=session, at=clock.now())
    assert head is not None
    return head


def _verify(sessions: sessionmaker[Session], *checkpoints: audit.Checkpoint) -> audit.ChainReport:
    with sessions() as session:
        return audit.verify(session=session, checkpoints=checkpoints)


def _sql(sessions: sessionmaker[Session], statement: str) -> None:
    with sessions.begin() as session:
        session.execute(text(statement))


def test_each_event_has_a_sequence_number_and_the_id_of_its_key(
    keyed: sessionmaker[Session], clock: FakeClock
) -> None:
    _chain(keyed, clock, 3)
    with keyed() as session:
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    assert [(r.seq, r.key_id) for r in rows] == [(1, "k1"), (2, "k1"), (3, "k1")]
    assert _verify(keyed, _checkpoint(keyed, clock)).is_intact


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("UPDATE audit_event SET actor = 'someone.else' WHERE seq = 3", "does not match its seal"),
        ("DELETE FROM audit_event WHERE seq = 3", "events 3 to 3 are missing"),
        ("UPDATE audit_event SET seq = -seq WHERE seq IN (3, 4)", "link to the previous event is broken"),
    ],
)
def test_edited_deleted_and_reordered_events_are_caught(
    keyed: sessionmaker[Session], clock: FakeClock, tamper: str, reason: str
) -> None:
    _chain(keyed, clock, 6)
    if "seq = -seq" in tamper:  # swap events 3 and 4: each takes the other's place in the sequence
        _sql(keyed, tamper)
        _sql(keyed, "UPDATE audit_event SET seq = 4 WHERE seq = -3")
        _sql(keyed, "UPDATE audit_event SET seq = 3 WHERE seq = -4")
    else:
        _sql(keyed, tamper)
    report = _verify(keyed)
    assert not report.is_intact and reason in report.reason and report.checked == 2


@pytest.mark.parametrize("deleted", ["seq = 10", "seq > 0", "seq > 0 AND seq > 5"])
def test_events_deleted_from_the_end_are_caught_by_the_checkpoint(
    keyed: sessionmaker[Session], clock: FakeClock, deleted: str
) -> None:
    _chain(keyed, clock, 10)
    checkpoint = _checkpoint(keyed, clock)
    _sql(keyed, f"DELETE FROM audit_event WHERE {deleted}")
    assert _verify(keyed).is_intact  # without the checkpoint, a shorter log looks complete
    report = _verify(keyed, checkpoint)
    assert not report.is_intact and "saw event 10: events were deleted from the end" in report.reason


def test_a_chain_recomputed_without_the_key_is_caught(keyed: sessionmaker[Session], clock: FakeClock) -> None:
    _chain(keyed, clock, 5)
    # Someone with the database but not the key edits event 2 and reseals it and every later event, with
    # plain SHA-256 and with the published development key: neither matches.
    for forge in ("sha256", "dev"):
        with keyed.begin() as session:
            rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all()
            prev = audit.GENESIS
            for row in rows:
                if row.seq == 2:
                    row.data = {"case_ref": "NB-forged"}
                if forge == "dev":
                    row.hash = audit._seal(
                        key=audit.DEVELOPMENT_KEYS.secrets["dev"], key_id=row.key_id, seq=row.seq, at=row.at,
                        actor=row.actor, action=row.action, subject=row.subject, data=row.data, prev_hash=prev,
                    )  # fmt: skip
                else:
                    body = json.dumps({"data": row.data, "seq": row.seq}) + prev
                    row.hash = hashlib.sha256(body.encode()).hexdigest()
                row.prev_hash, prev = prev, row.hash
        report = _verify(keyed)
        assert report.broken_id is not None and "recomputed without the key" in report.reason
        assert report.checked == 0  # even event 1, resealed, no longer matches


def test_a_forged_checkpoint_is_refused(keyed: sessionmaker[Session], clock: FakeClock) -> None:
    _chain(keyed, clock, 3)
    real = _checkpoint(keyed, clock)
    forged = audit.Checkpoint(seq=2, hash=real.hash, key_id="k1", at=real.at, mac="0" * 64)
    assert "not sealed with our key" in _verify(keyed, forged).reason


def test_keys_rotate_and_old_events_still_verify(engine: Engine, clock: FakeClock) -> None:
    sessions = make_sessions(engine)
    audit.use_keys(engine, KEYS)
    _chain(sessions, clock, 2)
    rotated = audit.AuditKeys("k2", {**KEYS.secrets, "k2": b"k2-" + b"y" * 40})
    audit.use_keys(engine, rotated)
    _chain(sessions, clock, 2)
    with sessions() as session:
        assert [r.key_id for r in session.exec(select(AuditEvent).order_by(col(AuditEvent.seq)))] == [
            "k1", "k1", "k2", "k2",
        ]  # fmt: skip
    assert _verify(sessions).is_intact
    audit.use_keys(engine, audit.AuditKeys("k2", {"k2": rotated.secrets["k2"]}))  # k1 thrown away
    assert "audit key 'k1', which is not configured here" in _verify(sessions).reason


def test_scheduled_checkpoints_are_written_when_due(
    keyed: sessionmaker[Session], clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "anchor" / "audit-checkpoints.jsonl"
    _chain(keyed, clock, 2)
    with keyed() as session:
        assert audit.checkpoint_if_due(session=session, path=path, at=clock.now(), every_minutes=60)
        assert audit.checkpoint_if_due(session=session, path=path, at=clock.now(), every_minutes=60) is None
    clock.advance(timedelta(hours=2))
    with keyed() as session:  # due, but nothing new: no second line
        assert audit.checkpoint_if_due(session=session, path=path, at=clock.now(), every_minutes=60) is None
    _chain(keyed, clock, 1)
    with keyed() as session:
        written = audit.checkpoint_if_due(session=session, path=path, at=clock.now(), every_minutes=60)
    assert written is not None and written.seq == 3
    assert [c.seq for c in audit.read_checkpoints(path)] == [2, 3]


def test_serve_refuses_to_start_without_an_audit_key() -> None:
    with pytest.raises(ConfigError, match="JOINUP_AUDIT__KEYS is not set"):
        require_audit_key(Settings())
    with pytest.raises(ConfigError, match="shorter than 32"):
        require_audit_key(Settings(audit=AuditSettings(keys={"k1": SecretStr("short")})))
    with pytest.raises(ConfigError, match="JOINUP_AUDIT__KEY_ID"):
        require_audit_key(
            Settings(audit=AuditSettings(keys={"a": SecretStr("x" * 40), "b": SecretStr("y" * 40)}))
        )
    require_audit_key(Settings(audit=AuditSettings(keys={"k1": SecretStr("x" * 40)})))
    require_audit_key(Settings(env="development"))


def test_the_cli_exports_checkpoints_and_verifies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'joinup.sqlite3'}"
    anchor = tmp_path / "checkpoints.jsonl"
    monkeypatch.setenv("JOINUP_AUDIT__KEYS", json.dumps({"2026-12": "z" * 48}))
    monkeypatch.setenv("JOINUP_AUDIT__CHECKPOINT_PATH", str(anchor))
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade", "--db", url]).exit_code == 0
    for _ in range(3):  # each export is itself an audit event, then a checkpoint
        exported = runner.invoke(cli, ["audit", "export", "--db", url])
        assert exported.exit_code == 0 and "Checkpoint written" in exported.stderr
    verified = runner.invoke(cli, ["audit", "verify", "--db", url])
    assert verified.exit_code == 0 and "3 events checked, matching 3 checkpoints" in verified.output
    _sql(make_sessions(make_engine(url)), "DELETE FROM audit_event WHERE seq = 3")
    broken = runner.invoke(cli, ["audit", "verify", "--db", url])
    assert broken.exit_code == 1 and "events were deleted from the end" in broken.output
