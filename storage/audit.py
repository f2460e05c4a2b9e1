"""The append-only audit log: every state change, hash-chained so tampering is detectable."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from storage.db import is_postgres
from storage.models import AuditEvent

GENESIS = "0" * 64
# An arbitrary constant: the PostgreSQL advisory lock that serialises writers of the chain.
_AUDIT_LOCK = 7_334_201


def _digest(
    *, at: datetime, actor: str, action: str, subject: str, data: dict[str, Any], prev_hash: str
) -> str:
    canonical = json.dumps(
        {"at": at.isoformat(), "actor": actor, "action": action, "subject": subject, "data": data},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256((canonical + prev_hash).encode("utf-8")).hexdigest()


def record(
    *,
    session: Session,
    at: datetime,
    actor: str,
    action: str,
    subject: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event in the caller's transaction, chained to the previous one."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK})
    prev = session.exec(select(AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)).first()
    prev_hash = prev or GENESIS
    payload = json.loads(json.dumps(data or {}, default=str))
    at = at.astimezone(UTC)
    event = AuditEvent(
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        data=payload,
        prev_hash=prev_hash,
        hash=_digest(at=at, actor=actor, action=action, subject=subject, data=payload, prev_hash=prev_hash),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of checking the chain: how many rows, and the first broken one if any."""

    checked: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def is_intact(self) -> bool:
        return self.broken_id is None


def verify(*, session: Session, batch_size: int = 5000) -> ChainReport:
    """Walk the chain in id order and report the first row whose link or hash does not match."""
    prev_hash = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.id) > last_id)
            .order_by(col(AuditEvent.id))
            .limit(batch_size)
        ).all()
        if not rows:
            return ChainReport(checked=checked)
        for row in rows:
            assert row.id is not None
            if row.prev_hash != prev_hash:
                return ChainReport(
                    checked=checked, broken_id=row.id, reason="link to the previous row is broken"
                )
            expected = _digest(
                at=row.at,
                actor=row.actor,
                action=row.action,
                subject=row.subject,
                data=row.data,
                prev_hash=row.prev_hash,
            )
            if row.hash != expected:
                return ChainReport(
                    checked=checked, broken_id=row.id, reason="row content does not match its hash"
                )
            prev_hash = row.hash
            checked += 1
            last_id = row.id
