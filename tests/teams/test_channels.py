"""In a Teams team channel, answers naming case references go to the person's personal chat (the bot opens
it through the connector's createConversation) and the channel gets a one-line pointer; help and directory
answers stay in the channel. Real channel activities go to /api/messages; the fake connector records
everything the bot sent and every conversation it opened."""

from __future__ import annotations

import pytest

from bot.teams.channels import POINTER
from tests.fakes.teams import CHANNEL_ID, channel_activity, conversation_id
from tests.teams.conftest import AMY, TeamsJoinup


async def _in_channel(joinup: TeamsJoinup, text: str) -> None:
    response = await joinup.post(channel_activity(joinup.fake, user=AMY, text=text))
    assert response.status_code == 200


async def _log_referral(joinup: TeamsJoinup) -> str:
    await joinup.say("refer front door case NB-204518 by phone")
    logged = joinup.replies()[-1]
    assert logged.startswith("Logged TI-")
    return logged.split()[1].rstrip(":.,")


@pytest.mark.parametrize("command", ["mine", "escalations", "chronology NB-204518", "item {item}"])
async def test_answers_naming_case_references_go_to_the_personal_chat(
    joinup: TeamsJoinup, command: str
) -> None:
    item = await _log_referral(joinup)
    before = len(joinup.fake.sent)

    await _in_channel(joinup, command.format(item=item))

    new = joinup.fake.sent[before:]
    [created] = joinup.fake.created
    assert [m.get("aadObjectId") for m in created["members"]] == [AMY]
    assert created["tenantId"] or created["channelData"]["tenant"]["id"]
    in_channel = [sent for sent in new if sent.conversation_id == CHANNEL_ID]
    private = [sent for sent in new if sent.conversation_id == conversation_id(AMY)]
    assert [sent.text for sent in in_channel] == [POINTER]  # only the pointer, one line
    assert "\n" not in POINTER
    assert len(private) == 1 and private[0].method == "POST"
    assert "NB-204518" not in str(in_channel[0].activity) and item not in str(in_channel[0].activity)
    if command == "mine":
        assert item in private[0].text


@pytest.mark.parametrize("text", ["help", "find health visitor", "health visitor"])
async def test_general_answers_stay_in_the_channel(joinup: TeamsJoinup, text: str) -> None:
    await _in_channel(joinup, text)

    assert joinup.fake.created == []
    [sent] = joinup.fake.sent
    assert sent.conversation_id == CHANNEL_ID and sent.text != POINTER


async def test_a_question_asked_from_a_channel_is_asked_and_answered_in_private(joinup: TeamsJoinup) -> None:
    await _in_channel(joinup, "refer front door by phone")
    assert "case reference" in joinup.replies()[-1].lower()  # asked in the personal chat

    # Answered (wrongly) in the channel: the answer is a case reference, so what follows stays private too.
    await _in_channel(joinup, "NB-204520")

    in_channel = [sent.text for sent in joinup.fake.to(CHANNEL_ID)]
    assert in_channel == [POINTER, POINTER]
    assert joinup.replies()[-1].startswith("Logged TI-")
    assert all("NB-204520" not in text for text in in_channel)
