"""Team lists offer the partnership's own teams: never a public service from a feed, a neighbour only by name."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.runtime import build_router
from handlers.context import HandlerContext
from handlers.messages import InboundMessage, Reply
from schedules.time.clock import FakeClock
from tests.handlers.conftest import World, make_world
from tests.neighbours import pull_millbridge


@pytest.fixture
def world(sessions: sessionmaker[Session], clock: FakeClock) -> World:
    """The demo, Millbridge's two feeds pulled, and a command that needs onboarding first."""
    router = build_router()

    async def track(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        return Reply(text=f"Tracking {ctx.args}.")

    router.command("track", track, needs_onboarding=True, summary="test", usage="track <ref>")
    made = make_world(sessions, clock, router)
    pull_millbridge(sessions, clock)
    return made


async def test_onboarding_never_offers_a_pulled_service_as_your_team(world: World) -> None:
    await world.say("track NB-1", who="new.person")
    reply = await world.say("Millbridge Family Hub drop-in", who="new.person")
    offered = " ".join([reply.text, *(b.label for b in reply.buttons)])
    assert "Millbridge" not in offered, offered
    reply = await world.say("back", who="new.person")
    reply = await world.say("Millbridge children's front door (MASH)", who="new.person")
    assert "Millbridge" not in " ".join([reply.text, *(b.label for b in reply.buttons)])


async def test_referring_to_a_public_service_is_never_accepted(world: World) -> None:
    reply = await world.say("refer Millbridge Family Hub drop-in case NB-204518 by phone", who="hv.amy")
    # Not taken as the team: the person is asked which of the partnership's own teams they meant.
    assert reply.text.startswith("Which team did you mean by 'Millbridge Family Hub drop-in'?"), reply.text
    assert reply.buttons and all("Millbridge" not in b.label for b in reply.buttons)
