"""A world for conversation tests: the real router and Dispatcher over SQLite with the Northbrook demo."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel, col, select

from bot.runtime import build_router
from directory.demo import load_demo
from handlers.dispatch import Dispatcher
from handlers.messages import Button, InboundMessage, RecordingNotifier, Reply
from handlers.router import Router
from schedules.settings import DomainSettings
from schedules.time.clock import FakeClock
from storage.db import make_engine, make_sessions
from storage.models import AuditEvent, Person
from tests.conftest import START

# One statement counting the rows of every table (fuzz tests run it twice per example).
_COUNTS = text(
    " UNION ALL ".join(
        f"SELECT '{table.name}' AS name, count(*) AS rows FROM \"{table.name}\""
        for table in SQLModel.metadata.sorted_tables
    )
)


@dataclass
class World:
    """The Dispatcher, its database and clock, and helpers to talk to it as a console user."""

    dispatcher: Dispatcher
    sessions: sessionmaker[Session]
    clock: FakeClock
    router: Router
    last: Reply | None = None

    async def say(self, text: str, *, who: str = "hv.amy") -> Reply:
        """Send a line of text as `who`."""
        self.last = await self.dispatcher.handle(
            InboundMessage(platform="console", sender_key=who, text=text)
        )
        return self.last

    async def press(self, label: str, *, who: str = "hv.amy", reply: Reply | None = None) -> Reply:
        """Press the button labelled `label` (or starting with it) on the last reply."""
        shown = reply or self.last
        assert shown is not None
        buttons = [*shown.buttons, *(b for s in shown.sections for b in s.buttons)]
        matches = [b for b in buttons if b.label == label] or [
            b for b in buttons if b.label.startswith(label)
        ]
        assert matches, f"no button {label!r} in {[b.label for b in buttons]}"
        return await self.click(matches[0], who=who)

    async def click(self, button: Button, *, who: str = "hv.amy") -> Reply:
        """Press a given button."""
        msg = InboundMessage(
            platform="console", sender_key=who, action=button.action, action_value=button.value
        )
        self.last = await self.dispatcher.handle(msg)
        return self.last

    def person(self, handle: str) -> Person:
        """Return a person by handle."""
        with self.sessions() as session:
            person = session.exec(select(Person).where(Person.handle == handle)).one()
            session.expunge(person)
            return person

    def audit_actions(self) -> list[str]:
        """Return every audit action, oldest first."""
        with self.sessions() as session:
            return list(session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all())

    def row_counts(self) -> dict[str, int]:
        """Count the rows in every table."""
        with self.sessions() as session:
            return {str(row[0]): int(row[1]) for row in session.execute(_COUNTS).all()}


@functools.cache
def _demo_template() -> sqlite3.Connection:
    """An in-memory database with the demo borough loaded at START, built once and copied into each test."""
    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with make_sessions(engine).begin() as session:
        load_demo(session, FakeClock(START))
    template = sqlite3.connect(":memory:", check_same_thread=False)
    with engine.connect() as conn:
        source = conn.connection.driver_connection
        assert isinstance(source, sqlite3.Connection)
        source.backup(template)
    return template


def load_demo_fast(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    """Load the demo into an empty SQLite test database (a copy of a template when the clock is at START)."""
    engine = sessions.kw["bind"]
    if clock.now() != START or engine.dialect.name != "sqlite" or engine.url.database not in (None, ""):
        with sessions.begin() as session:
            load_demo(session, clock)
        return
    with engine.connect() as conn:
        target = conn.connection.driver_connection
        assert isinstance(target, sqlite3.Connection)
        _demo_template().backup(target)


def make_world(sessions: sessionmaker[Session], clock: FakeClock, router: Router | None = None) -> World:
    """Build a world on `sessions` with the demo borough loaded."""
    load_demo_fast(sessions, clock)
    router = router or build_router()
    dispatcher = Dispatcher(
        router=router, sessions=sessions, clock=clock, notifier=RecordingNotifier(), settings=DomainSettings()
    )
    return World(dispatcher=dispatcher, sessions=sessions, clock=clock, router=router)


@pytest.fixture
def world(sessions: sessionmaker[Session], clock: FakeClock) -> Iterator[World]:
    """The demo borough at Wednesday 25 November 2026, 10:00, with every handler registered."""
    yield make_world(sessions, clock)


def text_of(reply: Reply) -> str:
    """Every word a reply shows, for assertions."""
    parts = [reply.text, *(f"{f.label}: {f.value}" for f in reply.fields)]
    for section in reply.sections:
        parts += [section.title, section.text, *(f"{f.label}: {f.value}" for f in section.fields)]
    parts += [b.label for b in reply.buttons]
    return "\n".join(parts)
