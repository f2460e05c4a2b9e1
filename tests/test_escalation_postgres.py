"""The escalation walkthrough and chronology on PostgreSQL (JSON policy bodies, refs from row ids, audit chain)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from schedules.chronology import timeline as chronology
from schedules.time.clock import FakeClock
from storage import audit
from storage.db import make_sessions
from storage.models import Escalation, PolicyVersion
from tests.escalation_world import build_world

pytestmark = pytest.mark.postgres


async def test_walkthrough_and_chronology_on_postgres(pg_engine: Engine, clock: FakeClock) -> None:
    world = build_world(make_sessions(pg_engine), clock)
    item = world.item(case_ref="NB-204518", handle="hv.amy", team="front-door", outcome="no_further_action")
    await world.say("hv.amy", f"disagree {item}")
    await world.say("hv.amy", "no")
    await world.press("hv.amy", "escalation_next", "ES-0001")
    await world.say("hv.amy", "called the duty senior practitioner")
    moved = await world.say("hv.amy", "no change to the decision")
    assert "ES-0001 is now at level 2" in moved.text
    with world.sessions.begin() as session:
        found = session.exec(select(Escalation).where(col(Escalation.ref) == "ES-0001")).one()
        version = session.get(PolicyVersion, found.policy_version_id)
        assert version is not None and version.body["levels"][1]["working_days"] == 5
        assert found.level == 2
        text = chronology.export(session=session, clock=clock, case_ref="NB-204518", fmt="csv", actor="t")
    assert text.count("\n") == 6  # header, referral, feedback, started, not resolved, moved up
    with world.sessions() as session:
        assert audit.verify(session=session).is_intact
