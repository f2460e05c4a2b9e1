"""verify and stale in chat: owners and directory admins keep entries true; others are refused kindly."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from handlers.dispatch import Dispatcher
from handlers.messages import InboundMessage, RecordingNotifier, Reply
from handlers.router import Router
from handlers.upkeep import commands as directory_admin
from schedules.settings import DomainSettings
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, Team


def dispatcher(sessions: sessionmaker[Session], clock: FakeClock) -> Dispatcher:
    router = Router()
    directory_admin.register(router)
    return Dispatcher(
        router=router, sessions=sessions, clock=clock, notifier=RecordingNotifier(), settings=DomainSettings()
    )


async def say(d: Dispatcher, text: str, who: str) -> Reply:
    return await d.handle(InboundMessage(platform="console", sender_key=who, text=text))


def verified_at(sessions: sessionmaker[Session], key: str) -> object:
    with sessions() as session:
        return session.exec(select(Team.last_verified_at).where(col(Team.key) == key)).one()


async def test_admin_lists_stale_and_verifies(
    demo: Session, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    demo.close()
    d = dispatcher(sessions, clock)
    reply = await say(d, "stale", "admin.nadia")
    assert "1 directory entry needs review" in reply.text and "Hidden harm worker" in reply.text
    assert [b.value for b in reply.buttons] == ["hidden-harm"]
    pressed = await d.handle(
        InboundMessage(
            platform="console", sender_key="admin.nadia", action="verify", action_value="hidden-harm"
        )
    )
    assert "is marked as checked today" in pressed.text and "every 90 days" in pressed.text
    assert verified_at(sessions, "hidden-harm") == clock.now()
    assert "Nothing you look after" in (await say(d, "stale", "admin.nadia")).text
    reply = await say(d, "verify lado every 180 days", "admin.nadia")
    assert "(every 180 days)" in reply.text and "due by 24 May 2027" in reply.text
    with sessions() as session:
        actions = session.exec(
            select(AuditEvent.action, AuditEvent.actor).where(col(AuditEvent.action) == "directory.verified")
        ).all()
    assert actions == [("directory.verified", "admin.nadia")] * 2


async def test_owner_may_verify_their_own_entry_only(
    demo: Session, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    demo.close()
    d = dispatcher(sessions, clock)
    assert "marked as checked" in (await say(d, "verify health visiting", "mgr.kate")).text
    before = verified_at(sessions, "lado")
    refused = await say(d, "verify lado", "mgr.kate")
    assert "checked" not in refused.text.split(".")[0] and verified_at(sessions, "lado") == before
    assert "Nothing you look after" in (await say(d, "stale", "hv.amy")).text


async def test_bad_input_gets_a_friendly_reply(
    demo: Session, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    demo.close()
    d = dispatcher(sessions, clock)
    unknown = await say(d, "verify cmht", "admin.nadia")
    assert "cmht-north" in unknown.text and "Traceback" not in unknown.text
    silly = await say(d, "verify lado every 0 days", "admin.nadia")
    assert "between 1 and 3650" in silly.text
    empty = await say(d, "verify", "admin.nadia")
    assert "verify front door every 90 days" in empty.text
