"""What the fuzz tests share: every path into a JSON document, and row counts to prove a refusal stored nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel, func, select

# Event ids remembered to drop platform retries may grow on any accepted request; every other table may not.
TABLES = [table for name, table in sorted(SQLModel.metadata.tables.items()) if name != "slackevent"]


def json_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and list indexes) into a parsed JSON value, the empty path included."""
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += json_paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += json_paths(inner, (*prefix, index))
    return found


def table_counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Rows per table (event-id tables aside)."""
    with sessions() as session:
        return {table.name: session.exec(select(func.count()).select_from(table)).one() for table in TABLES}
