"""The directory on PostgreSQL: the demo loads, searches answer, and an export imports back unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from directory.demo import load_demo
from directory.exporter import export_text
from directory.importer import import_text
from directory.search import search
from directory.store import load_document
from schedules.time.clock import FakeClock

pytestmark = pytest.mark.postgres


def test_demo_search_and_round_trip_on_postgres(pg_engine: Engine, clock: FakeClock) -> None:
    with Session(pg_engine) as session:
        load_demo(session, clock)
        load_demo(session, clock)
        session.commit()
        assert search(session, "helth visitor", at=clock.now())[0].team.key == "health-visiting"
        assert search(session, "MASH", at=clock.now(), area="north")[0].team.key == "front-door"
        before = load_document(session=session)
        for fmt in ("yaml", "csv", "oruk"):
            text = export_text(session=session, fmt=fmt)
            summary = import_text(
                session=session, clock=clock, text=text, file=f"x.{fmt}", fmt=fmt, actor="t"
            )
            assert summary.teams_added == 0 and summary.routes_added == 0 and summary.routes_removed == 0
            session.commit()
        assert load_document(session=session) == before
