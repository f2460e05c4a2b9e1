"""A neighbour dropping a service that a tracked item points to: the service is retired, never deleted.

The item keeps its team (and the route it was sent by), later pulls keep working, search no longer offers
the service, and the item says the service is no longer published by its source. A service published
again comes back under its own name.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from directory.index import build_index
from directory.sources import PULLED, add_source, pull_source
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, ContactRoute, Team, TrackedItem
from tests.fakes.oruk_feed import feed_server, millbridge_records
from tests.test_tracking_chat import Chat

FRONT_DOOR = "Millbridge children's front door (MASH)"


def _pull(sessions: sessionmaker[Session], clock: FakeClock, *, confirm: bool = False) -> Any:
    clock.advance(timedelta(minutes=5))
    outcome = pull_source(sessions=sessions, clock=clock, name="millbridge", actor="admin.nadia",
                          confirm_removals=confirm, sleep=lambda _: None)  # fmt: skip
    assert outcome.status == PULLED, outcome
    return outcome.summary


def _front_door(sessions: sessionmaker[Session]) -> Team:
    with sessions() as session:
        return session.exec(select(Team).where(col(Team.source_id) == _FRONT_DOOR_ID)).one()


_FRONT_DOOR_ID = next(r["id"] for r in millbridge_records() if r["name"] == FRONT_DOOR)


async def test_a_dropped_service_with_a_tracked_item_is_retired_and_later_pulls_still_work(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    chat = Chat(sessions, clock)
    records = millbridge_records()
    with feed_server(records) as (url, state):
        with sessions.begin() as session:
            add_source(session=session, clock=clock, name="millbridge", url=url, kind="professional",
                       every=timedelta(days=1), actor="admin.nadia")  # fmt: skip
        _pull(sessions, clock)
        logged = await chat.say("hv.amy", f"refer {FRONT_DOOR} case NB-300001 by email")
        assert logged.text.startswith("Logged TI-0001"), logged.text

        # Millbridge stops publishing its front door: the pull retires it instead of failing on the item.
        state.records = [r for r in records if r["id"] != _FRONT_DOOR_ID]
        assert _pull(sessions, clock, confirm=True).removed == 1
        retired = _front_door(sessions)
        assert retired.retired_at is not None
        assert retired.name == f"{FRONT_DOOR} (no longer published by millbridge)"
        with sessions() as session:
            (item,) = session.exec(select(TrackedItem)).all()
            assert item.to_team_id == retired.id and item.route_id is not None
            assert session.get(ContactRoute, item.route_id) is not None, "the item's route is kept"
            (event,) = session.exec(
                select(AuditEvent).where(col(AuditEvent.action) == "directory.service_retired")
            ).all()
            assert event.subject == f"team:{retired.key}" and event.data["name"] == FRONT_DOOR
            index = build_index(session)
        assert all(t.key != retired.key for t in index.teams), "search no longer offers it"
        mine = await chat.say("hv.amy", "mine")
        assert any("no longer published by millbridge" in section.title for section in mine.sections)
        again = await chat.say("hv.amy", f"refer {retired.key} case NB-300002 by phone")
        assert "can't find a team" in again.text and not again.text.startswith("Logged")

        # The next pull, with nothing changed, still works.
        assert _pull(sessions, clock).unchanged == len(state.records)

        # Published again without its e-mail address: back in search under its own name; the address the
        # item was sent to stays for the item's history but is not shown.
        moved = [dict(r) for r in records]
        for record in moved:
            if record["id"] == _FRONT_DOOR_ID:
                record.pop("email", None)
        state.records = moved
        _pull(sessions, clock)
        back = _front_door(sessions)
        assert back.retired_at is None and back.name == FRONT_DOOR
        with sessions() as session:
            (item,) = session.exec(select(TrackedItem)).all()
            kept = session.get(ContactRoute, item.route_id)
            assert kept is not None and kept.value == "mash@millbridge.example.org" and not kept.is_public
            card = next(t for t in build_index(session).teams if t.key == back.key)
        assert "mash@millbridge.example.org" not in [r.value for r in card.routes]
        assert "0117 496 0100" in [r.value for r in card.routes]
