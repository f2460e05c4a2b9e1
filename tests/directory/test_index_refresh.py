"""A large directory's index is rebuilt in the background after an edit; searches never wait for it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, col, select

import directory.index as index_module
from directory.demo import load_demo
from directory.search import search
from schedules.time.clock import FakeClock
from storage.db import make_engine
from storage.models import Team


def test_edit_shows_after_a_background_rebuild(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "BACKGROUND_REBUILD_TEAMS", 5)  # the demo counts as "large" here
    engine = make_engine(f"sqlite:///{tmp_path / 'joinup.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        load_demo(session, clock)
        session.commit()
        assert search(session, "marac", at=clock.now())[0].team.name == "MARAC coordinator"
        team = session.exec(select(Team).where(col(Team.key) == "marac")).one()
        team.name = "Zephyr outreach coordinator"
        session.commit()
        # The previous index answers at once while the new one is built.
        assert search(session, "marac", at=clock.now())[0].team.name == "MARAC coordinator"
        for thread in [t for t in threading.enumerate() if t.name == "directory-index"]:
            thread.join()
        assert search(session, "zephyr", at=clock.now())[0].team.key == "marac"
    engine.dispose()
