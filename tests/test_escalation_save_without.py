"""An escalation rationale with a child's name: refused, the walkthrough keeps its place, and one press
saves the rationale without the name (kept only cleaned in the walkthrough's state until then)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from handlers.intents import saving
from handlers.intents.guard import SAVE_ANSWER
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, ConversationState, Escalation, EscalationStep
from tests.escalation_world import World, build_world
from tests.test_escalation_walkthrough import open_escalation


@pytest.fixture
def world(sessions: sessionmaker[Session], clock: FakeClock) -> World:
    built = build_world(sessions, clock)
    saving.register(built.router)  # as bot.runtime's router has it (handlers.flow registers it)
    return built


async def test_a_rationale_naming_a_child_is_saved_without_the_name_in_one_press(world: World) -> None:
    await open_escalation(world)
    assert "what you tried" in (await world.press("hv.amy", "escalation_next", "ES-0001")).text
    assert "Why didn't it resolve" in (await world.say("hv.amy", "spoke to the duty manager")).text
    refused = await world.say("hv.amy", "child Jayden Smith still below threshold, no new reasons given")
    assert refused.text.startswith("That looks like a person's name.") and "Jayden" not in refused.text
    assert [(b.label, b.action) for b in refused.buttons] == [("Save without it", SAVE_ANSWER)]
    with world.sessions() as session:
        kept = json.dumps([s.data for s in session.exec(select(ConversationState))])
        assert "Jayden" not in kept and "still below threshold" in kept
    moved = await world.press("hv.amy", SAVE_ANSWER, "yes")
    assert "level 2" in moved.text.lower(), moved.text
    with world.sessions() as session:
        stored = json.dumps(
            [row.model_dump(mode="json") for model in (Escalation, EscalationStep, AuditEvent)
             for row in session.exec(select(model))]
        )  # fmt: skip
    assert "Jayden" not in stored and "still below threshold" in stored
