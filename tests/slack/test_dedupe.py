"""Delivery keys claimed before the inbox existed are forgotten once old; sign-in link keys are left alone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from bot.slack.dedupe import prune_processed_events
from schedules.time.clock import FakeClock
from storage.models import ProcessedEvent


def test_old_platform_delivery_keys_are_pruned_and_others_kept(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    with sessions.begin() as session:
        for key in ("slack:event:EvOLD", "teams:f:old", "web-link:nonce"):
            session.add(ProcessedEvent(key=key, received_at=clock.now()))
    clock.advance(timedelta(days=3))
    with sessions.begin() as session:
        session.add(ProcessedEvent(key="slack:event:EvNEW", received_at=clock.now()))

    assert prune_processed_events(sessions=sessions, clock=clock) == 2

    with sessions() as session:
        keys = sorted(session.exec(select(ProcessedEvent.key)).all())
    assert keys == ["slack:event:EvNEW", "web-link:nonce"]  # sign-in links forget their own keys
