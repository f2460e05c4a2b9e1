"""The Dispatcher and the one error mapper: bad input always gets a friendly reply, never a traceback."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from bot.runtime import build_router
from handlers.context import HandlerContext
from handlers.errors import to_reply
from handlers.messages import InboundMessage, Reply
from schedules.time.clock import FakeClock
from storage.errors import InvalidInput, NotAllowed, NotFound, PersonalDataRefused, WrongState
from storage.models import AuditEvent, Person
from tests.handlers.conftest import World, make_world

NHS_REFUSAL = "That looks like an NHS number. joinup stores case references, not personal details, so nothing was saved."


def nhs_number(first_nine: str) -> str:
    """Build a valid NHS number from nine digits with the modulus-11 rule (never a real person's)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    assert check != 10, "pick other digits"
    return first_nine + str(check)


@pytest.mark.parametrize("spacing", ["{}", "{} ", "number {} please"])
async def test_an_nhs_number_is_refused_before_anything_is_stored(world: World, spacing: str) -> None:
    number = nhs_number("400000000")
    grouped = f"{number[:3]} {number[3:6]} {number[6:]}"
    before = world.row_counts()
    reply = await world.say(spacing.format(grouped), who="someone.new")
    # The guard's wording: the kind of data, that nothing was saved, and the message without it.
    assert reply.text.startswith(NHS_REFUSAL) and grouped not in reply.text
    after = world.row_counts()
    assert {t for t in after if after[t] != before[t]} == {"audit_event"}
    with world.sessions() as session:
        event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()  # type: ignore[union-attr]
        assert event is not None and event.action == "privacy.refused" and number not in str(event.data)


async def test_ten_random_digits_are_not_an_nhs_number(world: World) -> None:
    reply = await world.say("find 4000000001")
    assert not reply.text.startswith(NHS_REFUSAL)


async def test_a_very_long_message(world: World) -> None:
    reply = await world.say("a" * 10_000)
    assert reply.text.startswith("That message is too long for me.")


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", "\u200b"])
async def test_empty_lines_get_help(world: World, text: str) -> None:
    reply = await world.say(text)
    assert reply.text.startswith("I help you reach the right people")


async def test_unknown_button(world: World) -> None:
    reply = await world.dispatcher.handle(
        InboundMessage(platform="console", sender_key="hv.amy", action="no-such-action", action_value="x")
    )
    assert reply.text.startswith("That button has expired.")


async def test_cancel_with_nothing_in_progress(world: World) -> None:
    reply = await world.say("cancel")
    assert reply.text.startswith("There's nothing to cancel")


async def test_help_topics(world: World) -> None:
    reply = await world.say("help find")
    assert reply.text.startswith("Find who to contact, how, and when you'll hear back.\nType: find <what>")
    assert reply.fields[0].value == "find health visitor"
    reply = await world.say("help blorp")
    assert reply.text.startswith("I don't have help on 'blorp'.")
    assert not reply.buttons  # QA: an "Explain blorp" button only led to "I don't have an explanation"
    reply = await world.say("help lado")
    assert reply.text.startswith("I don't have help on 'lado' as a command, but I can explain it")
    assert (await world.press("Explain lado")).text.startswith("LADO")
    reply = await world.say("hello there")
    assert reply.text.startswith("I help you reach the right people")


async def test_try_buttons_run_the_example(world: World) -> None:
    await world.say("help")
    reply = await world.press("Try: role lead professional")
    assert reply.text.startswith("Lead professional")


async def test_an_unexpected_error_is_apologised_for_and_audited(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    router = build_router()

    async def broken(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        raise RuntimeError("boom")

    router.command("broken", broken)
    world = make_world(sessions, clock, router)
    reply = await world.say("broken")
    assert reply.text.startswith("Something went wrong on our side; nothing you entered was lost.")
    assert "boom" not in reply.text and "Traceback" not in reply.text
    error_id = reply.text.rsplit("reference ", 1)[1].rstrip(")")
    with world.sessions() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "error")).one()
    assert event.subject == f"error:{error_id}" and event.data == {"type": "RuntimeError"}


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (NotFound("item", "TI-0042"), "I can't find item TI-0042. Type mine to see your open items."),
        (
            NotAllowed("see that item", reason="It belongs to another team."),
            "You can't see that item. It belongs",
        ),
        (
            InvalidInput("date", "That isn't a date.", example="17/12/2026"),
            "That isn't a date. For example: 17/12/2026",
        ),
        (
            WrongState("item", "TI-1", "closed", "acknowledge it"),
            "Item TI-1 is closed, so you can't acknowledge it.",
        ),
        (PersonalDataRefused("an NHS number"), NHS_REFUSAL),
        (PersonalDataRefused("a postcode"), "That looks like a postcode. joinup stores case references"),
        (ValueError("internal detail"), "Something went wrong on our side; nothing you entered was lost."),
    ],
)
def test_error_mapper(error: Exception, text: str) -> None:
    reply = to_reply(error)
    assert reply.text.startswith(text)
    assert "internal detail" not in reply.text


async def test_sql_looking_text_is_just_a_search(world: World) -> None:
    reply = await world.say("'; DROP TABLE person; --")
    assert reply.text
    with world.sessions() as session:
        assert session.exec(select(Person)).first() is not None


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        ("👶🏽🍼", "I'm not sure who handles"),
        ("Rwy'n poeni am blentyn ŵ ŷ", "I'm not sure who handles"),
        ("Robert'); DROP TABLE students;--", "I'm not sure who handles"),
        ("florble the wibbet", "I'm not sure who handles"),
        ("due icpc from 31/02", "There's no 31 February"),
        ("due core group from next blursday", "I don't understand the date 'next blursday'"),
        ("good morning", "Hello. Say what you need"),
        ("\x1b[31mred\x1b[0m", "I'm not sure who handles"),
    ],
)
async def test_bad_input_gets_a_helpful_reply(world: World, text: str, starts: str) -> None:
    reply = await world.say(text)
    assert reply.text.startswith(starts), reply.text
