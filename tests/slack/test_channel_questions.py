"""A question asked in a channel (a slash command's private reply) says to answer it privately."""

from __future__ import annotations

import pytest

from bot.slack.render import ANSWER_PRIVATELY
from tests.slack import payloads
from tests.slack.conftest import AMY, Joinup
from tests.slack.test_scenarios import _all_text


async def _command_in(joinup: Joinup, text: str, *, channel: str) -> dict[str, object]:
    fields = payloads.slash_command(text, user=AMY, response_url=joinup.fake.response_url(), channel=channel)
    if channel.startswith("D"):
        fields["channel_name"] = "directmessage"
    response = await joinup.post(payloads.form_body(fields), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    (call,) = await joinup.fake.wait_for("response")
    return call.args


async def test_a_question_in_a_channel_says_to_answer_in_private(joinup: Joinup) -> None:
    answer = await _command_in(joinup, "refer front door", channel="C0GENERAL")

    assert answer["response_type"] == "ephemeral"
    text = str(answer["text"])
    assert "case reference" in text.lower()  # the question itself
    assert "Only you can see this" in text and "direct message" in text
    assert "Only you can see this" in _all_text(answer["blocks"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "channel"),
    [
        ("refer front door", "D0AMYDM"),  # in the DM: already private
        ("find health visitor", "C0GENERAL"),  # an answer, not a question
    ],
)
async def test_no_private_answer_line_where_none_is_needed(joinup: Joinup, text: str, channel: str) -> None:
    answer = await _command_in(joinup, text, channel=channel)

    assert ANSWER_PRIVATELY not in str(answer["text"])
    assert answer["text"]
