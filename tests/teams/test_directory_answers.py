"""The issue's directory examples through Teams activities: what the fake connector received."""

from __future__ import annotations

import pytest

from tests.fakes.teams import conversation_id
from tests.teams.conftest import AMY, TeamsJoinup
from tests.teams.test_scenarios import actions

DANGER = "If a child is in immediate danger, call 999."


@pytest.mark.parametrize(
    ("said", "first", "never"),
    [
        ("private fostering", "Children's front door (MASH)", "Local authority designated officer"),
        ("radicalisation", "Council Prevent lead", "Housing options"),
        ("FGM", "Children's front door (MASH)", "Housing options"),
        ("domestic abuse children at home", "Children's front door (MASH)", "Housing options"),
        ("young carer", "Young carers service", "CAMHS"),
        ("elderly man neglected by his carer", "Adult safeguarding team", "Children's front door"),
        ("16 year old sofa surfing", "Children's front door (MASH)", "Perinatal"),
    ],
)
async def test_a_search_answers_with_a_short_first_card(
    joinup: TeamsJoinup, said: str, first: str, never: str
) -> None:
    await joinup.say(said)
    [sent] = joinup.fake.to(conversation_id(AMY))
    contacts = [line for line in sent.text.split("\n") if not line.startswith("Duty")]
    assert contacts[0].startswith(f"{first}: open now"), sent.text
    assert never not in sent.text
    assert len(sent.text) <= 700
    if "elderly" not in said:
        assert DANGER in sent.text
    assert {"action": "find_more", "value": said} in actions(sent)


async def test_more_shows_the_full_detail_and_what_is_a_cin_plan_is_explained(joinup: TeamsJoinup) -> None:
    await joinup.say("private fostering")
    await joinup.press({"action": "find_more", "value": "private fostering"})
    await joinup.say("what is a CIN plan")
    first, more, cin = joinup.fake.to(conversation_id(AMY))
    assert "Private fostering must be notified to children's services" in first.text
    assert "Front door duty line" in more.text and "Hours" in more.text
    containers = [element for element in more.card["body"] if element["type"] == "Container"]
    assert containers
    assert cin.text.startswith("CIN: Child in need")
