"""The conversation layer through Slack: directory search (slash command, DM, free text) and onboarding."""

from __future__ import annotations

from sqlmodel import col, select

from storage.models import ConversationState, Person
from tests.slack.conftest import AMY, STRANGER, Joinup
from tests.slack.test_scenarios import _all_text


async def test_slash_command_search_lists_teams_with_their_routes(joinup: Joinup) -> None:
    response = await joinup.command("find health visitor")
    assert response.status_code == 200
    (call,) = await joinup.fake.wait_for("response")
    text = _all_text(call.args["blocks"])
    assert "Health visiting" in text
    assert "0161 496 0" in text  # a Northbrook number from the directory


async def test_a_dm_find_mash_finds_the_front_door(joinup: Joinup) -> None:
    await joinup.dm("find mash", user=AMY)
    (call,) = await joinup.fake.wait_for("chat.postMessage")
    assert call.args["channel"] == "D0AMYHUGHES"
    assert "front door" in _all_text(call.args["blocks"]).lower()


async def test_free_text_is_a_directory_search_too(joinup: Joinup) -> None:
    await joinup.dm("worried about a baby", user=AMY)
    (call,) = await joinup.fake.wait_for("chat.postMessage")
    assert len(call.args["blocks"]) > 1


async def test_a_stranger_is_created_on_first_contact_and_can_be_onboarded_over_slack(joinup: Joinup) -> None:
    await joinup.dm("setup", user=STRANGER)
    (call,) = await joinup.fake.wait_for("chat.postMessage")
    with joinup.runtime.sessions() as session:
        person = session.exec(select(Person).where(col(Person.slack_user_id) == STRANGER)).one()
        state = session.exec(
            select(ConversationState).where(col(ConversationState.person_id) == person.id)
        ).first()
    assert person.email == "new.starter@example.org" and not person.is_onboarded
    assert state is not None and state.flow == "onboarding", call.args["text"]
    assert call.args["channel"] == f"D{STRANGER.removeprefix('U')}"
