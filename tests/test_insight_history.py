"""The demo history generator: plausible, consistent with the calendar, idempotent, and fills the dashboard."""

from __future__ import annotations

import re

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, func, select

from directory.demo import load_demo
from handlers.dispatch import Dispatcher
from handlers.insight import commands as stats
from handlers.messages import InboundMessage, RecordingNotifier
from handlers.router import Router
from schedules.escalation import policy as escalation_policy
from schedules.insight import figures as insight
from schedules.insight.history import seed_demo_history
from schedules.insight.periods import period_named
from schedules.settings import DomainSettings
from schedules.time.calendar import WorkingCalendar
from schedules.time.clock import FakeClock
from storage.models import Escalation, TrackedItem


def _seed(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    for seeder in (load_demo, escalation_policy.seed, seed_demo_history):
        with sessions.begin() as session:
            seeder(session, clock)


def test_history_is_consistent_and_fills_the_dashboard(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    _seed(sessions, clock)
    now = clock.now()
    with sessions() as session:
        items = session.exec(select(TrackedItem)).all()
        escalations = session.exec(select(Escalation)).all()
        figures = insight.overall_figures(
            session=session, period=period_named("last 6 months", now=now), now=now
        )
    assert len(items) > 500
    assert all(re.fullmatch(r"TI-\d{4,}", item.ref) for item in items)
    assert all(item.sent_at < now and item.status == "closed" for item in items)
    calendar = WorkingCalendar("ENG")
    for item in items[:200]:
        if item.acknowledged_at is not None:
            assert (
                calendar.working_minutes_between(item.sent_at, item.acknowledged_at)
                == item.ack_working_minutes
            )
        assert calendar.is_working_time(item.sent_at)
    assert any(item.outcome == "no_further_action" for item in items)
    assert escalations and all(re.fullmatch(r"ES-\d{4,}", e.ref) for e in escalations)
    assert all((e.closed_at is None) == (e.resolution_working_days is None) for e in escalations)
    # Call backs and information requests are counted apart from referrals (tests/test_insight_kinds.py).
    referrals = [item for item in items if item.kind not in ("callback", "information_request")]
    assert figures.referrals == len(referrals) or figures.referrals > 0.9 * len(referrals)
    assert (
        figures.ack.median is not None and figures.re_referred_after_nfa > 0 and figures.repeat_contacts > 0
    )


def test_seeding_twice_adds_nothing(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    _seed(sessions, clock)
    with sessions() as session:
        first = session.exec(select(func.count()).select_from(TrackedItem)).one()
    with sessions.begin() as session:
        seed_demo_history(session, clock)
    with sessions() as session:
        assert session.exec(select(func.count()).select_from(TrackedItem)).one() == first


async def test_stats_on_the_demo_borough(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    _seed(sessions, clock)
    router = Router()
    stats.register(router)
    dispatcher = Dispatcher(
        router=router, sessions=sessions, clock=clock, notifier=RecordingNotifier(), settings=DomainSettings()
    )
    reply = await dispatcher.handle(
        InboundMessage(
            platform="console", sender_key="partnership.chair", text="stats front door last quarter"
        )
    )
    assert reply.text.startswith("Figures for Children's front door")
    assert int(next(f.value for f in reply.fields if f.label == "Referrals")) > 0
    managed = await dispatcher.handle(InboundMessage(platform="console", sender_key="mgr.tom", text="stats"))
    assert "every team you can see" in managed.text


def test_the_demo_shows_today_a_handful_of_recent_open_escalations_and_the_rest_settled(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    from schedules.insight.history import MAX_OPEN_ESCALATIONS, RECENT_WORKING_DAYS

    _seed(sessions, clock)
    now = clock.now()
    calendar = WorkingCalendar("ENG")
    with sessions() as session:
        escalations = session.exec(select(Escalation)).all()
    still_open = [e for e in escalations if e.status == "open"]
    assert 1 <= len(still_open) <= MAX_OPEN_ESCALATIONS
    assert {e.status for e in escalations} <= {"open", "resolved", "withdrawn"}
    for escalation in still_open:
        age = calendar.working_days_between(
            calendar.local(escalation.opened_at).date(), calendar.local(now).date()
        )
        assert age <= RECENT_WORKING_DAYS, (escalation.ref, escalation.opened_at)
        assert escalation.level_due_at is not None and escalation.level_due_at > escalation.level_started_at
    # Some are past their level deadline and some still running: a digest has both to show.
    assert any(e.level_due_at is not None and e.level_due_at < now for e in still_open)
    assert any(e.level_due_at is not None and e.level_due_at >= now for e in still_open)
    assert all(e.closed_at is not None and e.closed_at <= now for e in escalations if e.status != "open")
