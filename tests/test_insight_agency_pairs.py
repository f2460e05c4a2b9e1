"""Partnership reporting on disagreements by agency pair, against a small history worked out by hand.

November 2026, England (no bank holidays in November; St Andrew's Day is Scotland's). Working days between two
dates count the days after the first up to and including the second.

Health (Northbrook Community Health) → Council (children's services), opened in November:
- ES-0001: level 1 Mon 2 → level 2 Wed 4 (2 working days); resolved at level 2 Tue 10 (5, 6, 9, 10: 4).
- ES-0002: level 1 Thu 5, resolved at level 1 Fri 6 (1).
- ES-0003: level 1 Mon 9, withdrawn at level 1 Thu 12 (3).
- ES-0004: level 1 Mon 16, still open, due Wed 18: past its deadline at Tue 1 December.
And ES-0006, opened in October, open at level 3 and past its deadline (counted open, not opened).
So: 4 opened; resolved at level 1: 1 of 2 (50%); 1 withdrawn; 2 open, both past the deadline; median days at
level 1 of 2, 1, 3 = 2; at level 2 = 4.

Council → Mental health (Westvale), opened in November:
- ES-0005: level 1 Mon 23 → level 2 Wed 25 (2); open at level 2, due Wed 2 December: not yet late.
So: 1 opened; none resolved; 1 open, none past the deadline; level 1 median 2; level 2 still running.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from handlers.dispatch import Dispatcher
from handlers.insight import commands as stats
from handlers.messages import InboundMessage, RecordingNotifier, Reply
from handlers.router import Router
from schedules.insight.disagreements import pair_figures
from schedules.insight.periods import Period, london_midnight
from schedules.settings import DomainSettings
from schedules.time.clock import FakeClock
from storage.models import EscalationStep
from tests.roles_world import World, add_escalation, build_world

NOVEMBER = Period(
    london_midnight(datetime(2026, 11, 1).date()),
    london_midnight(datetime(2026, 12, 1).date()),
    "November 2026",
)
NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
HEALTH = "Northbrook Community Health"
COUNCIL = "Northbrook Council children's services"
MENTAL_HEALTH = "Westvale Mental Health NHS Trust"


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def seed(session: Session) -> World:
    world = build_world(session, now=NOW)

    def escalation(
        ref: str,
        raiser: str,
        team: str,
        levels: list[tuple[int, datetime]],
        status: str,
        closed_at: datetime | None = None,
        due: datetime | None = None,
    ) -> None:
        found = add_escalation(
            session, world, ref=ref, case_ref=f"NB-{ref[-4:]}", raiser=raiser, other_team=team,
            level=levels[-1][0], level_started_at=levels[-1][1], status=status, closed_at=closed_at,
        )  # fmt: skip
        found.opened_at, found.level_due_at = levels[0][1], due
        for level, started in levels:
            session.add(EscalationStep(
                escalation_id=found.id or 0, level=level, at=started,
                action="started" if level == 1 else "level_started",
            ))  # fmt: skip
        if closed_at is not None:
            session.add(EscalationStep(
                escalation_id=found.id or 0, level=levels[-1][0], at=closed_at,
                action="resolved" if status == "resolved" else status,
            ))  # fmt: skip

    escalation("ES-0001", "hv.amy", "front-door", [(1, at(11, 2)), (2, at(11, 4))], "resolved", at(11, 10))
    escalation("ES-0002", "hv.amy", "front-door", [(1, at(11, 5))], "resolved", at(11, 6))
    escalation("ES-0003", "hv.bea", "front-door", [(1, at(11, 9))], "withdrawn", at(11, 12))
    escalation("ES-0004", "hv.amy", "front-door", [(1, at(11, 16))], "open", due=at(11, 18, 17))
    escalation(
        "ES-0005", "fd.raj", "cmht-north", [(1, at(11, 23)), (2, at(11, 25))], "open", due=at(12, 2, 17)
    )
    escalation(
        "ES-0006", "hv.bea", "front-door", [(1, at(10, 5)), (2, at(10, 7)), (3, at(10, 14))], "open",
        due=at(10, 21, 17),
    )  # fmt: skip
    session.flush()
    return world


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    with sessions.begin() as session:
        return seed(session)


def test_figures_by_agency_pair_match_the_hand_count(sessions: sessionmaker[Session], world: World) -> None:
    with sessions() as session:
        health_council, council_mental_health = pair_figures(session=session, period=NOVEMBER, now=NOW)
    assert (health_council.raiser_agency, health_council.challenged_agency) == (HEALTH, COUNCIL)
    assert health_council.opened == 4
    assert health_council.resolved_by_level == {1: 1, 2: 1}
    assert health_council.lowest_level_percent == 50
    assert health_council.withdrawn == 1
    assert (health_council.open_now, health_council.open_past_deadline) == (2, 2)
    assert health_council.median_days_by_level == {1: 2, 2: 4}

    assert (council_mental_health.raiser_agency, council_mental_health.challenged_agency) == (
        COUNCIL,
        MENTAL_HEALTH,
    )
    assert council_mental_health.opened == 1 and council_mental_health.resolved == 0
    assert council_mental_health.lowest_level_percent is None
    assert (council_mental_health.open_now, council_mental_health.open_past_deadline) == (1, 0)
    assert council_mental_health.median_days_by_level == {1: 2}


def test_a_managers_view_holds_only_pairs_their_teams_are_in(
    sessions: sessionmaker[Session], world: World
) -> None:
    with sessions() as session:
        pairs = pair_figures(
            session=session, period=NOVEMBER, now=NOW, team_ids={world.team_id("cmht-north")}
        )
    assert [(p.raiser_agency, p.challenged_agency, p.opened) for p in pairs] == [(COUNCIL, MENTAL_HEALTH, 1)]


async def test_stats_in_chat_reports_the_partnership_figures(
    sessions: sessionmaker[Session], world: World
) -> None:
    router = Router()
    stats.register(router)
    dispatcher = Dispatcher(
        router=router, sessions=sessions, clock=FakeClock(NOW), notifier=RecordingNotifier(),
        settings=DomainSettings(),
    )  # fmt: skip
    reply: Reply = await dispatcher.handle(
        InboundMessage(platform="console", sender_key="partnership.chair", text="stats last month")
    )
    fields = {f.label: f.value for f in reply.fields}
    assert fields["Escalations resolved at the lowest level"] == "1 of 2 resolved (50%)"
    assert fields["Open escalations past their level deadline"] == "2 of 3 open"
    [first, second] = [s for s in reply.sections if s.title.startswith("Escalations: ")]
    assert first.title == f"Escalations: {HEALTH} → {COUNCIL}"
    assert first.text == (
        "4 opened; resolved at the lowest level: 1 of 2 resolved (50%); 2 of 2 open past their level deadline"
    )
    assert {f.label: f.value for f in first.fields} == {
        "Median time per level": "level 1: 2 working days; level 2: 4 working days"
    }
    assert second.title == f"Escalations: {COUNCIL} → {MENTAL_HEALTH}"
    assert "resolved at the lowest level: none resolved yet" in second.text
