"""Tracking end to end through the Dispatcher, with the Northbrook demo directory and a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from directory.demo import load_demo
from handlers import tracking
from handlers.dispatch import Dispatcher
from handlers.messages import Button, DeliveryFailed, InboundMessage, RecordingNotifier, Reply
from handlers.router import Router
from handlers.tracking import chasing as tracking_reminders
from schedules.outbox import rows as outbox
from schedules.settings import DomainSettings
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, Person, Reminder, TrackedItem


class Chat:
    """People talking to joinup through the Dispatcher, with the outbox swept as time passes."""

    def __init__(self, sessions: sessionmaker[Session], clock: FakeClock) -> None:
        self.sessions, self.clock = sessions, clock
        with sessions.begin() as session:
            load_demo(session, clock)
        self.router = Router()
        tracking.register(self.router)
        self.notifier = RecordingNotifier()
        self.settings = DomainSettings()
        self.dispatcher = Dispatcher(
            router=self.router, sessions=sessions, clock=clock, notifier=self.notifier, settings=self.settings
        )

    async def say(self, handle: str, text: str) -> Reply:
        return await self.dispatcher.handle(InboundMessage(platform="console", sender_key=handle, text=text))

    async def press(self, handle: str, button: Button) -> Reply:
        return await self.dispatcher.handle(
            InboundMessage(
                platform="console", sender_key=handle, action=button.action, action_value=button.value
            )
        )

    def person_id(self, handle: str) -> int:
        with self.sessions() as session:
            person = session.exec(select(Person).where(col(Person.handle) == handle)).one()
            assert person.id is not None
            return person.id

    async def sweep(self) -> None:
        await tracking_reminders.run_sweep(
            router=self.router,
            sessions=self.sessions,
            clock=self.clock,
            notifier=self.notifier,
            settings=self.settings.reminders,
        )

    async def advance_to(self, target: datetime) -> None:
        """Move time forward, stopping wherever a reminder falls due, like the console's /advance."""
        while True:
            with self.sessions() as session:
                due = outbox.next_due_at(session=session)
            if due is None or due > target:
                break
            if due > self.clock.now():
                self.clock.set(due)
            await self.sweep()
        self.clock.set(target)
        await self.sweep()

    def inbox(self, handle: str) -> list[Reply]:
        """Take the messages sent to `handle` so far."""
        person_id = self.person_id(handle)
        mine = [reply for pid, reply in self.notifier.sent if pid == person_id]
        self.notifier.sent = [(pid, reply) for pid, reply in self.notifier.sent if pid != person_id]
        return mine

    def pending(self, ref: str) -> list[Reminder]:
        with self.sessions() as session:
            item = session.exec(select(TrackedItem).where(col(TrackedItem.ref) == ref)).one()
            assert item.id is not None
            return outbox.pending_for(session=session, subject_kind="item", subject_id=item.id)


@pytest.fixture
def chat(sessions: sessionmaker[Session], clock: FakeClock) -> Chat:
    return Chat(sessions, clock)


def button(reply: Reply, action: str) -> Button:
    found = [
        b for b in (*reply.buttons, *(b for s in reply.sections for b in s.buttons)) if b.action == action
    ]
    assert found, f"no {action} button in {reply}"
    return found[0]


def fields(reply: Reply) -> dict[str, str]:
    return {f.label: f.value for f in reply.fields}


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)  # November and December: London is on GMT


async def test_refer_chase_ack_chase_feedback(chat: Chat) -> None:
    reply = await chat.say("hv.amy", "refer front door case NB-204518 by email")
    assert reply.text.startswith("Logged TI-0001: your referral about NB-204518 to Children's front door")
    # The secure mailbox promises an acknowledgement within 1 working day and a response within 3, each by
    # the front door's own closing time (17:15 Monday to Thursday), not the configured 5pm.
    assert fields(reply) == {
        "Acknowledgement due": "5:15pm on Thursday 26 November",
        "Feedback due": "5:15pm on Monday 30 November",
    }

    await chat.advance_to(utc(11, 27, 8, 59))  # nothing is sent before the next working morning
    assert chat.inbox("hv.amy") == [] and chat.inbox("mgr.tom") == []

    await chat.advance_to(utc(11, 27, 9, 0))
    (chase,) = chat.inbox("hv.amy")
    assert chase.kind == "reminder" and "No acknowledgement yet from Children's front door" in chase.text
    assert fields(chase)["MASH secure mailbox"] == "mash@northbrook.example.org"
    assert "REFERRAL" in fields(chase)["Leaving a message"]
    assert fields(chase)["Open now"] == "yes, until 5pm"  # Friday hours end at 17:00
    assert [b.action for b in chase.buttons] == ["tried", "ack", "snooze", "escalate"]
    (to_team,) = chat.inbox("mgr.tom")  # the front door's contact person
    assert "Please acknowledge TI-0001" in to_team.text and "Amy Hughes" in to_team.text

    acked = await chat.press("mgr.tom", button(to_team, "ack"))
    assert "TI-0001 (NB-204518) is marked as acknowledged" in acked.text
    assert not [r for r in chat.pending("TI-0001") if r.kind in ("ack_chase", "receiver_ack_chase")]
    # The chases already delivered lose their buttons.
    assert sorted(pid for pid, _ref, _reply in chat.notifier.updated) == sorted(
        [chat.person_id("hv.amy"), chat.person_id("mgr.tom")]
    )
    assert all(not reply.buttons and "acknowledged" in reply.text for *_, reply in chat.notifier.updated)
    await chat.sweep()
    (update,) = chat.inbox("hv.amy")
    assert "was acknowledged by Tom Rahman" in update.text

    await chat.advance_to(utc(12, 1, 9, 0))  # feedback was due at 5pm on Monday 30 November
    (feedback_chase,) = chat.inbox("hv.amy")
    assert "No feedback yet" in feedback_chase.text
    assert any("Please give feedback on TI-0001" in r.text for r in chat.inbox("mgr.tom"))

    done = await chat.say("mgr.tom", "feedback TI-1 early help family agreed to support")
    assert "Recorded the outcome of TI-0001 (NB-204518): early help" in done.text
    assert [r.kind for r in chat.pending("TI-0001")] == ["item_update"]  # every chase is cancelled
    await chat.sweep()
    (outcome,) = chat.inbox("hv.amy")
    assert "Outcome of TI-0001" in outcome.text and "early help" in outcome.text
    assert chat.pending("TI-0001") == []
    with chat.sessions() as session:
        actions = session.exec(
            select(AuditEvent.action)
            .where(col(AuditEvent.subject) == "item:TI-0001")
            .order_by(col(AuditEvent.id))
        ).all()
    assert list(actions) == ["item.referred", "item.acknowledged", "item.feedback"]


async def test_four_working_hours_from_christmas_eve_count_the_front_doors_own_hours(
    sessions: sessionmaker[Session],
) -> None:
    chat = Chat(sessions, FakeClock(utc(12, 24, 15)))
    reply = await chat.say("hv.amy", "refer front door case NB-204518 by phone")
    # 2h15 to the front door's 17:15 close on Christmas Eve; 25-28 December are off; 1h45 from 09:00 Tuesday.
    assert fields(reply)["Acknowledgement due"] == "10:45am on Tuesday 29 December"


async def test_the_log_a_referral_button_asks_for_the_case_reference(chat: Chat) -> None:
    asked = await chat.press("hv.amy", Button("Log a referral", "refer", "front-door"))
    assert "What is your case reference" in asked.text
    not_a_ref = await chat.say("hv.amy", "the baby")
    assert "Case references look like NB-204518" in not_a_ref.text
    logged = await chat.say("hv.amy", "NB-77")
    assert logged.text.startswith("Logged TI-0001: your referral about NB-77")


async def test_another_command_mid_question_leaves_the_refer_flow(chat: Chat) -> None:
    await chat.press("hv.amy", Button("Log a referral", "refer", "front-door"))
    mine = await chat.say("hv.amy", "mine")
    assert mine.text.startswith("Left the referral questions; type continue to go back to them.")
    assert "You have no open items" in mine.text
    await chat.say("hv.amy", "NB-77")  # no longer an answer to the flow's question
    with chat.sessions() as session:
        assert session.exec(select(TrackedItem)).all() == []
    back = await chat.say("hv.amy", "continue")
    assert back.text.startswith("Back to the referral questions.")
    assert "What is your case reference for the referral to Children's front door" in back.text
    logged = await chat.say("hv.amy", "NB-77")
    assert logged.text.startswith("Logged TI-0001: your referral about NB-77")


async def test_an_unclear_team_gets_did_you_mean_buttons_and_keeps_the_case(chat: Chat) -> None:
    asked = await chat.say("hv.amy", "refer cmht case NB-5")
    choices = [b for b in asked.buttons if b.action == "refer.team"]
    assert "Which team did you mean" in asked.text and len(choices) >= 2
    logged = await chat.press("hv.amy", choices[0])
    assert logged.text.startswith("Logged TI-0001: your referral about NB-5")


async def test_personal_data_is_refused_and_nothing_is_stored(chat: Chat) -> None:
    reply = await chat.say("hv.amy", "refer front door case NB-1 about family at M1 1AE")
    assert "looks like a postcode" in reply.text
    with chat.sessions() as session:
        assert session.exec(select(TrackedItem)).all() == []


async def test_the_third_contact_prompts_escalation(chat: Chat) -> None:
    await chat.say("hv.amy", "refer front door case NB-9 by phone")
    first = await chat.say("hv.amy", "tried TI-1 no answer")
    assert "That's 2 contacts" in first.text and not [b for b in first.buttons if b.action == "escalate"]
    how = await chat.say("hv.amy", "tried TI-1")
    assert how.text == "How did it go with TI-0001 (Children's front door (MASH), case NB-9)?"
    third = await chat.press("hv.amy", next(b for b in how.buttons if "left message" in b.value))
    assert "You've contacted them 3 times" in third.text
    assert "Duty senior practitioner" in third.text
    assert button(third, "escalate").value == "TI-0001"


async def test_tried_by_team_and_case_without_an_item(chat: Chat) -> None:
    reply = await chat.say("hv.amy", "tried front door case NB-12 no answer")
    assert reply.text.startswith("Recorded: no answer, Children's front door (MASH) about NB-12.")


async def test_mine_lists_overdue_first_and_the_other_side_sees_theirs(chat: Chat) -> None:
    await chat.say("hv.amy", "refer front door case NB-1 by email")
    chat.clock.advance(timedelta(hours=1))
    await chat.say("hv.amy", "refer front door case NB-2 by phone")  # acknowledgement within 4 working hours
    chat.clock.set(utc(11, 25, 16, 0))

    mine = await chat.say("hv.amy", "mine")
    assert [s.title.split(" · ")[0] for s in mine.sections] == ["TI-0002", "TI-0001"]
    assert mine.sections[0].text.startswith("Acknowledgement overdue since 3pm today")
    assert mine.sections[1].text.startswith("Acknowledgement due tomorrow")
    theirs = await chat.say("mgr.tom", "mine")
    assert "your team has 2 to answer" in theirs.text and button(theirs, "ack").value in (
        "TI-0002",
        "TI-0001",
    )
    assert (await chat.say("gp.omar", "mine")).text.startswith("You have no open items")


async def test_snooze_pause_and_resume(chat: Chat) -> None:
    await chat.say("hv.amy", "refer front door case NB-1 by email")
    snoozed = await chat.say("hv.amy", "snooze TI-1 3wd")
    assert "again at 9am on Monday 30 November" in snoozed.text

    paused = await chat.say("hv.amy", "pause TI-1 waiting for the family")
    assert "Paused TI-0001" in paused.text and chat.pending("TI-0001") == []
    chat.clock.set(utc(11, 30, 10, 0))
    resumed = await chat.press("hv.amy", button(paused, "resume"))
    # Paused at 10am Wednesday with 15.5 of the front door's working hours left (it closes at 17:15): 7.25 on
    # Monday from 10am and 8.25 on Tuesday from 9am, so due at its Tuesday close.
    assert "The acknowledgement is now due by 5:15pm on Tuesday 1 December" in resumed.text
    assert chat.pending("TI-0001")


async def test_only_the_people_involved_can_change_an_item(chat: Chat) -> None:
    await chat.say("hv.amy", "refer front door case NB-1")
    refused = await chat.say("amh.lee", "ack TI-1")
    assert refused.text.startswith("You can't change TI-0001.")
    with chat.sessions() as session:
        assert session.exec(select(TrackedItem)).one().acknowledged_at is None


async def test_no_further_action_needs_a_reason_and_offers_escalation(chat: Chat) -> None:
    await chat.say("hv.amy", "refer front door case NB-1")
    asked = await chat.say("mgr.tom", "feedback TI-1")
    assert "What was the outcome" in asked.text and len(asked.buttons) == 6
    no_reason = await chat.press(
        "mgr.tom", next(b for b in asked.buttons if b.value.endswith("no_further_action"))
    )
    assert (
        "Why was there no further action on TI-0001 (Children's front door (MASH), case NB-" in no_reason.text
    )
    recorded = await chat.say("mgr.tom", "below threshold, offered early help")
    assert recorded.text.startswith("Recorded the outcome of TI-0001")
    await chat.sweep()
    (outcome,) = chat.inbox("hv.amy")
    assert "no further action" in outcome.text and "below threshold" in outcome.text
    assert button(outcome, "escalate").value == "TI-0001"


async def test_a_reminder_whose_item_closed_meanwhile_is_cancelled(chat: Chat) -> None:
    await chat.say("hv.amy", "refer front door case NB-1 by email")
    with chat.sessions.begin() as session:  # closed behind the outbox's back: the renderer notices
        item = session.exec(select(TrackedItem)).one()
        item.status = "closed"
    await chat.advance_to(utc(11, 27, 9, 0))
    assert chat.notifier.sent == []
    with chat.sessions() as session:
        assert {r.status for r in session.exec(select(Reminder))} == {"cancelled", "pending"}


class FailingNotifier(RecordingNotifier):
    async def notify(self, *, person_id: int, reply: Reply) -> dict[str, Any]:
        raise DeliveryFailed("rate limited", retry_after_seconds=30)


async def test_a_platform_refusal_is_retried_after_retry_after(chat: Chat) -> None:
    await chat.say("hv.amy", "refer front door case NB-1 by email")
    chat.notifier = FailingNotifier()
    chat.clock.set(utc(11, 27, 9, 0))
    await chat.sweep()
    with chat.sessions() as session:
        retried = session.exec(select(Reminder).where(col(Reminder.attempts) == 1)).all()
    assert retried and {(r.status, r.due_at, r.last_error) for r in retried} == {
        ("pending", utc(11, 27, 9, 0) + timedelta(seconds=30), "rate limited")
    }


@pytest.mark.parametrize(
    ("sent_at", "method", "first_chase_at"),
    [
        # Thursday 24 December 15:00: 25 and 28 December are bank holidays, so the acknowledgement (1 working
        # day) is due at the end of Tuesday 29 December and the first chase goes at 9am on Wednesday 30.
        (datetime(2026, 12, 24, 15, 0, tzinfo=UTC), "email", datetime(2026, 12, 30, 9, 0, tzinfo=UTC)),
        # Friday 23 October 15:00 BST (14:00 UTC): 4 working hours run to 11am GMT on Monday 26 October,
        # after the clocks go back.
        (datetime(2026, 10, 23, 14, 0, tzinfo=UTC), "phone", datetime(2026, 10, 26, 11, 0, tzinfo=UTC)),
    ],
    ids=["christmas", "october-clock-change"],
)
async def test_the_first_chase_waits_for_working_time(
    sessions: sessionmaker[Session], sent_at: datetime, method: str, first_chase_at: datetime
) -> None:
    chat = Chat(sessions, FakeClock(sent_at))
    await chat.say("hv.amy", f"refer front door case NB-1 by {method}")

    await chat.advance_to(first_chase_at - timedelta(minutes=1))
    assert chat.inbox("hv.amy") == []
    await chat.advance_to(first_chase_at)
    (chase,) = chat.inbox("hv.amy")
    assert "No acknowledgement yet" in chase.text
