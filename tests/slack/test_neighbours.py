"""The Millbridge example through Slack: a signed DM in, what the fake Web API received out."""

from __future__ import annotations

from tests.neighbours import ED_QUESTION, NOT_VERIFIED, pull_millbridge_async
from tests.slack.conftest import AMY, Joinup
from tests.slack.test_scenarios import _all_text, _buttons


async def test_a_child_from_millbridge_finds_its_front_door_and_out_of_hours_team(joinup: Joinup) -> None:
    await pull_millbridge_async(joinup.runtime.sessions, joinup.clock)
    await joinup.dm(ED_QUESTION, user=AMY)
    (call,) = await joinup.fake.wait_for("chat.postMessage")
    text = _all_text(call.args["blocks"])
    assert text.startswith("Millbridge children's front door (MASH): open now"), text
    assert "Millbridge emergency duty team (out of hours), call 0117 496 0199" in text
    assert "From the Millbridge feed, last pulled" in text and NOT_VERIFIED in text
    assert "If a child is in immediate danger, call 999." in text
    assert len(call.args["text"]) <= 700
    assert "joinup:find_more" in _buttons(call)


async def test_public_services_are_labelled_as_signposting(joinup: Joinup) -> None:
    await pull_millbridge_async(joinup.runtime.sessions, joinup.clock)
    await joinup.dm("drop-in for families", user=AMY)
    (call,) = await joinup.fake.wait_for("chat.postMessage")
    text = _all_text(call.args["blocks"])
    assert "Public services (for signposting, not a safeguarding route):" in text
    assert (
        "Public: Millbridge Family Hub drop-in, call 0117 496 0500. From the Millbridge Families feed" in text
    )
    assert NOT_VERIFIED in text
