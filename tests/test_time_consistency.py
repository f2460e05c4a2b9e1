"""One timekeeping: an escalation level counts in the configured working hours, a tracking clock in the receiving
team's own opening hours (the front door closes at 17:15 Monday to Thursday), and one due moment reads the same
in a tracking reply, a digest and an escalation card."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

import handlers.escalation as escalation
import handlers.tracking as tracking
from directory.demo import load_demo
from handlers.digest import send as digest
from handlers.dispatch import Dispatcher
from handlers.messages import InboundMessage, RecordingNotifier, Reply
from handlers.router import Router
from schedules.escalation import policy
from schedules.settings import DomainSettings, ReminderSettings
from schedules.time.calendar import LONDON
from schedules.time.clock import FakeClock
from storage.models import Escalation, Person, Reminder, TrackedItem

# Not the 9-to-5 fallback, so a clock that ignores the settings shows.
SETTINGS = DomainSettings(reminders=ReminderSettings(working_day_starts="08:00", working_day_ends="16:00"))


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC moment (London is on GMT in November, so this is London time too)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class Chat:
    """Tracking and escalation through one Dispatcher with non-default working hours."""

    def __init__(self, sessions: sessionmaker[Session], clock: FakeClock) -> None:
        self.sessions, self.clock = sessions, clock
        with sessions.begin() as session:
            load_demo(session, clock)
            policy.seed(session, clock)
            for person in session.exec(select(Person)):
                person.is_onboarded = True
        router = Router()
        tracking.register(router)
        escalation.register(router)
        self.notifier = RecordingNotifier()
        self.dispatcher = Dispatcher(
            router=router, sessions=sessions, clock=clock, notifier=self.notifier, settings=SETTINGS
        )

    async def say(self, handle: str, text: str) -> Reply:
        return await self.dispatcher.handle(
            InboundMessage(platform="console", sender_key=handle, text=text, address={"handle": handle})
        )

    def person_id(self, handle: str) -> int:
        with self.sessions() as session:
            found = session.exec(select(Person).where(col(Person.handle) == handle)).one()
            assert found.id is not None
            return found.id


def full(reply: Reply) -> str:
    return "\n".join(
        [reply.text, *(f"{f.label}: {f.value}" for f in reply.fields)]
        + [f"{s.title}\n{s.text}" for s in reply.sections]
    )


@pytest.fixture
def chat(sessions: sessionmaker[Session]) -> Chat:
    return Chat(sessions, FakeClock(at(2026, 11, 24, 10)))


async def open_escalation_and_refer(chat: Chat) -> tuple[Reply, Reply]:
    """Tuesday: hv.amy escalates a case (level 1 runs two working days); Wednesday: she refers another
    to the front door, which gives feedback within one working day. Both clocks run out on Thursday 26
    November."""
    assert "immediate risk of harm" in (await chat.say("hv.amy", "escalate NB-300 about front door")).text
    card = await chat.say("hv.amy", "no")
    assert "level 1 of" in card.text, card.text
    chat.clock.set(at(2026, 11, 25, 10))
    referred = await chat.say("hv.amy", "refer front door case NB-301")
    assert "TI-" in full(referred), full(referred)
    return card, referred


async def test_escalation_level_and_tracking_both_count_the_challenged_teams_own_hours(chat: Chat) -> None:
    await open_escalation_and_refer(chat)
    with chat.sessions() as session:
        found = session.exec(select(Escalation)).one()
        item = session.exec(select(TrackedItem).where(col(TrackedItem.case_ref) == "NB-301")).one()
        assert found.level_due_at is not None and item.feedback_due_at is not None
        # The level, like the front door's feedback clock, runs to the front door's own closing time (17:15),
        # not the configured 4pm nor the 5pm fallback: the challenged team's hours decide.
        assert found.level_due_at.astimezone(LONDON) == datetime(2026, 11, 26, 17, 15, tzinfo=LONDON)
        assert item.feedback_due_at.astimezone(LONDON) == datetime(2026, 11, 26, 17, 15, tzinfo=LONDON)
        # The level-due reminder waits for the configured start of the next working day (8am), not 9am.
        level_due = session.exec(select(Reminder).where(col(Reminder.subject_kind) == "escalation")).all()
        assert {r.due_at.astimezone(LONDON) for r in level_due} == {datetime(2026, 11, 27, 8, tzinfo=LONDON)}


async def test_the_same_due_moment_reads_the_same_in_a_reply_a_digest_and_a_card(chat: Chat) -> None:
    card, referred = await open_escalation_and_refer(chat)
    words = "5:15pm on Thursday 26 November"
    assert f"Feedback due: {words}" in full(referred)
    assert f"Try to resolve it by {words}" in full(card)
    chat.clock.set(at(2026, 11, 25, 11))
    # Acknowledged, so the digest shows the feedback clock.
    assert "acknowledged" in (await chat.say("hv.amy", "ack TI-0001")).text
    await digest.send_due_digests(sessions=chat.sessions, clock=chat.clock, notifier=chat.notifier)
    kate = chat.person_id("mgr.kate")
    [sent] = [
        reply for person_id, reply in chat.notifier.sent if person_id == kate and reply.kind == "digest"
    ]
    assert f"(case NB-301) sent to Children's front door (MASH): feedback, due by {words}" in full(sent)
