"""Problems a new user met in the tracking and stats handlers, kept as regression tests once fixed.

Each test says what a practitioner typed and what should have happened. A new finding goes in as a
strict xfail (`@pytest.mark.xfail(strict=True, reason=...)`), and the mark is removed with the fix.
"""

from __future__ import annotations

from tests.handlers.conftest import World


async def test_back_in_the_refer_question_does_not_claim_there_was_nothing(world: World) -> None:
    await world.say("find front door")
    asked = await world.press("Log a referral")
    assert asked.text.startswith("What is your case reference for the referral")
    reply = await world.say("back")
    assert "nothing to cancel" not in reply.text
    assert reply.text.startswith("Which team did you refer to?")
    again = await world.say("back")
    assert again.text.startswith("This is the first question.")
    asked = await world.say("front door")
    assert asked.text.startswith("What is your case reference for the referral")
    logged = await world.say("NB-88")
    assert logged.text.startswith("Logged TI-")


async def test_a_full_refer_command_typed_at_the_team_question_is_understood(world: World) -> None:
    await world.say("refer")  # "Which team did you refer to? Type its name."
    reply = await world.say("refer front door case NB-5")
    assert "'refer front door case NB-5'" not in reply.text
    assert reply.text.startswith("Logged TI-")


async def test_an_unknown_channel_is_named_as_the_problem(world: World) -> None:
    reply = await world.say("refer front door case NB-5 by pigeon")
    assert "'front door by pigeon'" not in reply.text
    assert "pigeon" in reply.text and "phone" in reply.text


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


async def test_a_worker_in_the_receiving_team_sees_what_her_team_owes_and_acknowledges_it(
    world: World,
) -> None:
    logged = await world.say("refer front door case NB-31 by phone")
    ref = logged.text.split()[1].rstrip(":")
    theirs = await world.say("mine", who="sw.jo")
    assert "your team has 1 to answer" in theirs.text
    assert any(ref in section.title and "from Amy Hughes" in section.title for section in theirs.sections)
    acked = await world.press("Acknowledge", who="sw.jo", reply=theirs)
    assert ref in acked.text and "acknowledged" in acked.text.lower()
    elsewhere = await world.say("mine", who="gp.omar")
    assert ref not in elsewhere.text and not elsewhere.sections


async def test_stale_buttons_on_a_closed_item_are_refused_before_any_question(world: World) -> None:
    logged = await world.say("refer front door case NB-32 by phone")
    ref = logged.text.split()[1].rstrip(":")
    closed = await world.say(f"feedback {ref} early help")
    assert closed.text.startswith(f"Recorded the outcome of {ref}")
    for label in ("Add feedback", "I tried again"):
        reply = await world.press(label, reply=logged)
        assert (
            "closed" in reply.text and "outcome for" not in reply.text and "How did it go" not in reply.text
        )


async def test_the_no_further_action_reason_is_one_line_and_cancel_keeps_the_item_open(world: World) -> None:
    logged = await world.say("refer front door case NB-33 by phone")
    ref = logged.text.split()[1].rstrip(":")
    asked = await world.press("Add feedback", who="sw.jo", reply=logged)
    nfa = next(b for b in asked.buttons if b.value.endswith("no_further_action"))
    why = await world.click(nfa, who="sw.jo")
    assert f"Why was there no further action on {ref} (" in why.text
    stopped = await world.say("cancel", who="sw.jo")
    assert "stopped" in stopped.text
    still = await world.say("mine")
    assert any(ref in section.title for section in still.sections)
    await world.click(nfa, who="sw.jo")
    done = await world.say("below threshold, offered early help", who="sw.jo")
    assert done.text.startswith(f"Recorded the outcome of {ref}") and "below threshold" in done.text


async def test_a_manager_sees_what_the_people_they_manage_are_waiting_on(world: World) -> None:
    logged = await world.say("refer front door case NB-34 by phone")  # hv.amy, whose manager is mgr.kate
    ref = logged.text.split()[1].rstrip(":")
    kate = await world.say("mine", who="mgr.kate")
    assert "the people you manage on 1" in kate.text
    [section] = [s for s in kate.sections if ref in s.title]
    assert "sent by Amy Hughes" in section.title and [b.action for b in section.buttons] == [
        "tried",
        "feedback",
    ]
    tom = await world.say("mine", who="mgr.tom")  # the front door's manager: his team owes it, listed once
    assert "your team has 1 to answer" in tom.text and "people you manage" not in tom.text
    assert sum(ref in s.title for s in tom.sections) == 1
