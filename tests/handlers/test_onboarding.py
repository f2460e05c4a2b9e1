"""Onboarding: never before a search; before the first tracked item; then the command runs."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from bot.runtime import build_router
from handlers.context import HandlerContext
from handlers.messages import InboundMessage, Reply
from handlers.onboarding import nation_from_text
from schedules.time.clock import FakeClock
from storage.errors import InvalidInput
from storage.models import Team
from tests.handlers.conftest import World, make_world


@pytest.fixture
def gated(sessions: sessionmaker[Session], clock: FakeClock) -> World:
    """A world with a 'track' command that, like refer, needs the sender to be set up first."""
    router = build_router()

    async def track(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        return Reply(text=f"Tracking {ctx.args} on {ctx.person.nation} working days.")

    router.command("track", track, needs_onboarding=True, summary="test", usage="track <ref>")
    return make_world(sessions, clock, router)


def _team_id(world: World, key: str) -> int:
    with world.sessions() as session:
        team = session.exec(select(Team).where(Team.key == key)).one()
        assert team.id is not None
        return team.id


async def test_a_new_person_can_search_straight_away(gated: World) -> None:
    reply = await gated.say("find health visitor", who="new.person")
    assert reply.text.startswith("Health visiting: open now")
    person = gated.person("new.person")
    assert not person.is_onboarded
    assert "person.created" in gated.audit_actions()


async def test_help_tells_a_new_person_about_setup(gated: World) -> None:
    reply = await gated.say("help", who="new.person")
    assert "You're new here" in reply.text
    reply = await gated.say("help", who="hv.amy")
    assert "You're new here" not in reply.text


async def test_first_tracked_item_asks_three_questions_then_runs_the_command(gated: World) -> None:
    reply = await gated.say("track NB-1001", who="new.person")
    assert "Before I keep track of anything for you" in reply.text
    assert "Which team are you in?" in reply.text
    reply = await gated.say("health visiting", who="new.person")
    assert "Which nation do you work in?" in reply.text
    assert [b.label for b in reply.buttons] == ["England", "Wales", "Scotland", "Northern Ireland"]
    reply = await gated.press("Scotland", who="new.person")
    assert "what's your job?" in reply.text
    reply = await gated.say("Health visitor", who="new.person")

    assert reply.text.startswith("Thanks, you're set up.")
    assert "Tracking NB-1001 on SCT working days." in reply.text
    person = gated.person("new.person")
    assert person.is_onboarded
    assert (person.nation, person.team_id, person.job_title) == (
        "SCT",
        _team_id(gated, "health-visiting"),
        "Health visitor",
    )
    assert gated.audit_actions()[-1] == "person.onboarded"


async def test_an_unclear_team_offers_choices(gated: World) -> None:
    await gated.say("track NB-1", who="new.person")
    reply = await gated.say("mental health", who="new.person")
    assert reply.text.startswith("Which of these is your team?")
    labels = [b.label for b in reply.buttons]
    assert labels[-1] == "None of these" and len(labels) >= 3
    reply = await gated.press(labels[0], who="new.person")
    assert "Which nation" in reply.text


async def test_skip_back_and_a_bad_nation(gated: World) -> None:
    await gated.say("track NB-2", who="new.person")
    reply = await gated.say("skip", who="new.person")
    assert "Which nation" in reply.text
    reply = await gated.say("Narnia", who="new.person")
    assert reply.text.startswith("Choose England, Wales, Scotland or Northern Ireland.")
    reply = await gated.say("back", who="new.person")
    assert "Which team are you in?" in reply.text
    await gated.say("children's front door", who="new.person")
    await gated.say("wales", who="new.person")
    reply = await gated.say("skip", who="new.person")
    assert "Tracking NB-2 on WLS working days." in reply.text
    assert gated.person("new.person").team_id == _team_id(gated, "front-door")


async def test_onboarded_people_are_not_asked(gated: World) -> None:
    reply = await gated.say("track NB-3")
    assert reply.text == "Tracking NB-3 on ENG working days."


async def test_setup_changes_details(gated: World) -> None:
    reply = await gated.say("setup")
    assert reply.text.startswith("Let's update your details.")
    await gated.say("school nursing")
    await gated.say("ni")
    reply = await gated.say("School nurse")
    assert reply.text.startswith("Thanks, you're set up.")
    assert gated.person("hv.amy").nation == "NIR"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("England", "ENG"),
        ("scotland", "SCT"),
        ("NI", "NIR"),
        ("Cymru", "WLS"),
        ("SCT", "SCT"),
        ("Scotlnd", "SCT"),
    ],
)
def test_nation_words(text: str, code: str) -> None:
    assert nation_from_text(text) == code


def test_not_a_nation() -> None:
    with pytest.raises(InvalidInput):
        nation_from_text("France")


async def test_another_command_mid_onboarding_runs_it(gated: World) -> None:
    await gated.say("track NB-4", who="new.person")
    await gated.say("skip", who="new.person")
    reply = await gated.say("due icpc from 2026-12-17", who="new.person")
    assert reply.text.startswith("Left the setup questions; type continue to go back to them.")
    assert "The initial child protection conference is due by Tuesday 12 January 2027" in reply.text
    assert not gated.person("new.person").is_onboarded
