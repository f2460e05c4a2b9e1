"""Typed intents for the item commands, and the privacy guard over exactly their free-text fields.

Handlers receive the intent, never the line: checked structurally here. A refused note is kept only
cleaned, and one press ("Save without it") saves the same intent with the cleaned field.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.runtime import build_router
from handlers.intents.fields import free_text_fields
from handlers.intents.guard import SAVE_WITHOUT, is_guarded
from handlers.intents.items import (
    Close,
    Pause,
    Snooze,
    Tried,
    ack_from_text,
    close_from_fields,
    close_from_text,
    pause_from_fields,
    snooze_from_fields,
    tried_from_fields,
    tried_from_text,
)
from handlers.intents.tracking import Feedback, Refer, one_line
from handlers.messages import Button
from handlers.state import get_state
from schedules.time.clock import FakeClock
from storage.errors import InvalidInput
from storage.models import AuditEvent, ContactAttempt, TrackedItem
from storage.references import parse_item_ref
from tests.test_tracking_chat import Chat

ROOT = Path(__file__).resolve().parents[2]
# Where the raw line may be read: the Dispatcher and router (the grammar's callers), and onboarding,
# which replays the message that started it, verbatim, through the Dispatcher without parsing it.
READS_THE_LINE = {"handlers/dispatch.py", "handlers/router.py", "handlers/onboarding.py"}
CHILD = "child Jayden Smith seen at school"


def _reads_message_text(tree: ast.AST) -> list[int]:
    """Lines that read `.text` of an inbound message (`msg.text`, `message.text`, `ctx.message.text`)."""
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr == "text"):
            continue
        owner = node.value
        if (isinstance(owner, ast.Name) and owner.id in {"msg", "message", "inbound"}) or (
            isinstance(owner, ast.Attribute) and owner.attr == "message"
        ):
            lines.append(node.lineno)
    return lines


def test_no_handler_reads_the_line_after_the_grammar_parsed_it() -> None:
    offenders = []
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        name = str(path.relative_to(ROOT))
        if name in READS_THE_LINE:
            continue
        lines = _reads_message_text(ast.parse(path.read_text(encoding="utf-8")))
        offenders += [f"{name}:{line}" for line in lines]
    assert not offenders, f"handlers read the raw line instead of their intent: {offenders}"


@pytest.mark.parametrize("word", ["refer", "tried", "ack", "feedback", "snooze", "pause", "resume", "close"])
def test_every_tracking_command_and_its_button_hands_over_a_guarded_intent(word: str) -> None:
    router = build_router()
    command = router.get_command(word)
    assert command is not None and is_guarded(command.handler)
    if word not in {"refer", "close"}:  # refer's button carries a team key; close has no button
        found = router.get_action(word)
        assert found is not None and is_guarded(found[0])


def test_free_text_fields_are_declared_on_the_intent_and_nothing_else_is() -> None:
    assert free_text_fields(Refer(team="front door", case_ref="NB-1", note="n")) == {"note": "n"}
    assert free_text_fields(Feedback(item="TI-0001", outcome="signposted", reason="r")) == {"reason": "r"}
    assert free_text_fields(Tried(item="TI-0001", note="n")) == {"note": "n"}
    assert free_text_fields(Close(item="TI-0001", reason="r")) == {"reason": "r"}
    assert free_text_fields(Pause(item="TI-0001", reason="r")) == {"reason": "r"}
    assert free_text_fields(Snooze(item="TI-0001", until="until 17/12/2026")) == {}  # a date, not free text


def test_the_text_grammar_fills_each_field() -> None:
    assert tried_from_text("ti-42 left message by email about duty manager off") == Tried(
        item="TI-0042", result="left_message", method="email", note="duty manager off"
    )
    assert tried_from_text("front door case NB-204518 no answer") == Tried(
        team="front door", case_ref="NB-204518", result="no_answer"
    )
    assert close_from_text("TI-0042 logged twice") == Close(item="TI-0042", reason="logged twice")
    with pytest.raises(InvalidInput, match="Enter the item reference, like TI-0042"):
        ack_from_text("")
    with pytest.raises(InvalidInput, match="NB-204518 isn't an item reference"):
        ack_from_text("NB-204518")


ANY_TEXT = st.one_of(
    st.text(max_size=2000),
    st.sampled_from(["", " ", "ack", "close TI-0042", "TI-0042", "NB-204518", "Jane Doe", "🙂", "x" * 2000]),
)
ITEM_FORMS = {
    "pause": (pause_from_fields, "reason"),
    "close": (close_from_fields, "reason"),
    "snooze": (snooze_from_fields, "until"),
    "tried": (tried_from_fields, "note"),
}


@pytest.mark.parametrize("kind", sorted(ITEM_FORMS))
@settings(max_examples=150, deadline=None)
@given(item=ANY_TEXT, other=ANY_TEXT)
def test_any_field_value_lands_in_its_own_field_or_is_refused_for_that_field(
    kind: str, item: str, other: str
) -> None:
    from_fields, other_name = ITEM_FORMS[kind]
    try:
        intent = from_fields({"item": item, other_name: other})
    except InvalidInput as refused:
        assert refused.field == "item" and parse_item_ref(item.strip()) is None
        return
    assert intent.item == parse_item_ref(item.strip())
    assert getattr(intent, other_name) == one_line(other)  # nothing from the item field, nothing lost


@pytest.fixture
def chat(sessions: sessionmaker[Session], clock: FakeClock) -> Chat:
    return Chat(sessions, clock)


def _everything_stored(sessions: sessionmaker[Session]) -> str:
    with sessions() as session:
        rows = [*session.exec(select(TrackedItem)), *session.exec(select(ContactAttempt))]
        rows += list(session.exec(select(AuditEvent)))
        return json.dumps([row.model_dump(mode="json") for row in rows])


async def test_a_refused_referral_note_is_saved_without_it_in_one_press(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    refused = await chat.say("hv.amy", f"please refer front door case NB-204518 by phone about {CHILD}")
    assert refused.text.startswith("That looks like a person's name.") and "nothing was saved" in refused.text
    assert "Jayden" not in refused.text and "seen at school" in refused.text
    assert [b.label for b in refused.buttons] == ["Save without it"]
    amy = chat.person_id("hv.amy")
    with chat.sessions() as session:
        assert session.exec(select(TrackedItem)).all() == []
        state = get_state(session=session, person_id=amy)
        assert state is not None and state.flow == SAVE_WITHOUT and "Jayden" not in json.dumps(state.data)
    logged = await chat.press("hv.amy", refused.buttons[0])
    assert logged.text.startswith("Logged TI-")
    with chat.sessions() as session:
        item = session.exec(select(TrackedItem)).one()
        assert item.case_ref == "NB-204518" and "Jayden" not in item.about and "seen at school" in item.about
    assert "Jayden" not in _everything_stored(chat.sessions) and "Jayden" not in caplog.text


async def test_feedback_tried_and_close_notes_are_guarded_the_same_way(chat: Chat) -> None:
    logged = await chat.say("hv.amy", "refer front door case NB-204518 by phone")
    ref = logged.text.split()[1].rstrip(":")
    tried = await chat.say("hv.amy", f"tried {ref} left message about mum Kelly Smith is worried")
    assert tried.text.startswith("That looks like a person's name.")
    saved = await chat.press("hv.amy", Button("Save without it", SAVE_WITHOUT, "yes"))
    assert saved.text.startswith("Recorded: left a message")
    closing = await chat.say("hv.amy", f"close {ref} dad Kevin Jones moved away")
    assert closing.text.startswith("That looks like a person's name.")
    assert (await chat.say("hv.amy", "save")).text.startswith(f"Closed {ref}")
    with chat.sessions() as session:
        attempt = session.exec(select(ContactAttempt).where(col(ContactAttempt.note) != "")).one()
        item = session.exec(select(TrackedItem).where(col(TrackedItem.ref) == ref)).one()
        assert "is worried" in attempt.note and item.status == "closed"
    stored = _everything_stored(chat.sessions)
    assert not {"Kelly", "Kevin", "Jones"} & set(stored.replace('"', " ").split())


async def test_a_feedback_reason_with_a_name_offers_to_save_without_it(chat: Chat) -> None:
    logged = await chat.say("hv.amy", "refer front door case NB-204518 by phone")
    ref = logged.text.split()[1].rstrip(":")
    refused = await chat.say("hv.amy", f"feedback {ref} nfa child Jayden Smith below threshold")
    assert refused.text.startswith("That looks like a person's name.") and refused.buttons
    # Typing anything else drops the cleaned note and is handled as usual: nothing is swallowed.
    assert (await chat.say("hv.amy", "mine")).text.startswith("You're waiting on 1 item")
    assert (await chat.press("hv.amy", refused.buttons[0])).text.startswith("That button has expired")
    assert "Jayden" not in _everything_stored(chat.sessions)


async def test_dates_and_item_references_are_not_free_text(chat: Chat) -> None:
    logged = await chat.say("hv.amy", "refer front door case NB-204518 by phone")
    ref = logged.text.split()[1].rstrip(":")
    # A date after "until" (written like a date of birth) is the snooze's date, never refused as personal data.
    snoozed = await chat.say("hv.amy", f"snooze {ref} until 03/12/2026")
    assert snoozed.text.startswith(f"Snoozed. I'll remind you about {ref} again at")


async def test_an_nhs_number_split_across_parsed_fields_is_still_refused(chat: Chat) -> None:
    reply = await chat.say("hv.amy", "refer front door case 943 476 5919 by phone")
    assert reply.text.startswith("That looks like an NHS number.") and "5919" not in reply.text
