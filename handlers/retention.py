"""The daily retention job: purge closed work older than the configured retention period (JOINUP_RETENTION_YEARS)."""

from __future__ import annotations

from typing import Protocol

from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from schedules import retention
from schedules.time.calendar import LONDON
from schedules.time.clock import Clock
from storage.models import AuditEvent


class HasRetention(Protocol):
    """The settings the job reads."""

    @property
    def retention_years(self) -> int:
        """How many years closed work is kept."""
        ...


class RetentionRunning(Protocol):
    """What the job needs from bot.runtime.Runtime."""

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory."""
        ...

    @property
    def clock(self) -> Clock:
        """The clock."""
        ...

    @property
    def settings(self) -> HasRetention:
        """The settings."""
        ...


def purge_once_a_day(*, sessions: sessionmaker[Session], clock: Clock, retention_years: int) -> bool:
    """Purge closed work past the retention period, unless a purge already ran today; tell whether it ran."""
    today = clock.now().astimezone(LONDON).date()
    with sessions.begin() as session:
        last = session.exec(
            select(AuditEvent.at)
            .where(col(AuditEvent.action) == "retention.run")
            .order_by(col(AuditEvent.id).desc())
            .limit(1)
        ).first()
        if last is not None and last.astimezone(LONDON).date() == today:
            return False
        retention.purge(
            session=session,
            clock=clock,
            older_than=relativedelta(years=retention_years),
            actor="system",
            dry_run=False,
        )
    return True


async def retention_job(runtime: RetentionRunning) -> None:
    """The scheduled job: the daily retention purge."""
    purge_once_a_day(
        sessions=runtime.sessions, clock=runtime.clock, retention_years=runtime.settings.retention_years
    )
