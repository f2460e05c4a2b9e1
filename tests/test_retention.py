"""Retention purge: a dry run changes nothing; a real run keeps open work, leaves tombstones, and the chain holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, func, select

from schedules import retention
from schedules.time.clock import FakeClock
from storage import audit
from storage.db import make_sessions
from storage.errors import InvalidInput
from storage.models import (
    AuditEvent,
    ContactAttempt,
    Escalation,
    EscalationStep,
    Reminder,
    SharingDecision,
    TrackedItem,
)
from tests.conftest import START
from tests.roles_world import World, add_escalation, add_item, build_world

LONG_AGO = START - timedelta(days=7 * 365)
LAST_YEAR = START - timedelta(days=365)
TABLES = (TrackedItem, ContactAttempt, Escalation, EscalationStep, Reminder, SharingDecision, AuditEvent)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    with sessions.begin() as session:
        world = build_world(session, now=LONG_AGO)
        old = add_item(
            session, world, ref="TI-0101", case_ref="NB-OLD", sender="hv.amy", to_team="front-door",
            sent_at=LONG_AGO, status="closed", closed_at=LONG_AGO + timedelta(days=3),
        )  # fmt: skip
        add_item(
            session,
            world,
            ref="TI-0102",
            case_ref="NB-OLD",
            sender="hv.amy",
            to_team="front-door",
            sent_at=LONG_AGO,
        )  # fmt: skip  (open for seven years: never touched)
        add_item(
            session, world, ref="TI-0103", case_ref="NB-NEW", sender="hv.amy", to_team="front-door",
            sent_at=LAST_YEAR, status="closed", closed_at=LAST_YEAR,
        )  # fmt: skip
        pinned = add_item(
            session, world, ref="TI-0104", case_ref="NB-PIN", sender="hv.amy", to_team="front-door",
            sent_at=LONG_AGO, status="closed", closed_at=LONG_AGO,
        )  # fmt: skip
        assert old.id is not None
        session.add(
            ContactAttempt(
                item_id=old.id, case_ref="NB-OLD", team_id=world.team_id("front-door"),
                person_id=world.person_id("hv.amy"), at=LONG_AGO, result="left_message",
            )
        )  # fmt: skip
        session.add(
            Reminder(
                dedupe_key="ack:TI-0101", recipient_person_id=world.person_id("hv.amy"), kind="ack_chase",
                subject_id=old.id, due_at=LONG_AGO, status="cancelled", created_at=LONG_AGO,
            )
        )  # fmt: skip
        closed = add_escalation(
            session, world, ref="ES-0101", case_ref="NB-ESC", raiser="hv.amy", other_team="front-door",
            level=2, level_started_at=LONG_AGO, status="resolved", closed_at=LONG_AGO + timedelta(days=5),
        )  # fmt: skip
        assert closed.id is not None
        session.add(EscalationStep(escalation_id=closed.id, level=1, at=LONG_AGO, action="started"))
        still_open = add_escalation(
            session, world, ref="ES-0102", case_ref="NB-PIN", raiser="hv.amy", other_team="front-door",
            level=1, level_started_at=LONG_AGO,
        )  # fmt: skip
        still_open.item_id = pinned.id
        session.add(
            SharingDecision(
                case_ref="NB-SHARE", person_id=world.person_id("hv.amy"), at=LONG_AGO, decision="shared"
            )
        )
        audit.record(
            session=session, at=LONG_AGO, actor="hv.amy", action="item.created", subject="item:TI-0101"
        )
    return world


def counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {t.__name__: session.exec(select(func.count()).select_from(t)).one() for t in TABLES}


def purge(sessions: sessionmaker[Session], clock: FakeClock, *, dry_run: bool) -> retention.PurgeReport:
    with sessions.begin() as session:
        return retention.purge(
            session=session,
            clock=clock,
            older_than=relativedelta(years=6),
            actor="audit.sam",
            dry_run=dry_run,
        )


def test_a_dry_run_reports_and_changes_nothing(
    sessions: sessionmaker[Session], world: World, clock: FakeClock
) -> None:
    before = counts(sessions)
    report = purge(sessions, clock, dry_run=True)
    assert counts(sessions) == before
    assert dict(report.removed) == {
        "items": 1,
        "contact attempts": 1,
        "escalations": 1,
        "escalation steps": 1,
        "sharing decisions": 1,
        "reminders": 1,
    }
    assert sorted(report.cases) == ["NB-ESC", "NB-OLD", "NB-SHARE"]


def test_a_real_run_keeps_open_and_recent_work_and_the_chain_verifies(
    sessions: sessionmaker[Session], world: World, clock: FakeClock
) -> None:
    purge(sessions, clock, dry_run=False)
    with sessions() as session:
        assert sorted(session.exec(select(TrackedItem.ref)).all()) == ["TI-0102", "TI-0103", "TI-0104"]
        assert session.exec(select(Escalation.ref)).all() == ["ES-0102"]
        assert session.exec(select(func.count()).select_from(ContactAttempt)).one() == 0
        assert session.exec(select(func.count()).select_from(SharingDecision)).one() == 0
        assert session.exec(select(func.count()).select_from(Reminder)).one() == 0
        tombstones = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.action) == "retention.purged")
            .order_by(col(AuditEvent.id))
        ).all()
        assert [(t.subject, t.actor) for t in tombstones] == [
            ("case:NB-ESC", "audit.sam"),
            ("case:NB-OLD", "audit.sam"),
            ("case:NB-SHARE", "audit.sam"),
        ]
        assert tombstones[1].data["items"] == 1 and tombstones[1].data["contact attempts"] == 1
        assert audit.verify(session=session).is_intact
    # Running again finds nothing more.
    again = purge(sessions, clock, dry_run=False)
    assert not again.removed and not again.cases


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6y", relativedelta(years=6)),
        ("18m", relativedelta(months=18)),
        ("90d", relativedelta(days=90)),
        (" 7 years ", relativedelta(years=7)),
    ],
)
def test_parse_age(text: str, expected: relativedelta) -> None:
    assert retention.parse_age(text) == expected


@pytest.mark.parametrize("text", ["", "six years", "0y", "6w", "-6y"])
def test_parse_age_refuses_odd_periods(text: str) -> None:
    with pytest.raises(InvalidInput):
        retention.parse_age(text)


def test_the_job_purges_once_a_day(sessions: sessionmaker[Session], world: World, clock: FakeClock) -> None:
    from handlers.retention import purge_once_a_day

    assert purge_once_a_day(sessions=sessions, clock=clock, retention_years=6)
    clock.advance(timedelta(hours=3))
    assert not purge_once_a_day(sessions=sessions, clock=clock, retention_years=6)
    clock.advance(timedelta(days=1))
    assert purge_once_a_day(sessions=sessions, clock=clock, retention_years=6)
    with sessions() as session:
        runs = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "retention.run")).all()
        assert [r.actor for r in runs] == ["system", "system"]
        assert sorted(session.exec(select(TrackedItem.ref)).all()) == ["TI-0102", "TI-0103", "TI-0104"]


@pytest.mark.postgres
def test_purge_on_postgresql(pg_engine: Engine) -> None:
    pg_sessions = make_sessions(pg_engine)
    clock = FakeClock(START)
    with pg_sessions.begin() as session:
        world = build_world(session, now=LONG_AGO)
        add_item(
            session, world, ref="TI-0201", case_ref="NB-PG", sender="hv.amy", to_team="front-door",
            sent_at=LONG_AGO, status="closed", closed_at=LONG_AGO,
        )  # fmt: skip
        add_item(
            session, world, ref="TI-0202", case_ref="NB-PG", sender="hv.amy", to_team="front-door",
            sent_at=LONG_AGO,
        )  # fmt: skip
    report = purge(pg_sessions, clock, dry_run=False)
    assert dict(report.removed) == {"items": 1}
    with pg_sessions() as session:
        assert session.exec(select(TrackedItem.ref)).all() == ["TI-0202"]
        assert audit.verify(session=session).is_intact
