"""Directory upkeep nudges in chat: how the owner's and the manager's reminders read, and the job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from handlers.messages import Reply
from handlers.outbox.renderers import ReminderRenderers
from schedules import upkeep
from schedules.time.calendars import WorkingHours
from schedules.time.clock import Clock
from schedules.time.words import day_in_words
from storage.models import Reminder, Team


def _due_words(payload: dict[str, object]) -> str:
    due = payload.get("review_due_at")
    if isinstance(due, str):
        return f"was due for review on {day_in_words(datetime.fromisoformat(due))}"
    return "has never been reviewed"


def _team(session: Session, reminder: Reminder) -> Team | None:
    team = session.get(Team, reminder.subject_id) if reminder.subject_id is not None else None
    if team is None:
        return None
    verified_at = reminder.payload.get("verified_at")
    if not upkeep.is_still_due(team=team, verified_at=verified_at if isinstance(verified_at, str) else None):
        return None  # reviewed since the nudge was scheduled
    return team


def render_owner_nudge(session: Session, reminder: Reminder) -> Reply | None:
    """Tell an entry's owner it is past its review date; None if it was reviewed meanwhile."""
    team = _team(session, reminder)
    if team is None:
        return None
    return Reply(
        text=f"Your directory entry for {team.name} {_due_words(reminder.payload)}. "
        "Practitioners rely on it to reach the team. Check the phone numbers, hours and response times, "
        "then type edit directory to confirm or change them.",
        kind="reminder",
    )


def render_manager_nudge(session: Session, reminder: Reminder) -> Reply | None:
    """Tell the owner's manager the entry is still not reviewed after the grace period."""
    team = _team(session, reminder)
    if team is None:
        return None
    owner = reminder.payload.get("owner", "its owner")
    grace = reminder.payload.get("grace_working_days", upkeep.DEFAULT_GRACE_WORKING_DAYS)
    return Reply(
        text=f"The directory entry for {team.name} {_due_words(reminder.payload)} and is still not reviewed "
        f"{grace} working days later. Its owner is {owner}. Please ask them to check it, or pass it to someone "
        "who can.",
        kind="reminder",
    )


def register_renderers(renderers: ReminderRenderers) -> None:
    """Add the upkeep reminder kinds to the outbox renderers."""
    renderers.add(upkeep.OWNER_KIND, render_owner_nudge)
    renderers.add(upkeep.MANAGER_KIND, render_manager_nudge)


def schedule_upkeep_nudges(
    *,
    sessions: sessionmaker[Session],
    clock: Clock,
    settings: WorkingHours,
    grace_working_days: int = upkeep.DEFAULT_GRACE_WORKING_DAYS,
) -> upkeep.UpkeepReport:
    """Schedule any review nudges now due (the sweep delivers them)."""
    with sessions.begin() as session:
        return upkeep.schedule_nudges(
            session=session, clock=clock, settings=settings, grace_working_days=grace_working_days
        )
