"""SQL pieces insight needs: functions SQLite and PostgreSQL spell differently, and percentile queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    case,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from storage.db import is_postgres


class days_between(FunctionElement[float]):  # a SQL function, named as SQL names them
    """Days (fractional) from the first timestamp to the second, on SQLite and PostgreSQL."""

    type = Float()
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    first, second = list(element.clauses)
    return f"(julianday({compiler.process(second, **kw)}) - julianday({compiler.process(first, **kw)}))"


@compiles(days_between, "postgresql")
def _days_between_postgresql(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    first, second = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(second, **kw)} - {compiler.process(first, **kw)})) / 86400.0)"


@dataclass(frozen=True, slots=True)
class Distribution:
    """How many stopped clocks, and their median and 90th percentile (nearest rank)."""

    count: int = 0
    median: int | None = None
    p90: int | None = None


def tune_for_aggregates(session: Session) -> None:
    """Set PostgreSQL up for insight's aggregates, for this transaction only.

    JIT off: compiling these one-off aggregates cost seconds at 100,000 rows, more than running them.
    work_mem 64 MB: six months of a borough's referrals sort in memory instead of spilling to disk.
    """
    if is_postgres(session):
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '64MB'"))


def distributions(
    session: Session,
    *,
    value: Any,
    group: Any | None,
    where: Sequence[ColumnElement[bool]],
) -> dict[Any, Distribution]:
    """Count, median and p90 of `value` per `group` (or overall when group is None), in one query."""
    if is_postgres(session):
        return _distributions_postgres(session, value=value, group=group, where=where)
    partition = {"partition_by": group} if group is not None else {}
    ranked = (
        select(
            (group if group is not None else literal_column("0")).label("g"),
            value.label("v"),
            func.row_number().over(order_by=value, **partition).label("rn"),
            func.count().over(**partition).label("n"),
        )
        .where(value.is_not(None), *where)
        .subquery()
    )

    def at_rank(percent: int) -> Any:
        # Nearest rank: the ceil(p·n)-th value, in integer arithmetic both backends share.
        return func.max(case((ranked.c.rn == (ranked.c.n * percent + 99) // 100, ranked.c.v)))

    rows = session.execute(
        select(ranked.c.g, func.max(ranked.c.n), at_rank(50), at_rank(90)).group_by(ranked.c.g)
    ).all()
    return {row[0]: Distribution(int(row[1]), row[2], row[3]) for row in rows}


def _distributions_postgres(
    session: Session, *, value: Any, group: Any | None, where: Sequence[ColumnElement[bool]]
) -> dict[Any, Distribution]:
    """The same figures with PostgreSQL's ordered-set aggregates: one sort per group and no window.

    percentile_disc(p) is the first value whose cumulative share reaches p: the nearest rank, as above.
    """
    key = (group if group is not None else literal_column("0")).label("g")
    statement = select(
        key,
        func.count(value),
        func.percentile_disc(0.5).within_group(value),
        func.percentile_disc(0.9).within_group(value),
    ).where(value.is_not(None), *where)
    rows = session.execute(statement.group_by(key) if group is not None else statement).all()
    return {row[0]: Distribution(int(row[1]), row[2], row[3]) for row in rows if int(row[1]) > 0}


def distributions_with(
    session: Session,
    *,
    value: Any,
    group: Any,
    where: Sequence[ColumnElement[bool]],
    extra: Sequence[Any],
    joins: Sequence[tuple[Any, Any]] = (),
) -> tuple[dict[Any, Distribution], dict[Any, tuple[Any, ...]]]:
    """`distributions` per `group`, plus the `extra` aggregates over every row of each group (not only rows
    with a value), from `joins` (outer joins) as well.

    PostgreSQL does both in one scan (its percentile aggregates skip NULLs by themselves); SQLite's window
    ranking needs the NULLs gone, so there the extras are a second query.
    """
    key = group.label("g")
    if is_postgres(session):
        statement = select(
            key,
            func.count(value),
            func.percentile_disc(0.5).within_group(value),
            func.percentile_disc(0.9).within_group(value),
            *extra,
        )
        for target, on in joins:
            statement = statement.outerjoin(target, on)
        rows = session.execute(statement.where(*where).group_by(key)).all()
        found = {row[0]: Distribution(int(row[1]), row[2], row[3]) for row in rows if int(row[1]) > 0}
        return found, {row[0]: tuple(row[4:]) for row in rows}
    statement = select(key, *extra)
    for target, on in joins:
        statement = statement.outerjoin(target, on)
    rows = session.execute(statement.where(*where).group_by(key)).all()
    found = distributions(session, value=value, group=group, where=where)
    return found, {row[0]: tuple(row[1:]) for row in rows}
