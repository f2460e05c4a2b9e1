"""The issue's directory examples through Slack: signed requests in, what the fake Web API received out."""

from __future__ import annotations

import pytest

from tests.slack import payloads
from tests.slack.conftest import AMY, Joinup
from tests.slack.test_scenarios import _all_text, _buttons

DANGER = "If a child is in immediate danger, call 999."


@pytest.mark.parametrize(
    ("said", "first", "never"),
    [
        ("private fostering", "Children's front door (MASH)", "Local authority designated officer"),
        ("prevent", "Council Prevent lead", "Housing options"),
        ("female genital mutilation", "Children's front door (MASH)", "Housing options"),
        ("dad drinking heavily and kids at home", "Children's front door (MASH)", "Housing options"),
        ("young carer", "Young carers service", "CAMHS"),
        ("16 year old sofa surfing", "Children's front door (MASH)", "Perinatal"),
    ],
)
async def test_a_dm_search_answers_with_a_short_first_screen(
    joinup: Joinup, said: str, first: str, never: str
) -> None:
    await joinup.dm(said, user=AMY)
    (call,) = await joinup.fake.wait_for("chat.postMessage")
    text = _all_text(call.args["blocks"])
    contacts = [line for line in text.split("\n") if not line.startswith("Duty")]
    assert contacts[0].startswith(f"{first}: open now"), text
    assert never not in text
    assert DANGER in text
    assert len(call.args["text"]) <= 700
    assert "joinup:find_more" in _buttons(call)


async def test_fgm_states_the_duty_and_more_shows_the_full_detail(joinup: Joinup) -> None:
    await joinup.dm("FGM", user=AMY)
    (call,) = await joinup.fake.wait_for("chat.postMessage")
    text = _all_text(call.args["blocks"])
    assert "Duty (England and Wales; FGM Act 2003 s.5B)" in text
    assert "to the police on 101" in text
    button = _buttons(call)["joinup:find_more"]
    block = next(b for b in call.args["blocks"] if b["type"] == "actions" and button in b["elements"])
    message = {
        "type": "message",
        "ts": "1764064800.000777",
        "text": call.args["text"],
        "blocks": call.args["blocks"],
    }
    press = payloads.block_action(
        user=AMY,
        action_id="joinup:find_more",
        value=button.get("value"),
        block_id=block.get("block_id", "actions"),
        message=message,
        channel=call.args["channel"],
    )
    assert (await joinup.interact(press)).status_code == 200
    # The pressed message is rewritten with today's full detail appended under the first screen.
    (more,) = await joinup.fake.wait_for("chat.update")
    detail = _all_text(more.args["blocks"])
    assert "Front door duty line (Phone: 0161 496 0100)" in detail
    assert "Hours" in detail
