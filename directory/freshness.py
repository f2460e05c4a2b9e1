"""How each process's directory search index learns that the directory changed, on this replica or another.

Two signals, both cheap:
- in this process, a generation number that any write to the directory bumps (a session event), so the very
  next search here rebuilds;
- across processes (replicas, a CLI import while servers run), a one-row `directory_version` counter bumped in
  the same transaction as the write. A search reads it at most once a second (one primary-key lookup), so an
  edit on any replica is searchable on every replica within about a second plus the rebuild.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel import Session, col, select

from storage.models import (
    Agency,
    ConcernTaxonomy,
    ContactRoute,
    DirectoryVersion,
    EscalationContact,
    Synonym,
    Team,
)

# How often a search may ask the database whether another process changed the directory. Cache expiry measured
# on the monotonic timer, not domain time, so it never reads the injected clock.
VERSION_CHECK_SECONDS = 1.0
DIRECTORY_MODELS = (Agency, Team, ContactRoute, EscalationContact, Synonym, ConcernTaxonomy)
_DIRECTORY_TABLES = frozenset(str(model.__tablename__) for model in DIRECTORY_MODELS)
# Works on SQLite (3.24+) and PostgreSQL alike; the row is created by the first write.
_BUMP = text(
    "INSERT INTO directory_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = directory_version.version + 1"
)
_generation = 0
_lock = threading.Lock()


def generation() -> int:
    """This process's directory generation: it changes whenever code here writes to the directory."""
    return _generation


def bump_generation() -> None:
    """Tell searches in this process that the directory changed (imports and verifications call this)."""
    global _generation
    with _lock:
        _generation += 1


def read_version(session: Session) -> int:
    """The database's directory version: it changes whenever any process writes to the directory."""
    found = session.exec(select(DirectoryVersion.version).where(col(DirectoryVersion.id) == 1)).first()
    return int(found or 0)


def _bump_version(connection: Connection) -> None:
    connection.execute(_BUMP)


@event.listens_for(OrmSession, "after_flush")
def _changed_on_flush(session: OrmSession, _context: Any) -> None:
    """Any ORM write to the directory makes the next search here rebuild, and bumps the shared version."""
    if any(isinstance(o, DIRECTORY_MODELS) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info["directory_changed"] = True
        bump_generation()
        _bump_version(session.connection())


@event.listens_for(OrmSession, "do_orm_execute")
def _changed_by_statement(state: ORMExecuteState) -> None:
    """Bulk INSERT/UPDATE/DELETE statements on directory tables count as writes too."""
    statement = state.statement
    if isinstance(statement, UpdateBase) and getattr(statement.table, "name", None) in _DIRECTORY_TABLES:
        state.session.info["directory_changed"] = True
        bump_generation()
        _bump_version(state.session.connection())


@event.listens_for(OrmSession, "after_commit")
@event.listens_for(OrmSession, "after_rollback")
def _changed_on_end(session: OrmSession) -> None:
    if session.info.pop("directory_changed", False):
        bump_generation()
