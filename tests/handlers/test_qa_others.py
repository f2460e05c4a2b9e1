"""Problems a new user met in other areas' handlers, kept as strict xfails until their owners fix them.

Each test says what a practitioner typed and what should have happened; when the owner fixes the bug
the test starts passing and `strict=True` makes it fail, so the xfail mark is removed with the fix.
"""

from __future__ import annotations

import pytest

from tests.handlers.conftest import World


@pytest.mark.xfail(
    strict=True, reason="tracking: 'back' in the refer question drops it, then says nothing to cancel"
)
async def test_back_in_the_refer_question_does_not_claim_there_was_nothing(world: World) -> None:
    await world.say("find front door")
    asked = await world.press("Log a referral")
    assert asked.text.startswith("What is your case reference for the referral")
    reply = await world.say("back")
    assert "nothing to cancel" not in reply.text


@pytest.mark.xfail(
    strict=True, reason="tracking: a whole refer command typed mid-question becomes the team name"
)
async def test_a_full_refer_command_typed_at_the_team_question_is_understood(world: World) -> None:
    await world.say("refer")  # "Which team did you refer to? Type its name."
    reply = await world.say("refer front door case NB-5")
    assert "'refer front door case NB-5'" not in reply.text
    assert reply.text.startswith("Logged TI-")


async def test_an_unknown_channel_is_named_as_the_problem(world: World) -> None:
    reply = await world.say("refer front door case NB-5 by pigeon")
    assert "'front door by pigeon'" not in reply.text
    assert "pigeon" in reply.text and "phone" in reply.text


@pytest.mark.xfail(strict=True, reason="stats: the directory editor link tells you to type insight again")
async def test_the_directory_editor_link_says_how_to_get_another(world: World) -> None:
    reply = await world.say("edit directory", who="admin.nadia")
    assert "type edit directory again" in reply.text


async def test_someone_new_is_set_up_before_their_first_referral(world: World) -> None:
    reply = await world.say("refer front door case NB-77 by phone", who="new.nurse")
    assert not reply.text.startswith("Logged TI-")
    assert "team" in reply.text.lower()


async def test_a_reference_in_the_wrong_shape_is_named(world: World) -> None:
    reply = await world.say("ack RF-0001", who="sw.jo")
    assert "RF-0001 isn't an item reference" in reply.text
    assert "TI-0042" in reply.text
