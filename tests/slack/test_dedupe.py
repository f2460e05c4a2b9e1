"""Each Slack event id is claimed once in the database; old ids are pruned, other platforms' are left alone."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from bot.slack.dedupe import claim_event, prune_processed_events
from schedules.time.clock import FakeClock
from storage.db import make_sessions
from storage.models import ProcessedEvent


def test_an_event_id_is_claimed_once(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    assert claim_event(sessions=sessions, clock=clock, key="slack:event:Ev1")
    assert not claim_event(sessions=sessions, clock=clock, key="slack:event:Ev1")
    assert claim_event(sessions=sessions, clock=clock, key="slack:event:Ev2")


def test_old_slack_event_ids_are_pruned_and_others_kept(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    claim_event(sessions=sessions, clock=clock, key="slack:event:EvOLD")
    claim_event(sessions=sessions, clock=clock, key="teams:activity:1")
    clock.advance(timedelta(days=3))
    claim_event(sessions=sessions, clock=clock, key="slack:event:EvNEW")
    assert prune_processed_events(sessions=sessions, clock=clock) == 1
    with sessions() as session:
        keys = sorted(session.exec(select(ProcessedEvent.key)).all())
    assert keys == ["slack:event:EvNEW", "teams:activity:1"]


@pytest.mark.postgres
async def test_two_replicas_claiming_one_event_at_once_on_postgresql(
    pg_engine: Engine, clock: FakeClock
) -> None:
    sessions = make_sessions(pg_engine)

    async def claim() -> bool:
        return await asyncio.to_thread(claim_event, sessions=sessions, clock=clock, key="slack:event:EvRACE")

    results = await asyncio.gather(*(claim() for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]
