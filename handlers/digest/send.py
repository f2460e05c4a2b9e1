"""The digest job: send every manager's due digest exactly once, however many replicas run it.

Each run works through the due managers in chunks. For a chunk it claims the (manager, period) runs in one
committed transaction (schedules/digest/runs.py: the unique key decides between replicas), builds those
digests with a few set-based queries, sends them outside any transaction, then records the outcomes and one
audit event. A delivery that fails is retried at the next run while its period is current.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import or_
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from handlers.access.roles import managed_teams
from handlers.digest.render import render_digest
from handlers.messages import DeliveryFailed, Notifier
from handlers.upkeep.nudges import schedule_upkeep_nudges
from schedules.digest import content as digest_content
from schedules.digest import runs as digest_runs
from schedules.digest import schedule as digests
from schedules.settings import ReminderSettings
from schedules.time.clock import Clock
from storage import audit
from storage.models import Person, RoleGrant

log = logging.getLogger(__name__)

CHUNK_SIZE = 250


@dataclass(frozen=True, slots=True)
class SendReport:
    """What one run of the digest job did."""

    sent: int = 0
    failed: int = 0
    late: int = 0

    def __add__(self, other: SendReport) -> SendReport:
        return SendReport(self.sent + other.sent, self.failed + other.failed, self.late + other.late)


def managers(*, session: Session) -> list[Person]:
    """Return everyone who manages a team and wants digests, in id order."""
    granted = select(RoleGrant.person_id).where(col(RoleGrant.role) == "manager")
    return list(
        session.exec(
            select(Person)
            .where(or_(col(Person.id).in_(granted), col(Person.role) == "manager"))
            .where(col(Person.digest_schedule) != "off")
            .order_by(col(Person.id))
        )
    )


def _due(
    session: Session, now: datetime
) -> tuple[list[tuple[Person, digests.Period]], dict[int, frozenset[int]]]:
    people = managers(session=session)
    teams = managed_teams(session, people)
    wanted: list[tuple[int, digests.Period]] = []
    by_id = {}
    for person in people:
        if person.id is None or not teams.get(person.id):
            continue
        at = digests.digest_time_of(person.digest_time)
        if not digests.is_sending_time(now=now, nation=person.nation, at=at):
            continue
        period = digests.latest_period(schedule=person.digest_schedule, now=now, nation=person.nation, at=at)
        if period is not None:
            wanted.append((person.id, period))
            by_id[person.id] = person
    due = digest_runs.unsettled(session=session, now=now, wanted=wanted)
    return [(by_id[person_id], period) for person_id, period in due], teams


async def _send_chunk(
    *,
    sessions: sessionmaker[Session],
    clock: Clock,
    notifier: Notifier,
    chunk: Sequence[tuple[Person, digests.Period]],
    teams: dict[int, frozenset[int]],
) -> SendReport:
    with sessions.begin() as session:
        won = digest_runs.claim_many(
            session=session, clock=clock, wanted=[(p.id or 0, period) for p, period in chunk]
        )
    mine = [(person, period) for person, period in chunk if person.id in won]
    if not mine:
        return SendReport()
    now = clock.now()
    built: dict[int, digest_content.Digest] = {}
    try:
        with sessions() as session:
            previous = digest_runs.previous_counts_many(
                session=session, now=now, current={p.id or 0: period.key for p, period in mine}
            )
            requests = [
                digest_content.Request(
                    person_id=person.id or 0,
                    handle=person.handle,
                    team_ids=teams[person.id or 0],
                    since=period.previous_due_at,
                    nation=person.nation,
                    previous_counts=previous.get(person.id or 0),
                )
                for person, period in mine
            ]
            built = digest_content.build_many(session=session, now=now, requests=requests)
    except Exception:  # recorded as failed below, so the next run tries again
        log.exception("building digests failed", extra={"managers": len(mine)})
    outcomes: list[tuple[int, str, dict[str, Any]]] = []
    runs: list[dict[str, Any]] = []
    for person, period in mine:
        assert person.id is not None
        claim = won[person.id]
        status = digests.FAILED
        digest = built.get(person.id)
        if digest is not None:
            status = await _deliver(
                notifier,
                person,
                render_digest(
                    digest, is_late=claim.is_late, schedule=person.digest_schedule, due_at=period.due_at
                ),
            )
        outcomes.append((claim.run_id, status, digest.counts if digest else {}))
        runs.append({"to": person.handle, "period": period.key, "status": status, "late": claim.is_late})
    with sessions.begin() as session:
        digest_runs.record_many(session=session, clock=clock, outcomes=outcomes)
        audit.record(session=session, at=clock.now(), actor="system", action="digest.run", subject="digests",
                     data={"runs": runs})  # fmt: skip
    return SendReport(
        sent=sum(r["status"] == digests.SENT for r in runs),
        failed=sum(r["status"] != digests.SENT for r in runs),
        late=sum(r["status"] == digests.SENT and r["late"] for r in runs),
    )


async def _deliver(notifier: Notifier, person: Person, reply: Any) -> str:
    assert person.id is not None
    try:
        await notifier.notify(person_id=person.id, reply=reply)
    except DeliveryFailed as error:
        log.warning("digest not delivered", extra={"person_id": person.id, "reason": error.reason})
        return digests.FAILED if error.is_retryable else digests.UNDELIVERABLE
    except Exception:  # one manager's failure must not stop the others' digests
        log.exception("digest delivery failed", extra={"person_id": person.id})
        return digests.FAILED
    return digests.SENT


async def send_due_digests(
    *, sessions: sessionmaker[Session], clock: Clock, notifier: Notifier, chunk_size: int = CHUNK_SIZE
) -> SendReport:
    """Send every manager's digest that is due and not yet sent; safe to run in many replicas at once."""
    with sessions() as session:
        due, teams = _due(session, clock.now())
    report = SendReport()
    for start in range(0, len(due), chunk_size):
        report += await _send_chunk(
            sessions=sessions,
            clock=clock,
            notifier=notifier,
            chunk=due[start : start + chunk_size],
            teams=teams,
        )
    return report


def next_wakeup(*, sessions: sessionmaker[Session], clock: Clock) -> datetime | None:
    """Return when the next digest falls due for anyone (so a fake clock stops there)."""
    now = clock.now()
    with sessions() as session:
        people = managers(session=session)
    schedules = {(p.digest_schedule, p.nation, digests.digest_time_of(p.digest_time)) for p in people}
    times = [
        due for s, n, t in schedules if (due := digests.next_due_at(schedule=s, now=now, nation=n, at=t))
    ]
    return min(times, default=None)


class _HasReminders(Protocol):
    @property
    def reminders(self) -> ReminderSettings:
        """Reminder settings (the directory review grace period lives there)."""
        ...


class Running(Protocol):
    """What the scheduled jobs need from bot.runtime.Runtime."""

    @property
    def settings(self) -> _HasReminders:
        """The settings."""
        ...

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory."""
        ...

    @property
    def clock(self) -> Clock:
        """The clock."""
        ...

    @property
    def notifier(self) -> Notifier:
        """Sends to people other than the current conversation."""
        ...


async def digest_job(runtime: Running) -> None:
    """The scheduled job: send due digests, and schedule directory review nudges (the sweep sends those)."""
    grace = runtime.settings.reminders.directory_review_grace_working_days
    schedule_upkeep_nudges(
        sessions=runtime.sessions,
        clock=runtime.clock,
        settings=runtime.settings.reminders,
        grace_working_days=grace,
    )
    await send_due_digests(sessions=runtime.sessions, clock=runtime.clock, notifier=runtime.notifier)


def digest_wakeup(runtime: Running) -> datetime | None:
    """When the next digest falls due, so `joinup chat --clock` stops there."""
    return next_wakeup(sessions=runtime.sessions, clock=runtime.clock)
