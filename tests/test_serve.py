"""joinup serve's app: the directory search index is built before the first request is taken."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import func, select

from bot.cli.serve import build_server
from bot.config import Settings
from bot.runtime import build_runtime
from directory import index
from directory.demo import load_demo
from handlers.messages import RecordingNotifier
from schedules.time.clock import FakeClock
from storage.db import make_sessions
from storage.models import Team


async def test_the_search_index_is_built_at_start_up(engine: Engine) -> None:
    clock = FakeClock(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    with make_sessions(engine).begin() as session:
        load_demo(session, clock)
        teams = session.exec(select(func.count()).select_from(Team)).one()
    runtime = build_runtime(settings=Settings(), clock=clock, notifier=RecordingNotifier(), engine=engine)
    app = build_server(runtime, with_scheduler=False)
    assert engine not in index._cache
    async with app.router.lifespan_context(app):  # what uvicorn runs before it takes requests
        built = index._cache.get(engine)
        assert built is not None and len(built.teams) == teams > 0
