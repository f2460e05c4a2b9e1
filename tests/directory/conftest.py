"""Fixtures for directory tests: a database with the Northbrook demo loaded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from directory.demo import load_demo
from schedules.time.clock import FakeClock


@pytest.fixture
def demo(sessions: sessionmaker[Session], clock: FakeClock) -> Iterator[Session]:
    """A session on a database holding the Northbrook demo borough."""
    with sessions.begin() as session:
        load_demo(session, clock)
    with sessions() as session:
        yield session
