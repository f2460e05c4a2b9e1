"""share?: the information-sharing walkthrough, end to end through the Dispatcher and the database."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from handlers.guidance.share_text import lawful_basis, pick
from schedules.time.clock import FakeClock
from storage.db import make_sessions
from storage.models import ConversationState, SharingDecision
from tests.handlers.conftest import World, make_world


def _decisions(world: World) -> list[SharingDecision]:
    with world.sessions() as session:
        return list(session.exec(select(SharingDecision)).all())


def _state(world: World) -> ConversationState | None:
    with world.sessions() as session:
        return session.exec(select(ConversationState)).first()


async def test_walkthrough_with_buttons_records_the_decision(world: World) -> None:
    reply = await world.say("share?")
    assert "Data protection law doesn't stop you sharing to keep a child safe" in reply.text
    assert reply.buttons[0].label == "To protect a child from harm"
    reply = await world.press("To protect a child from harm")
    assert "If a child is in immediate danger, call 999 now" in reply.text
    assert "Consent is usually not the right lawful basis" in reply.text
    reply = await world.press("Public task, Article 6(1)(e)")
    assert "Schedule 1 paragraph 18" in reply.text
    await world.press("Yes")
    reply = await world.press("Yes")  # necessary and proportionate
    assert "Be open with the child and family" in reply.text
    reply = await world.press("Yes, I'll tell them")
    assert "Who would you share with" in reply.text
    await world.say("children's front door by secure email")
    reply = await world.press("Share")
    assert "why did you decide to share" in reply.text
    reply = await world.say("Worried about neglect; the front door needs the health history.")
    assert "Which case reference" in reply.text
    reply = await world.say("nb-204518")

    assert reply.text.startswith("Recorded your decision against NB-204518.")
    fields = {f.label: f.value for f in reply.fields}
    assert fields["Decision"] == "Share"
    assert (
        fields["Lawful basis"]
        == "UK GDPR Art 6(1)(e) public task + Art 9(2)(g), DPA 2018 Sch 1 para 18 safeguarding"
    )
    [decision] = _decisions(world)
    assert decision.case_ref == "NB-204518"
    assert decision.decision == "shared"
    assert decision.with_whom == "children's front door by secure email"
    assert decision.purpose == "To protect a child from harm"
    assert decision.person_id == world.person("hv.amy").id
    assert world.audit_actions()[-1] == "sharing.recorded"
    assert _state(world) is None


async def test_typed_answers_back_and_a_case_reference_given_up_front(world: World) -> None:
    reply = await world.say("share? NB-7001")
    assert "I'll record the decision against NB-7001" in reply.text
    await world.say("support")
    reply = await world.say("consent")
    assert "Consent is rarely the right basis" in reply.text
    reply = await world.say("back")
    assert "Which basis does your agency use?" in reply.text
    reply = await world.say("public task")
    assert "special category" in reply.text
    await world.say("no")
    await world.say("not sure")
    await world.say("no: it would increase the risk"[:2])
    await world.say("school DSL, by phone")
    await world.say("not share")
    reply = await world.say("The school already knows and sharing adds nothing.")
    assert reply.text.startswith("Recorded your decision against NB-7001.")
    [decision] = _decisions(world)
    assert (decision.decision, decision.lawful_basis) == ("not_shared", "UK GDPR Art 6(1)(e) public task")


async def test_skipping_the_case_reference_records_nothing(world: World) -> None:
    for answer in ("protect", "public task", "yes", "yes", "yes", "front door", "share", "risk of harm"):
        await world.say(answer if answer != "protect" else "share?")
        if answer == "protect":
            await world.say("protect")
    reply = await world.say("skip")
    assert reply.text.startswith("Nothing was recorded in joinup.")
    assert _decisions(world) == []
    assert _state(world) is None


async def test_a_wrong_answer_asks_again_and_keeps_the_place(world: World) -> None:
    await world.say("share?")
    reply = await world.say("banana")
    assert "I didn't catch why you want to share" in reply.text
    assert "Why do you want to share information?" in reply.text
    state = _state(world)
    assert state is not None and state.step == "purpose"


async def test_personal_data_in_an_answer_is_refused_and_nothing_is_lost(world: World) -> None:
    await world.say("share?")
    for answer in ("protect", "public task", "no", "yes", "yes"):
        await world.say(answer)
    reply = await world.say("Mum at 12 Acacia Avenue, NB4 7XY")
    assert "looks like a postcode" in reply.text
    assert "Who would you share with" in reply.text
    state = _state(world)
    assert state is not None and state.step == "whom" and state.data["purpose"] == "protect"


async def test_cancel_stops_and_forgets(world: World) -> None:
    await world.say("share?")
    basis_question = await world.say("protect")
    reply = await world.say("cancel")
    assert "I've stopped that" in reply.text
    assert _state(world) is None
    reply = await world.press("Public task, Article 6(1)(e)", reply=basis_question)
    assert reply.text == "That walkthrough has finished. Type share? to start a new one."
    assert _decisions(world) == []


async def test_a_stale_button_after_the_flow_ends_says_so(world: World) -> None:
    first = await world.say("share?")
    await world.say("cancel")
    reply = await world.press("To protect a child from harm", reply=first)
    assert reply.text == "That walkthrough has finished. Type share? to start a new one."


async def test_a_bad_case_reference_is_explained(world: World) -> None:
    await world.say("share?")
    for answer in ("protect", "public task", "no", "yes", "yes", "front door", "share", "to protect"):
        await world.say(answer)
    reply = await world.say("Jane Smith")
    assert "That looks like a name" in reply.text
    assert _decisions(world) == []


def test_pick_understands_labels_values_and_typos() -> None:
    from handlers.guidance.share_text import BASES

    assert pick(BASES, "public_task", what="x") == "public_task"
    assert pick(BASES, "Legal obligation, Article 6(1)(c)", what="x") == "legal_obligation"
    assert pick(BASES, "pubic task", what="x") == "public_task"
    assert lawful_basis("unsure", "unsure") == "not sure (ask the DPO) + special category not sure"


async def test_another_command_instead_of_an_answer_leaves_the_walkthrough(world: World) -> None:
    await world.say("share?")
    reply = await world.say("find LADO")
    assert reply.text.startswith("Left the information-sharing questions; type continue to go back to them.")
    assert "\nLocal authority designated officer (LADO): open now" in reply.text
    back = await world.say("continue")
    assert back.text.startswith("Back to the information-sharing questions.")
    assert "Why do you want to share information?" in back.text
    await world.say("protect")  # answers the question it went back to
    state = _state(world)
    assert state is not None and state.step == "basis"


@pytest.mark.postgres
async def test_walkthrough_on_postgresql(pg_engine: Engine, clock: FakeClock) -> None:
    world = make_world(make_sessions(pg_engine), clock)
    await world.say("share? NB-9001")
    for answer in (
        "protect",
        "legal obligation",
        "yes",
        "yes",
        "already told",
        "police by secure email",
        "share",
    ):
        await world.say(answer)
    reply = await world.say("Police need it for a section 47 enquiry.")
    assert reply.text.startswith("Recorded your decision against NB-9001.")
    [decision] = _decisions(world)
    assert decision.lawful_basis.startswith("UK GDPR Art 6(1)(c) legal obligation")
    assert world.audit_actions()[-1] == "sharing.recorded"


async def test_a_name_given_up_front_is_not_kept_or_echoed(world: World) -> None:
    # QA: 'share? John Smith' silently ignored the name, then asked for the reference at the end.
    reply = await world.say("share? John Smith")
    assert reply.text.startswith("That doesn't look like a case reference, so I haven't kept it.")
    assert "Case references look like NB-204518" in reply.text
    assert "John" not in reply.text and "Smith" not in reply.text
    assert "Why do you want to share information?" in reply.text
