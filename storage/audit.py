"""The append-only audit log: every state change, sealed in a keyed hash chain so tampering is detectable.

Each event has a sequence number (1, 2, 3, ... with no gaps), the id of the audit key that sealed it, and an
HMAC-SHA256 over its content, its sequence number and the previous event's seal. The key lives outside the
database (JOINUP_AUDIT__KEYS), so someone who can edit the database but not read the key cannot recompute
the chain after an edit. A checkpoint of the head (sequence number and seal) is appended to a file outside
the database on a schedule and at every export; `verify` compares the log with those checkpoints, which is
how deleting the newest events (or every event) is caught. See docs/data-protection.md for what this can
and cannot prove.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from storage.db import is_postgres
from storage.models import AuditEvent

GENESIS = "0" * 64
# An arbitrary constant: the PostgreSQL advisory lock that serialises writers of the chain.
_AUDIT_LOCK = 7_334_201


@dataclass(frozen=True, slots=True)
class AuditKeys:
    """The audit keys by id, and the id of the one that seals new events."""

    current_id: str
    secrets: Mapping[str, bytes]

    def secret(self, key_id: str) -> bytes | None:
        """Return the key with this id, or None if it isn't configured."""
        return self.secrets.get(key_id)


# For tests and the console demo only: `joinup serve` refuses to start with it outside development.
DEVELOPMENT_KEYS = AuditKeys("dev", {"dev": b"joinup-development-audit-key-not-secret"})
_KEYS: WeakKeyDictionary[Engine, AuditKeys] = WeakKeyDictionary()


def use_keys(engine: Engine, keys: AuditKeys) -> None:
    """Seal and check the audit events written through `engine` with `keys` (called once at start-up)."""
    _KEYS[engine] = keys


def keys_for(session: Session) -> AuditKeys:
    """Return the audit keys configured for the session's engine (the development keys if none)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return _KEYS.get(engine, DEVELOPMENT_KEYS)


def _seal(
    *,
    key: bytes,
    key_id: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    canonical = json.dumps(
        {
            "seq": seq,
            "key_id": key_id,
            "at": at.isoformat(),
            "actor": actor,
            "action": action,
            "subject": subject,
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hmac.new(key, (canonical + prev_hash).encode("utf-8"), hashlib.sha256).hexdigest()


def record(
    *,
    session: Session,
    at: datetime,
    actor: str,
    action: str,
    subject: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event in the caller's transaction, sealed and chained to the previous one."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK})
    prev = session.exec(
        select(AuditEvent.seq, AuditEvent.hash).order_by(col(AuditEvent.seq).desc()).limit(1)
    ).first()
    seq, prev_hash = (prev[0] + 1, prev[1]) if prev else (1, GENESIS)
    keys = keys_for(session)
    key = keys.secret(keys.current_id)
    assert key is not None, "the current audit key id names no configured key"
    payload = json.loads(json.dumps(data or {}, default=str))
    at = at.astimezone(UTC)
    event = AuditEvent(
        seq=seq,
        key_id=keys.current_id,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        data=payload,
        prev_hash=prev_hash,
        hash=_seal(
            key=key, key_id=keys.current_id, seq=seq, at=at, actor=actor, action=action,
            subject=subject, data=payload, prev_hash=prev_hash,
        ),
    )  # fmt: skip
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The head of the chain as seen at one moment, kept outside the database."""

    seq: int
    hash: str
    key_id: str
    at: datetime
    mac: str = ""

    def message(self) -> bytes:
        """The bytes the checkpoint's own MAC covers."""
        return f"checkpoint:{self.seq}:{self.hash}:{self.key_id}:{self.at.isoformat()}".encode()


def head(*, session: Session, at: datetime) -> Checkpoint | None:
    """Return a sealed checkpoint of the newest event, or None when the log is empty."""
    row = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    if row is None:
        return None
    keys = keys_for(session)
    unsealed = Checkpoint(seq=row.seq, hash=row.hash, key_id=keys.current_id, at=at.astimezone(UTC))
    key = keys.secret(keys.current_id)
    assert key is not None
    mac = hmac.new(key, unsealed.message(), hashlib.sha256).hexdigest()
    return Checkpoint(seq=row.seq, hash=row.hash, key_id=keys.current_id, at=unsealed.at, mac=mac)


def write_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Append a checkpoint to the file at `path` (one JSON object a line; the file only grows)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(
        {
            "seq": checkpoint.seq,
            "hash": checkpoint.hash,
            "key_id": checkpoint.key_id,
            "at": checkpoint.at.isoformat(),
            "mac": checkpoint.mac,
        }
    )
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def read_checkpoints(path: Path) -> list[Checkpoint]:
    """Return every checkpoint in the file at `path` (none if it doesn't exist yet).

    Raises:
        ValueError: a line is not a checkpoint.
    """
    if not path.exists():
        return []
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            found.append(
                Checkpoint(
                    seq=int(raw["seq"]),
                    hash=str(raw["hash"]),
                    key_id=str(raw["key_id"]),
                    at=datetime.fromisoformat(raw["at"]),
                    mac=str(raw["mac"]),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"line {number} of {path} is not a checkpoint") from error
    return found


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of checking the chain: how many events, the first broken one if any, and why."""

    checked: int
    broken_id: int | None = None
    reason: str = ""
    checkpoints: int = 0

    @property
    def is_intact(self) -> bool:
        return not self.reason


def verify(
    *, session: Session, checkpoints: Iterable[Checkpoint] = (), batch_size: int = 5000
) -> ChainReport:
    """Walk the chain in sequence order and report the first event that is missing, moved or altered.

    With `checkpoints` (kept outside the database), also report events deleted from the end, or the whole
    log replaced: a checkpoint names an event the log no longer has, or one whose seal has changed.
    """
    keys = keys_for(session)
    wanted: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        key = keys.secret(checkpoint.key_id)
        expected_mac = hmac.new(key, checkpoint.message(), hashlib.sha256).hexdigest() if key else ""
        if not hmac.compare_digest(expected_mac, checkpoint.mac):
            return ChainReport(
                0, reason=f"the checkpoint for event {checkpoint.seq} is not sealed with our key"
            )
        wanted.setdefault(checkpoint.seq, []).append(checkpoint)
    prev_hash, last_seq, checked, matched = GENESIS, 0, 0, 0
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.seq) > last_seq)
            .order_by(col(AuditEvent.seq))
            .limit(batch_size)
        ).all()
        for row in rows:
            problem = _row_problem(row, keys=keys, expected_seq=last_seq + 1, prev_hash=prev_hash)
            if problem:
                return ChainReport(checked, broken_id=row.id, reason=problem)
            for checkpoint in wanted.get(row.seq, []):
                if not hmac.compare_digest(checkpoint.hash, row.hash):
                    return ChainReport(
                        checked,
                        broken_id=row.id,
                        reason=f"event {row.seq} differs from the checkpoint taken at {checkpoint.at.isoformat()}",
                    )
                matched += 1
            prev_hash, last_seq = row.hash, row.seq
            checked += 1
        if len(rows) < batch_size:
            break
    beyond = [c for c in wanted if c > last_seq]
    if beyond:
        newest = max(beyond)
        at = wanted[newest][0].at.isoformat()
        return ChainReport(
            checked,
            reason=f"the log ends at event {last_seq}, but a checkpoint taken at {at} saw event {newest}: "
            "events were deleted from the end",
            checkpoints=matched,
        )
    return ChainReport(checked, checkpoints=matched)


def _row_problem(row: AuditEvent, *, keys: AuditKeys, expected_seq: int, prev_hash: str) -> str:
    if row.seq != expected_seq:
        return f"events {expected_seq} to {row.seq - 1} are missing"
    if row.prev_hash != prev_hash:
        return "the link to the previous event is broken (events were reordered or replaced)"
    key = keys.secret(row.key_id)
    if key is None:
        return f"sealed with audit key {row.key_id!r}, which is not configured here"
    expected = _seal(
        key=key, key_id=row.key_id, seq=row.seq, at=row.at, actor=row.actor, action=row.action,
        subject=row.subject, data=row.data, prev_hash=row.prev_hash,
    )  # fmt: skip
    if not hmac.compare_digest(row.hash, expected):
        return (
            "the event does not match its seal (it was edited, or the chain was recomputed without the key)"
        )
    return ""


def checkpoint_if_due(*, session: Session, path: Path, at: datetime, every_minutes: int) -> Checkpoint | None:
    """Append a checkpoint when the last one is `every_minutes` old and events have been added since.

    Any number of replicas may call this: at worst two append the same head, which verifies the same.
    """
    kept = read_checkpoints(path)
    last = kept[-1] if kept else None
    if last is not None and (at - last.at).total_seconds() < every_minutes * 60:
        return None
    current = head(session=session, at=at)
    if current is None or (last is not None and current.seq == last.seq):
        return None
    write_checkpoint(path, current)
    return current
