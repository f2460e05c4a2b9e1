"""Pausing, resuming, snoozing and closing tracked items, and listing the open ones."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, or_, select

from schedules.insight.durations import bank_pause
from schedules.settings import ReminderSettings
from schedules.time import calendars
from schedules.time.clock import Clock
from schedules.tracking import callback_chasing, chasing, requests
from schedules.tracking.items import check_free_text, load_for_change, require_open
from storage import audit
from storage.errors import InvalidInput, WrongState
from storage.models import Person, RoleGrant, Team, TrackedItem

MAX_SNOOZE_WORKING_DAYS = 20


def pause(
    *, session: Session, clock: Clock, settings: ReminderSettings, ref: str, person: Person, reason: str = ""
) -> TrackedItem:
    """Stop both clocks (e.g. waiting for the family), keeping the working time each had left.

    Raises:
        NotFound, NotAllowed, WrongState: no such item, not yours, or not open.
        PersonalDataRefused: the reason holds personal data.
    """
    item, team = load_for_change(session=session, ref=ref, person=person, wanted="pause")
    if item.status != "open":
        raise WrongState("item", item.ref, item.status, "pause it")
    reason = check_free_text(reason, session=session, field="reason", limit=200)
    now = clock.now()
    calendar = calendars.calendar_for_team(team=team, settings=settings)

    def left(due_at: datetime | None) -> int | None:
        return None if due_at is None else calendar.working_minutes_between(now, due_at)

    if item.acknowledged_at is None:
        item.ack_remaining_minutes = left(item.ack_due_at)
    if item.feedback_at is None:
        item.feedback_remaining_minutes = left(item.feedback_due_at)
    item.status, item.paused_at, item.pause_reason = "paused", now, reason
    assert item.id is not None
    cancelled = chasing.cancel(session=session, item_id=item.id)
    audit.record(
        session=session,
        at=now,
        actor=person.handle,
        action="item.paused",
        subject=f"item:{item.ref}",
        data={
            "ack_remaining_minutes": item.ack_remaining_minutes,
            "feedback_remaining_minutes": item.feedback_remaining_minutes,
            "reminders_cancelled": cancelled,
        },
    )
    return item


def resume(
    *, session: Session, clock: Clock, settings: ReminderSettings, ref: str, person: Person
) -> TrackedItem:
    """Restart a paused item's clocks with the working time they had left, and reschedule the chases.

    Raises:
        NotFound, NotAllowed, WrongState: no such item, not yours, or not paused.
    """
    item, team = load_for_change(session=session, ref=ref, person=person, wanted="resume")
    if item.status != "paused":
        raise WrongState("item", item.ref, item.status, "resume it")
    now = clock.now()
    calendar = calendars.calendar_for_team(team=team, settings=settings)
    if item.acknowledged_at is None and item.ack_remaining_minutes is not None:
        item.ack_due_at = calendar.add_working_minutes(now, item.ack_remaining_minutes)
    if item.feedback_at is None and item.feedback_remaining_minutes is not None:
        item.feedback_due_at = calendar.add_working_minutes(now, item.feedback_remaining_minutes)
    bank_pause(item=item, calendar=calendar, now=now)
    item.status, item.paused_at, item.pause_reason = "open", None, ""
    item.ack_remaining_minutes = item.feedback_remaining_minutes = None
    session.flush()
    # A callback has its own chases (one each side, then the next step); other kinds the two clocks'.
    planner = {"callback": callback_chasing.plan, requests.KIND: requests.plan}.get(item.kind, chasing.plan)
    scheduled = planner(session=session, clock=clock, settings=settings, item=item, team=team)
    audit.record(
        session=session,
        at=now,
        actor=person.handle,
        action="item.resumed",
        subject=f"item:{item.ref}",
        data={
            "ack_due_at": item.ack_due_at,
            "feedback_due_at": item.feedback_due_at,
            "reminders": len(scheduled),
        },
    )
    return item


def snooze(
    *, session: Session, clock: Clock, settings: ReminderSettings, ref: str, person: Person, until: datetime
) -> datetime:
    """Move the person's own reminders about an item to `until` or later; return when the next one comes.

    Raises:
        InvalidInput: `until` is not in the future, too far away, or there is nothing to snooze.
        NotFound, NotAllowed, WrongState: no such item, not yours, or closed.
    """
    item, team = load_for_change(session=session, ref=ref, person=person, wanted="snooze")
    require_open(item, "snooze it")
    now = clock.now()
    calendar = calendars.calendar_for_team(team=team, settings=settings)
    latest = calendar.add_working_days(now, MAX_SNOOZE_WORKING_DAYS)
    if until <= now or until > latest:
        raise InvalidInput(
            "until",
            f"You can snooze for 1 to {MAX_SNOOZE_WORKING_DAYS} working days.",
            example=f"snooze {item.ref} 1wd",
        )
    moved = chasing.snooze(
        session=session, settings=settings, item=item, team=team, person=person, until=until
    )
    if not moved:
        raise InvalidInput("until", f"There are no reminders to you about {item.ref} to snooze.")
    next_at = min(r.due_at for r in moved)
    audit.record(
        session=session,
        at=now,
        actor=person.handle,
        action="item.snoozed",
        subject=f"item:{item.ref}",
        data={"until": until, "reminders": len(moved)},
    )
    return next_at


def close(*, session: Session, clock: Clock, ref: str, person: Person, reason: str = "") -> TrackedItem:
    """Close an item without an outcome (e.g. logged by mistake); cancel its reminders.

    Raises:
        NotFound, NotAllowed, WrongState: no such item, not yours, or already closed.
        PersonalDataRefused: the reason holds personal data.
    """
    item, _ = load_for_change(session=session, ref=ref, person=person, wanted="close")
    require_open(item, "close it")
    reason = check_free_text(reason, session=session, field="reason", limit=500)
    now = clock.now()
    item.status, item.closed_at, item.paused_at = "closed", now, None
    if reason and not item.outcome_reason:
        item.outcome_reason = reason
    assert item.id is not None
    cancelled = chasing.cancel(session=session, item_id=item.id)
    audit.record(
        session=session,
        at=now,
        actor=person.handle,
        action="item.closed",
        subject=f"item:{item.ref}",
        data={"case_ref": item.case_ref, "has_reason": bool(reason), "reminders_cancelled": cancelled},
    )
    return item


def sent_by(*, session: Session, person: Person) -> list[TrackedItem]:
    """Return the open and paused items `person` sent."""
    return list(
        session.exec(
            select(TrackedItem)
            .where(col(TrackedItem.from_person_id) == person.id, col(TrackedItem.status) != "closed")
            .order_by(col(TrackedItem.id))
        )
    )


def _managed_team_ids(session: Session, person: Person) -> set[int]:
    found = session.exec(
        select(RoleGrant.team_id).where(
            col(RoleGrant.person_id) == person.id, col(RoleGrant.role) == "manager"
        )
    )
    return {team_id for team_id in found if team_id is not None}


def sent_by_my_reports(*, session: Session, person: Person) -> list[TrackedItem]:
    """Return the open items that people `person` manages sent (their reports, or members of a team they
    manage), not their own: what the manager's digest calls "waiting on other agencies"."""
    reports = [r for r in session.exec(select(Person.id).where(col(Person.manager_id) == person.id)) if r]
    teams = _managed_team_ids(session, person)
    if not reports and not teams:
        return []
    return list(
        session.exec(
            select(TrackedItem)
            .where(
                or_(
                    col(TrackedItem.from_person_id).in_(reports),
                    col(TrackedItem.from_team_id).in_(sorted(teams)),
                ),
                col(TrackedItem.status) != "closed",
                col(TrackedItem.from_person_id) != person.id,
            )
            .order_by(col(TrackedItem.id))
        )
    )


def waiting_on_my_team(*, session: Session, person: Person) -> list[TrackedItem]:
    """Return open items sent to `person`'s own team, or a team they manage or are the contact person for.

    Their own referrals are left out (they are in `sent_by`). Everyone in the receiving team may acknowledge
    and give feedback, so each of them sees what the team owes.
    """
    teams: set[int | None] = {person.team_id, *_managed_team_ids(session, person)}
    teams |= set(session.exec(select(Team.id).where(col(Team.contact_person_handle) == person.handle)))
    team_ids = [t for t in teams if t is not None]
    if not team_ids:
        return []
    return list(
        session.exec(
            select(TrackedItem)
            .where(
                col(TrackedItem.to_team_id).in_(team_ids),
                col(TrackedItem.status) != "closed",
                col(TrackedItem.from_person_id) != person.id,
            )
            .order_by(col(TrackedItem.id))
        )
    )
