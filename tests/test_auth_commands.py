"""The role matrix through the chat: each demo person × each guarded command → answered or refused.

Drives the real Dispatcher and handler modules over the Northbrook demo, and tells a refusal by the
`access.refused` audit event that handlers/access/auth.py writes, so the test doesn't depend on reply wording.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, func, select

from directory.demo import load_demo
from handlers import chronology, digest, escalation, find, flow, guidance, insight, onboarding, tracking
from handlers import help as help_
from handlers.dispatch import Dispatcher
from handlers.errors import UNEXPECTED
from handlers.messages import InboundMessage, RecordingNotifier, Reply
from handlers.router import Router
from schedules.escalation import policy
from schedules.settings import DomainSettings
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, TrackedItem

PEOPLE = (
    "hv.amy",
    "mgr.kate",
    "mgr.tom",
    "sw.jo",
    "mgr.ben",
    "amh.lee",
    "gp.omar",
    "admin.nadia",
    "partnership.chair",
    "audit.sam",
)
MANAGERS = {"mgr.kate", "mgr.tom", "mgr.ben"}
# A referral from Amy (health visiting) to the front door about NB-204518 is made first.
FRONT_DOOR_CASE = {"hv.amy", "mgr.kate", "mgr.tom", "sw.jo", "admin.nadia", "audit.sam"}
COMMANDS: dict[str, set[str]] = {
    "digest": MANAGERS,
    "stats": MANAGERS | {"partnership.chair", "audit.sam"},
    "chronology NB-204518": FRONT_DOOR_CASE,
    "refer early help hub case NB-300001": set(PEOPLE) - {"audit.sam"},
}


@pytest.fixture
def dispatcher(sessions: sessionmaker[Session], clock: FakeClock) -> Iterator[Dispatcher]:
    with sessions.begin() as session:
        load_demo(session, clock)
        policy.seed(session, clock)
    router = Router()
    for module in (
        help_,
        find,
        guidance,
        onboarding,
        flow,
        insight,
        escalation,
        chronology,
        tracking,
        digest,
    ):
        module.register(router)
    yield Dispatcher(
        router=router, sessions=sessions, clock=clock, notifier=RecordingNotifier(), settings=DomainSettings()
    )


def say(dispatcher: Dispatcher, handle: str, text: str) -> Reply:
    return asyncio.run(dispatcher.handle(InboundMessage(platform="console", sender_key=handle, text=text)))


def refusals(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.exec(
            select(func.count()).select_from(AuditEvent).where(col(AuditEvent.action) == "access.refused")
        ).one()


def test_each_role_and_command(dispatcher: Dispatcher, sessions: sessionmaker[Session]) -> None:
    say(dispatcher, "hv.amy", "refer front door case NB-204518")
    with sessions() as session:
        assert session.exec(select(TrackedItem).where(col(TrackedItem.case_ref) == "NB-204518")).first()
    found: dict[tuple[str, str], bool] = {}
    for command in COMMANDS:
        for handle in PEOPLE:
            before = refusals(sessions)
            reply = say(dispatcher, handle, command)
            assert UNEXPECTED not in reply.text, (handle, command, reply.text)
            refused = refusals(sessions) > before
            found[(handle, command)] = not refused
            if refused:
                assert reply.text.startswith("You can't "), (handle, command, reply.text)
            say(dispatcher, handle, "cancel")  # leave no conversation in progress for the next command
    expected = {(h, c): h in allowed for c, allowed in COMMANDS.items() for h in PEOPLE}
    wrong = {key: found[key] for key in expected if found[key] != expected[key]}
    assert not wrong, f"allowed/refused differs from the matrix: {wrong}"
