"""Directory upkeep nudges: the owner first, their manager after the grace period, once per review cycle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from handlers.outbox.renderers import ReminderRenderers
from handlers.upkeep import nudges as digest_upkeep
from schedules import upkeep
from schedules.settings import ReminderSettings
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, Reminder, Team
from tests.conftest import START
from tests.roles_world import World, build_world


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    with sessions.begin() as session:
        return build_world(session, now=START)


def nudges(sessions: sessionmaker[Session]) -> list[tuple[str, int, str]]:
    with sessions() as session:
        rows = session.exec(select(Reminder).order_by(col(Reminder.id))).all()
        return [(r.kind, r.recipient_person_id, str(r.payload["team_key"])) for r in rows]


def run(sessions: sessionmaker[Session], clock: FakeClock) -> upkeep.UpkeepReport:
    return digest_upkeep.schedule_upkeep_nudges(sessions=sessions, clock=clock, settings=ReminderSettings())


def test_owners_are_nudged_and_managers_after_the_grace_period(
    sessions: sessionmaker[Session], world: World, clock: FakeClock
) -> None:
    # front-door (owner Tom) was due 110 days ago; cmht-north (owner Cal, manager Ben) 30 days ago.
    report = run(sessions, clock)
    assert (report.owners, report.managers) == (2, 1)
    assert nudges(sessions) == [
        (upkeep.OWNER_KIND, world.person_id("mgr.tom"), "front-door"),
        (upkeep.OWNER_KIND, world.person_id("cmht.cal"), "cmht-north"),
        (upkeep.MANAGER_KIND, world.person_id("mgr.ben"), "cmht-north"),
    ]
    clock.advance(timedelta(hours=1))
    assert run(sessions, clock) == upkeep.UpkeepReport()  # once per review cycle, however often it runs
    with sessions() as session:
        actions = session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all()
    assert actions.count("directory.review_nudged") == 2
    assert actions.count("directory.review_escalated") == 1


def test_the_manager_hears_only_after_the_grace_period(
    sessions: sessionmaker[Session], world: World, clock: FakeClock
) -> None:
    with sessions.begin() as session:
        for team in session.exec(select(Team)):
            team.last_verified_at = clock.now()  # everything freshly reviewed...
        cmht = session.get(Team, world.team_id("cmht-north"))
        assert cmht is not None
        cmht.last_verified_at = clock.now() - timedelta(days=92)  # ...but this, due two days ago
    assert run(sessions, clock) == upkeep.UpkeepReport(owners=1, managers=0)
    clock.advance(timedelta(days=7))
    assert run(sessions, clock) == upkeep.UpkeepReport()  # 7 working days into the 10
    clock.advance(timedelta(days=7))
    assert run(sessions, clock) == upkeep.UpkeepReport(owners=0, managers=1)


def test_nudges_read_well_and_are_dropped_once_reviewed(
    sessions: sessionmaker[Session], world: World, clock: FakeClock
) -> None:
    run(sessions, clock)
    renderers = ReminderRenderers()
    digest_upkeep.register_renderers(renderers)
    with sessions() as session:
        owner, manager = [
            r
            for r in session.exec(select(Reminder).order_by(col(Reminder.id)))
            if r.payload["team_key"] == "cmht-north"
        ]
        owner_reply = renderers.render(session, owner)
        manager_reply = renderers.render(session, manager)
    assert owner_reply is not None and manager_reply is not None
    assert owner_reply.text.startswith(
        "Your directory entry for Adult CMHT (north) was due for review on Monday 26 October."
    )
    assert "type edit directory" in owner_reply.text
    assert "Its owner is cmht.cal" in manager_reply.text and "10 working days later" in manager_reply.text
    with sessions.begin() as session:
        team = session.get(Team, world.team_id("cmht-north"))
        assert team is not None
        team.last_verified_at = clock.now()
    with sessions() as session:
        assert renderers.render(session, owner) is None
        assert renderers.render(session, manager) is None


def test_a_new_review_cycle_nudges_again(
    sessions: sessionmaker[Session], world: World, clock: FakeClock
) -> None:
    run(sessions, clock)
    with sessions.begin() as session:
        team = session.get(Team, world.team_id("front-door"))
        assert team is not None
        team.last_verified_at = clock.now()
    clock.advance(timedelta(days=91))
    report = run(sessions, clock)
    # front-door again, and health-visiting and partnership falling due; cmht-north's cycle had its nudge.
    assert report.owners == 3
    found = nudges(sessions)
    assert found.count((upkeep.OWNER_KIND, world.person_id("mgr.tom"), "front-door")) == 2
    assert found.count((upkeep.OWNER_KIND, world.person_id("cmht.cal"), "cmht-north")) == 1


def test_the_job_takes_the_grace_period_from_settings(
    sessions: sessionmaker[Session], world: World, clock: FakeClock
) -> None:
    import asyncio
    from dataclasses import dataclass

    from handlers.digest.send import digest_job
    from handlers.messages import RecordingNotifier
    from schedules.settings import DomainSettings, ReminderSettings

    with sessions.begin() as session:
        for team in session.exec(select(Team)):
            team.last_verified_at = clock.now()
        cmht = session.get(Team, world.team_id("cmht-north"))
        assert cmht is not None
        cmht.last_verified_at = clock.now() - timedelta(days=91)  # due yesterday

    @dataclass
    class FakeRuntime:
        sessions: sessionmaker[Session]
        clock: FakeClock
        notifier: RecordingNotifier
        settings: DomainSettings

    settings = DomainSettings(reminders=ReminderSettings(directory_review_grace_working_days=0))
    asyncio.run(digest_job(FakeRuntime(sessions, clock, RecordingNotifier(), settings)))
    # With no grace period, Cal's manager hears at once (the default would wait 10 working days).
    assert nudges(sessions) == [
        (upkeep.OWNER_KIND, world.person_id("cmht.cal"), "cmht-north"),
        (upkeep.MANAGER_KIND, world.person_id("mgr.ben"), "cmht-north"),
    ]
