"""A small joinup for escalation tests: the Northbrook demo, the shipped policies, the real Dispatcher and
router, a fake clock, the outbox sweep delivering through the registered reminder renderers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from directory.demo import load_demo
from handlers import chronology, escalation
from handlers import help as help_
from handlers.dispatch import Dispatcher
from handlers.messages import InboundMessage, RecordingNotifier, Reply
from handlers.router import Router
from schedules.escalation import policy
from schedules.escalation.timers import next_timeout_at, record_timeouts
from schedules.outbox.rows import next_due_at
from schedules.outbox.sweep import sweep
from schedules.settings import DomainSettings
from schedules.time.calendar import WorkingCalendar
from schedules.time.clock import FakeClock
from storage.models import Person, Reminder, Team, TrackedItem


@dataclass
class World:
    """The pieces a scenario drives and inspects."""

    sessions: sessionmaker[Session]
    clock: FakeClock
    router: Router
    dispatcher: Dispatcher
    notifier: RecordingNotifier
    delivered: list[tuple[str, Reply]] = field(default_factory=list)

    async def say(self, handle: str, text: str) -> Reply:
        """Send a line of text as `handle`."""
        return await self.dispatcher.handle(
            InboundMessage(platform="console", sender_key=handle, text=text, address={"handle": handle})
        )

    async def press(self, handle: str, action: str, value: str) -> Reply:
        """Press a button as `handle`."""
        return await self.dispatcher.handle(
            InboundMessage(platform="console", sender_key=handle, action=action, action_value=value)
        )

    def person(self, handle: str) -> Person:
        """Return a demo person."""
        with self.sessions() as session:
            found = session.exec(select(Person).where(col(Person.handle) == handle)).one()
            return found

    def team_id(self, key: str) -> int:
        """Return a directory team's id."""
        with self.sessions() as session:
            team = session.exec(select(Team).where(col(Team.key) == key)).one()
            assert team.id is not None
            return team.id

    def item(
        self, *, case_ref: str, handle: str, team: str, outcome: str | None = None, kind: str = "referral"
    ) -> str:
        """Store a tracked item sent now by `handle` to `team` (closed with `outcome` if given)."""
        sender = self.person(handle)
        now = self.clock.now()
        calendar = WorkingCalendar()
        with self.sessions.begin() as session:
            item = TrackedItem(
                ref=f"new-{uuid.uuid4().hex[:16]}",
                kind=kind,
                case_ref=case_ref,
                from_person_id=sender.id or 0,
                from_team_id=sender.team_id,
                to_team_id=self.team_id(team),
                sent_at=now,
                ack_due_at=calendar.add_working_days(now, 1),
                feedback_due_at=calendar.add_working_days(now, 3),
                created_at=now,
            )
            if outcome is not None:
                item.acknowledged_at = item.feedback_at = item.closed_at = now
                item.outcome, item.outcome_reason, item.status = outcome, "below threshold", "closed"
            session.add(item)
            session.flush()
            item.ref = f"TI-{item.id:04d}"
            return item.ref

    async def run_due(self) -> list[tuple[str, Reply]]:
        """Run the timeout job and the outbox sweep now; return what was delivered, by handle."""
        with self.sessions.begin() as session:
            record_timeouts(session=session, clock=self.clock)
        handles = {}
        with self.sessions() as session:
            handles = {p.id: p.handle for p in session.exec(select(Person))}
        delivered: list[tuple[str, Reply]] = []

        async def deliver(reminder: Reminder) -> dict[str, Any] | None:
            with self.sessions() as session:
                reply = self.router.reminders.render(session, reminder)
            if reply is None:
                return None
            delivered.append((handles[reminder.recipient_person_id], reply))
            return await self.notifier.notify(person_id=reminder.recipient_person_id, reply=reply)

        await sweep(sessions=self.sessions, clock=self.clock, deliver=deliver)
        self.delivered += delivered
        return delivered

    async def advance_to(self, at: datetime) -> list[tuple[str, Reply]]:
        """Move the clock to `at`, stopping wherever a reminder or a level deadline falls due on the way, and
        running the due work at each stop; return what was delivered."""
        delivered: list[tuple[str, Reply]] = []
        while self.clock.now() < at:
            now = self.clock.now()
            with self.sessions() as session:
                stops = [next_due_at(session=session), next_timeout_at(session=session, after=now)]
            self.clock.set(min([at, *(s for s in stops if s is not None and s > now)]))
            delivered += await self.run_due()
        return delivered

    def pending(self) -> list[Reminder]:
        """Return the pending reminders, earliest first."""
        with self.sessions() as session:
            return list(
                session.exec(
                    select(Reminder).where(col(Reminder.status) == "pending").order_by(col(Reminder.due_at))
                )
            )


def build_world(sessions: sessionmaker[Session], clock: FakeClock) -> World:
    """Load the demo and the shipped policies and wire a Dispatcher with the escalation handlers."""
    with sessions.begin() as session:
        load_demo(session, clock)
        policy.seed(session, clock)
        for person in session.exec(select(Person)):
            person.is_onboarded = True
    router = Router()
    for module in (help_, escalation, chronology):
        module.register(router)
    notifier = RecordingNotifier()
    dispatcher = Dispatcher(
        router=router, sessions=sessions, clock=clock, notifier=notifier, settings=DomainSettings()
    )
    return World(sessions=sessions, clock=clock, router=router, dispatcher=dispatcher, notifier=notifier)
