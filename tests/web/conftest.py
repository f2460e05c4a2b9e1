"""A joinup web app over the hand-computed insight history, with people in each role and a signed-link maker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.config import Settings
from bot.runtime import Runtime, build_runtime
from handlers.insight.links import Purpose, make_link
from handlers.messages import RecordingNotifier
from schedules.insight.durations import CalendarCache, backfill_durations
from schedules.time.clock import FakeClock
from storage.models import ContactRoute, Person, Team
from tests.insight_fixture import NOW, at, seed

SECRET = SecretStr("web-test-secret")


@dataclass
class WebWorld:
    """The runtime, its fake clock, and a way to get each person's signed link."""

    runtime: Runtime
    clock: FakeClock
    ids: dict[str, int]
    link: Callable[[str, Purpose], str]


def seed_people(session: Session, ids: dict[str, int]) -> None:
    """Add a partnership lead, a directory admin and the health visiting manager; give the front door routes."""
    people = [
        Person(handle="nscp.lead", display_name="Pat Partnership", role="partnership"),
        Person(handle="dir.admin", display_name="Dee Admin", role="directory_admin"),
        Person(handle="hv.manager", display_name="Hana Manager", role="manager", team_id=ids["hv"]),
    ]
    session.add_all(people)
    door = session.exec(select(Team).where(Team.key == "front-door")).one()
    door.purpose = "Worried about a child? Talk to the front door."
    door.handles = "worried about a child, referral, consultation"
    door.last_verified_at = at(1, 12, month=3)  # March 2026: long overdue for review
    session.add(
        ContactRoute(
            key="front-door-phone", team_id=door.id or 0, kind="phone", value="0161 496 0100",
            label="Duty line", ack_expected=1, ack_unit="working_days", response_expected=3,
        )
    )  # fmt: skip
    session.flush()
    ids |= {p.handle: p.id or 0 for p in people}


def make_world(engine: Engine, *, base_url: str = "http://testserver") -> WebWorld:
    """Build the runtime over `engine` with the history and people loaded."""
    clock = FakeClock(NOW)
    settings = Settings(database_url="sqlite://", public_base_url=base_url, link_secret=SECRET)
    runtime = build_runtime(settings=settings, clock=clock, notifier=RecordingNotifier(), engine=engine)
    with runtime.sessions.begin() as session:
        ids = seed(session)
        backfill_durations(session=session, calendars=CalendarCache())
        seed_people(session, ids)

    def link(handle: str, purpose: Purpose) -> str:
        return make_link(
            base_url=base_url, secret=SECRET, person_id=ids[handle], purpose=purpose, now=clock.now()
        )

    return WebWorld(runtime=runtime, clock=clock, ids=ids, link=link)


@pytest.fixture
def world(engine: Engine) -> WebWorld:
    """The web world on the test's in-memory SQLite."""
    return make_world(engine)
