"""Millbridge, the neighbouring authority, pulled from its feeds on a local HTTP server into a test world."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from directory.sources import PULLED, add_source, pull_source
from schedules.time.clock import Clock
from tests.fakes.oruk_feed import feed_server, millbridge_family_records, millbridge_records

ED_QUESTION = "a child from Millbridge turned up in our emergency department"
NOT_VERIFIED = "not verified by your partnership"


def pull_millbridge(sessions: sessionmaker[Session], clock: Clock) -> None:
    """Register Millbridge's two feeds (its routes; its family services) and pull each over HTTP."""
    for name, records, kind in (
        ("millbridge", millbridge_records(), "professional"),
        ("millbridge-families", millbridge_family_records(), "public"),
    ):
        with feed_server(records) as (url, _):
            with sessions.begin() as session:
                add_source(session=session, clock=clock, name=name, url=url, kind=kind,
                           every=timedelta(days=1), actor="admin.nadia")  # fmt: skip
            outcome = pull_source(sessions=sessions, clock=clock, name=name, actor="admin.nadia")
            assert outcome.status == PULLED, outcome.line


async def pull_millbridge_async(sessions: sessionmaker[Session], clock: Clock) -> None:
    """The same, off the event loop (the pull is blocking HTTP)."""
    await asyncio.to_thread(pull_millbridge, sessions, clock)
