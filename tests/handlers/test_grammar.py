"""The grammar: a table of phrasings → intents, and fuzzing that no text ever escapes as an exception."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel

from bot.runtime import build_router
from handlers.messages import Reply
from handlers.router import Intent, Router, clean_text
from schedules.time.clock import FakeClock
from storage.db import make_sessions
from tests.conftest import START
from tests.handlers.conftest import World, make_world

ROUTER = build_router()

# (what a person types, the intent, its arguments)
PHRASINGS: list[tuple[str, str, str]] = [
    # help
    ("help", "help", ""),
    ("HELP", "help", ""),
    ("help find", "help", "find"),
    ("Help share", "help", "share"),
    ("?", "help", ""),
    ("hi", "help", ""),
    ("/help", "help", ""),
    ("@joinup help", "help", ""),
    ("please help", "help", ""),
    ("menu", "help", ""),
    ("helo", "help", ""),
    ("", "help", ""),
    ("   ", "help", ""),
    # find
    ("find health visitor", "find", "health visitor"),
    ("Find Health Visitor", "find", "Health Visitor"),
    ("find front door open now", "find", "front door open now"),
    ("find cmht in north", "find", "cmht in north"),
    ("search camhs", "find", "camhs"),
    ("serach camhs", "find", "camhs"),
    ("fidn health visitor", "find", "health visitor"),
    ("lookup LADO", "find", "LADO"),
    ("contact the front door", "find", "the front door"),
    ("find", "find", ""),
    ("joinup, find LADO", "find", "LADO"),
    ("who do I contact about a baby", "find", "a baby"),
    ("who do i call", "find", ""),
    ("I'm looking for the LADO", "find", "the LADO"),
    ("need to contact housing", "find", "housing"),
    ("how do I contact CAMHS?", "find", "CAMHS"),
    # role
    ("role lead professional", "role", "lead professional"),
    ("role DSL", "role", "DSL"),
    ("roel lead professional", "role", "lead professional"),
    ("explain MASH", "role", "MASH"),
    ("define NFA", "role", "NFA"),
    ("what does ASC do", "role", "ASC"),
    ("What does ASC do?", "role", "ASC"),
    ("what does CAMHS stand for", "role", "CAMHS"),
    ("what do health visitors do", "role", "health visitors"),
    ("what is a LADO", "role", "LADO"),
    ("what's EDT", "role", "EDT"),
    ("whats MARAC?", "role", "MARAC"),
    ("who is the lead professional", "role", "lead professional"),
    ("who are the safeguarding partners", "role", "safeguarding partners"),
    ("meaning of threshold", "role", "threshold"),
    # due
    ("due icpc from 2026-12-17", "due", "icpc from 2026-12-17"),
    ("due core group from 21/12/2026", "due", "core group from 21/12/2026"),
    ("Due ICPC from 17 Dec", "due", "ICPC from 17 Dec"),
    ("deadline assessment from today", "due", "assessment from today"),
    ("timescales", "due", ""),
    ("due", "due", ""),
    # share
    ("share?", "share", ""),
    ("share", "share", ""),
    ("Share? NB-204518", "share", "NB-204518"),
    ("sharing", "share", ""),
    ("sahre?", "share", ""),
    ("can I share without consent?", "share", ""),
    ("should I share this with the school", "share", ""),
    ("is it ok to share information", "share", ""),
    ("information sharing", "share", ""),
    ("do I need consent?", "share", ""),
    # onboarding, cancel
    ("setup", "setup", ""),
    ("profile", "setup", ""),
    ("setpu", "setup", ""),
    ("cancel", "cancel", ""),
    ("back", "cancel", ""),
    # free text → directory search
    ("worried about a baby", "search", "worried about a baby"),
    ("parent hearing voices, pregnant", "search", "parent hearing voices, pregnant"),
    ("allegation against a teacher", "search", "allegation against a teacher"),
    ("shared care", "search", "shared care"),
    ("helper", "search", "helper"),
    ("ok", "search", "ok"),
    ("mind the gap", "search", "mind the gap"),
    ("SELECT * FROM team; DROP TABLE person;--", "search", "SELECT * FROM team; DROP TABLE person;--"),
    ("next blursday", "search", "next blursday"),
    ("gofal cymdeithasol i oedolion ŵ ŷ", "search", "gofal cymdeithasol i oedolion ŵ ŷ"),
    ("👶 worried", "search", "👶 worried"),
    ("worried\u200babout\x00a baby", "search", "worried about a baby"),
]


def test_the_table_is_big_enough() -> None:
    assert len(PHRASINGS) >= 60


@pytest.mark.parametrize(("text", "name", "args"), PHRASINGS, ids=[p[0][:40] or "(empty)" for p in PHRASINGS])
def test_phrasing_parses_to_intent(text: str, name: str, args: str) -> None:
    assert ROUTER.parse(text) == Intent(name, args)


def test_clean_text_drops_control_and_invisible_characters() -> None:
    assert clean_text("a\x00b\u202ec\u200bd\x1b[31m  e") == "a b c d [31m e"


def test_a_command_word_cannot_be_registered_twice() -> None:
    router = Router()

    async def handler(*_: object) -> Reply:
        return Reply(text="")

    router.command("find", handler, aliases=("search",))
    with pytest.raises(ValueError, match="already belong"):
        router.command("lookup", handler, aliases=("search",))


@given(st.text(max_size=300))
@settings(max_examples=500, deadline=None)
def test_any_text_parses_to_an_intent(text: str) -> None:
    intent = ROUTER.parse(text)
    assert intent.name == "search" or ROUTER.get_command(intent.name) is not None


def _fuzz_world() -> World:
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    SQLModel.metadata.create_all(engine)
    world = make_world(make_sessions(engine), FakeClock(START))
    asyncio.run(world.say("help"))  # creates nothing (a demo person), but warms the directory index
    return world


def _check_text(world: World, text: str) -> None:
    before = world.row_counts()
    reply = asyncio.run(world.say(text))
    assert isinstance(reply, Reply) and reply.text
    assert "Traceback" not in reply.text and "Something went wrong" not in reply.text
    after = world.row_counts()
    if world.router.parse(clean_text(text)).name == "search":
        changed = {table for table in after if after[table] != before[table]}
        assert changed <= {"audit_event"}, f"{text!r} changed {changed}"


TEXTS = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.sampled_from([p[0] for p in PHRASINGS]).map(lambda t: t + " " + "x" * 3),
    st.builds(
        lambda a, b: f"{a} {b}",
        st.sampled_from(["find", "due", "role", "help", "what is"]),
        st.text(max_size=40),
    ),
)


@given(TEXTS)
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fuzz_the_dispatcher_any_text_gets_a_friendly_reply(text: str) -> None:
    world = _FUZZ_WORLD.get("world") or _FUZZ_WORLD.setdefault("world", _fuzz_world())
    asyncio.run(world.say("cancel"))  # leave any flow a previous example started
    _check_text(world, text)


@pytest.mark.nightly
@given(TEXTS)
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fuzz_the_dispatcher_nightly(text: str) -> None:
    world = _FUZZ_WORLD.get("world") or _FUZZ_WORLD.setdefault("world", _fuzz_world())
    asyncio.run(world.say("cancel"))
    _check_text(world, text)


_FUZZ_WORLD: dict[str, World] = {}
