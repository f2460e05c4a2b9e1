"""One journey, two platforms: the same script runs through Slack (/slack/events) and Teams (/api/messages),
and joinup says the same thing on both, because both are thin adapters over the same handlers.

Each platform is driven through its real HTTP endpoint and read back from its fake (Slack Web API, Bot
Framework connector). Only the first line of each answer is compared: that is the handler's own sentence;
the rest is each platform's rendering of the same facts and buttons.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
from sqlalchemy import Engine
from sqlmodel import SQLModel, col, select

from bot.runtime import Runtime
from schedules.time.clock import FakeClock
from storage.db import make_engine
from storage.models import Person, Reminder
from tests.conftest import START
from tests.fakes.graph import FakeGraph
from tests.fakes.slack import FakeSlack
from tests.fakes.teams import FakeBotFramework, conversation_id
from tests.slack import payloads
from tests.slack.conftest import AMY as SLACK_AMY
from tests.slack.conftest import Joinup as SlackJoinup
from tests.slack.conftest import build_joinup as build_slack
from tests.teams.conftest import AMY as TEAMS_AMY
from tests.teams.conftest import KATE, TeamsJoinup
from tests.teams.conftest import build_joinup as build_teams

REFERENCE = re.compile(r"\bTI-\d{4,}\b")


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


class Chat(Protocol):
    """A platform as Amy sees it."""

    @property
    def runtime(self) -> Runtime: ...
    @property
    def clock(self) -> FakeClock: ...
    async def say(self, text: str) -> str: ...
    async def press(self, action: str, value: str, *, expect: int = 1) -> list[str]: ...
    def proactive_since(self, mark: int) -> list[str]: ...
    def mark(self) -> int: ...


@dataclass
class SlackChat:
    joinup: SlackJoinup

    @property
    def runtime(self) -> Runtime:
        return self.joinup.runtime

    @property
    def clock(self) -> FakeClock:
        return self.joinup.clock

    def _posts(self) -> list[Any]:
        return self.joinup.fake.calls_to("chat.postMessage")

    async def say(self, text: str) -> str:
        before = len(self._posts())
        await self.joinup.dm(text, user=SLACK_AMY)
        posted = await self.joinup.fake.wait_for("chat.postMessage", count=before + 1)
        return first_line(posted[before].args["text"])

    def _outgoing(self) -> list[Any]:
        return [c for c in self.joinup.fake.calls if c.method in ("chat.postMessage", "chat.update")]

    async def press(self, action: str, value: str, *, expect: int = 1) -> list[str]:
        last = self._posts()[-1].args
        message = {
            "type": "message",
            "ts": "1764064800.000777",
            "text": last["text"],
            "blocks": last["blocks"],
        }
        before = len(self._outgoing())
        press = payloads.block_action(
            user=SLACK_AMY,
            action_id=f"joinup:{action}",
            value=value,
            block_id="joinup-buttons",
            message=message,
            channel=last["channel"],
        )
        await self.joinup.interact(press)
        async with asyncio.timeout(10):  # listeners run after the ack, on Slack's side of the wire
            while len(self._outgoing()) < before + expect:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        return sorted(first_line(call.args["text"]) for call in self._outgoing()[before:])

    def mark(self) -> int:
        return len(self._posts())

    def proactive_since(self, mark: int) -> list[str]:
        return [first_line(call.args["text"]) for call in self._posts()[mark:]]


@dataclass
class TeamsChat:
    joinup: TeamsJoinup

    @property
    def runtime(self) -> Runtime:
        return self.joinup.runtime

    @property
    def clock(self) -> FakeClock:
        return self.joinup.clock

    async def say(self, text: str) -> str:
        await self.joinup.say(text, user=TEAMS_AMY)
        return first_line(self.joinup.fake.to(conversation_id(TEAMS_AMY))[-1].text)

    async def press(self, action: str, value: str, *, expect: int = 1) -> list[str]:
        before = len(self.joinup.fake.to(conversation_id(TEAMS_AMY)))
        await self.joinup.press({"action": action, "value": value}, user=TEAMS_AMY)
        sent = self.joinup.fake.to(conversation_id(TEAMS_AMY))[before:]
        assert len(sent) == expect, [s.text for s in sent]
        return sorted(first_line(s.text) for s in sent)

    def mark(self) -> int:
        return len(self.joinup.fake.to(conversation_id(TEAMS_AMY)))

    def proactive_since(self, mark: int) -> list[str]:
        return [first_line(sent.text) for sent in self.joinup.fake.to(conversation_id(TEAMS_AMY))[mark:]]


async def slack_chat(clock: FakeClock, engine: Engine) -> AsyncIterator[Chat]:
    fake = FakeSlack().start()
    fake.add_user(SLACK_AMY, email="hv.amy@example.org", name="Amy Hughes")
    try:
        runtime, http = build_slack(fake=fake, clock=clock, engine=engine)
        async with http:
            yield SlackChat(SlackJoinup(runtime=runtime, http=http, fake=fake, clock=clock))
    finally:
        fake.stop()


async def teams_chat(clock: FakeClock, engine: Engine) -> AsyncIterator[Chat]:
    fake = FakeBotFramework().start()
    graph = FakeGraph()
    graph.add(KATE, name="Kate Morris", mail="mgr.kate@example.org")
    graph.add(TEAMS_AMY, name="Amy Hughes", mail="hv.amy@example.org", manager=KATE)
    try:
        joinup = build_teams(fake=fake, graph=graph, clock=clock, engine=engine)
        async with joinup.http:
            yield TeamsChat(joinup)
    finally:
        fake.stop()


PLATFORMS: dict[str, Callable[[FakeClock, Engine], AsyncIterator[Chat]]] = {
    "slack": slack_chat,
    "teams": teams_chat,
}


def fresh_engine() -> Engine:
    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    return engine


async def sweep_to_first_reminder(chat: Chat) -> None:
    """Move the clock to Amy's first pending reminder and run the outbox sweep once."""
    runtime = chat.runtime
    with runtime.sessions() as session:
        amy = session.exec(select(Person.id).where(col(Person.handle) == "hv.amy")).one()
        due_at = session.exec(
            select(Reminder.due_at)
            .where(col(Reminder.recipient_person_id) == amy)
            .where(col(Reminder.status) == "pending")
            .order_by(col(Reminder.due_at))
        ).first()
    assert due_at is not None
    chat.clock.set(due_at)
    await runtime.jobs["outbox-sweep"].run(runtime)


async def journey(chat: Chat) -> list[str]:
    """Amy's journey: help, search, refer, a chase, Acknowledge, mistakes. Returns what joinup said."""
    said = [
        await chat.say("help"),
        await chat.say("find health visitor"),
        await chat.say("worried about a baby"),
    ]
    logged = await chat.say("refer front door case NB-204518 by phone")
    found = REFERENCE.search(logged)
    assert found, logged
    ref = found.group(0)
    said += [logged, await chat.say("mine")]
    mark = chat.mark()
    await sweep_to_first_reminder(chat)
    said += chat.proactive_since(mark)
    # Acknowledge answers the press and rewrites the chase, whose buttons no longer apply.
    said += await chat.press("ack", ref, expect=2)
    said += await chat.press("no-such-action", "x")
    said += [
        await chat.say("refer front door case 943 476 5919 by phone"),  # an NHS number, refused
        await chat.say("ack TI-9999"),
    ]
    return said


Runner = Callable[[str], Awaitable[list[str]]]


@pytest.fixture
def run() -> Runner:
    async def run_on(platform: str) -> list[str]:
        engine = fresh_engine()
        try:
            async for chat in PLATFORMS[platform](FakeClock(START), engine):
                return await journey(chat)
        finally:
            engine.dispose()
        raise AssertionError("the platform didn't start")

    return run_on


@pytest.mark.parametrize("platform", ["slack", "teams"])
async def test_the_journey_on_each_platform(run: Runner, platform: str) -> None:
    said = await run(platform)

    assert said[0].startswith("I help you reach the right people")
    assert said[3].startswith("Logged TI-")
    assert "NB-204518" in said[5]  # the chase names the case reference, never a child
    assert any("marked as acknowledged" in line for line in said[-5:-3])
    assert any(line == f"{said[3][7:14]} has been acknowledged. Nothing to do." for line in said[-5:-3])
    assert said[-3].startswith("That button has expired")
    assert "NHS number" in said[-2]
    assert said[-1].startswith("I can't find item TI-9999")


async def test_both_platforms_say_exactly_the_same(run: Runner) -> None:
    assert await run("slack") == await run("teams")
