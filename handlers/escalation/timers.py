"""Escalation reminders (a level's time ran out; "remind me") and the job that records timeouts."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from handlers.escalation import cards
from handlers.messages import Reply
from handlers.router import Router
from schedules.escalation import timers as escalation_timers
from schedules.escalation.records import OPEN_STATUSES, person, policy_for
from schedules.time.clock import Clock
from schedules.time.words import day_in_words
from storage.models import Escalation, Reminder


class JobRuntime(Protocol):
    """What the timeout job needs from the running joinup (bot.runtime.Runtime has it)."""

    @property
    def sessions(self) -> sessionmaker[Session]: ...

    @property
    def clock(self) -> Clock: ...


def _current(session: Session, reminder: Reminder) -> Escalation | None:
    """Return the escalation if the reminder still applies: open, and still at the reminder's level."""
    found = session.get(Escalation, reminder.subject_id) if reminder.subject_id is not None else None
    if found is None or found.status not in OPEN_STATUSES:
        return None
    if reminder.kind == escalation_timers.LEVEL_DUE and found.level != reminder.payload.get("level"):
        return None
    return found


def render_level_due(session: Session, reminder: Reminder) -> Reply | None:
    """Tell the raiser (and from level 2 their manager) that a level's time ran out; None if moot."""
    found = _current(session, reminder)
    if found is None:
        return None
    policy = policy_for(session=session, escalation=found)
    level = policy.level(found.level)
    when = f" on {day_in_words(found.level_due_at)}" if found.level_due_at else ""
    raiser = person(session, found.raised_by_person_id)
    step = (
        "If it's resolved, press Resolved and record the outcome."
        if found.level >= policy.last_level
        else f"If it's resolved, press Resolved. If not, move it to level {found.level + 1}."
    )
    if reminder.payload.get("audience") == "manager":
        text = (
            f"{raiser.display_name}'s escalation {found.ref} (case {found.case_ref}) ran out of time at "
            f"level {found.level}, {level.name},{when}. You act at this level: check in with them. {step}"
        )
    else:
        text = (
            f"Time's up for level {found.level}, {level.name}, of {found.ref} (case {found.case_ref}): "
            f"it was due{when}. {step}"
        )
    return Reply(text=text, buttons=cards.buttons_for(found, policy), kind="reminder")


def render_remind_me(session: Session, reminder: Reminder) -> Reply | None:
    """Nudge the person who pressed Remind me; None if the escalation closed meanwhile."""
    found = _current(session, reminder)
    if found is None:
        return None
    policy = policy_for(session=session, escalation=found)
    due = cards.due_words(found)
    return Reply(
        text=f"Reminder: {found.ref} (case {found.case_ref}) is at "
        f"{cards.level_title(policy, policy.level(found.level))}{', ' + due if due else ''}.",
        buttons=cards.buttons_for(found, policy),
        kind="reminder",
    )


async def record_timeouts_job(runtime: JobRuntime) -> None:
    """Record a timed-out step for every level whose time has run out (the reminders tell the people)."""
    with runtime.sessions.begin() as session:
        escalation_timers.record_timeouts(session=session, clock=runtime.clock)


def next_timeout(runtime: JobRuntime) -> datetime | None:
    """Return the next level deadline, so a fake clock stops there."""
    with runtime.sessions() as session:
        return escalation_timers.next_timeout_at(session=session, after=runtime.clock.now())


def register(router: Router) -> None:
    """Register how escalation reminders are rendered."""
    router.reminders.add(escalation_timers.LEVEL_DUE, render_level_due)
    router.reminders.add(escalation_timers.REMIND_ME, render_remind_me)
