"""The Millbridge example through Teams activities: what the fake connector received."""

from __future__ import annotations

from tests.fakes.teams import conversation_id
from tests.neighbours import ED_QUESTION, NOT_VERIFIED, pull_millbridge_async
from tests.teams.conftest import AMY, TeamsJoinup
from tests.teams.test_scenarios import actions


async def test_a_child_from_millbridge_finds_its_front_door_and_out_of_hours_team(
    joinup: TeamsJoinup,
) -> None:
    await pull_millbridge_async(joinup.runtime.sessions, joinup.clock)
    await joinup.say(ED_QUESTION)
    [sent] = joinup.fake.to(conversation_id(AMY))
    assert sent.text.startswith("Millbridge children's front door (MASH): open now"), sent.text
    assert "Millbridge emergency duty team (out of hours), call 0117 496 0199" in sent.text
    assert "From the Millbridge feed, last pulled" in sent.text and NOT_VERIFIED in sent.text
    assert "If a child is in immediate danger, call 999." in sent.text
    assert {"action": "find_more", "value": ED_QUESTION} in actions(sent)


async def test_more_labels_each_pulled_card_with_its_source(joinup: TeamsJoinup) -> None:
    await pull_millbridge_async(joinup.runtime.sessions, joinup.clock)
    await joinup.press({"action": "find_more", "value": "front door in Millbridge"})
    [sent] = joinup.fake.to(conversation_id(AMY))
    text = str(sent.attachments) if getattr(sent, "attachments", None) else sent.text
    assert "Millbridge children's front door (MASH)" in text
    assert text.count(NOT_VERIFIED) >= 2, "every card showing a pulled service says so"
