"""Callbacks: someone is waiting for a call back from a team (or one joinup user) about a case, by a time.

A callback is a tracked item of kind "callback" with one clock, the acknowledgement clock, which runs out
at the time the call back is expected: from what the person typed ("by 3pm", its next occurrence within
the receiving team's hours), else from the route's own promise ("the duty social worker calls back the same
day"). Called back closes it; a missed callback chases both sides once, then offers the waiting person the
next step (callbacks_chasing.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from schedules.insight.durations import record_durations
from schedules.settings import ReminderSettings
from schedules.time import calendars
from schedules.time.calendar import WorkingCalendar
from schedules.time.clock import Clock
from schedules.time.words import moment_in_words
from schedules.tracking import callback_chasing
from schedules.tracking.items import check_case_ref, choose_route, clock_due, load_for_change, require_open
from storage import audit
from storage.errors import InvalidInput, NotFound
from storage.models import ContactRoute, Person, Team, TrackedItem

KIND = "callback"
CALLED_BACK = "called_back"  # the outcome when the call back came
_SEARCH_DAYS = 14  # how far ahead a bare clock time is looked for within the team's hours


@dataclass(frozen=True, slots=True)
class Due:
    """When a call back is expected, and how joinup read it (said back to the person)."""

    at: datetime
    note: str = ""  # "3pm is past, so 3pm on Monday 30 November, the team's next working day"


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def _at(calendar: WorkingCalendar, day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=calendar.tz).astimezone(UTC)


def within_hours(calendar: WorkingCalendar, day: date, at: time) -> bool:
    """Tell whether `at` on `day` falls within the team's hours (its closing time counts)."""
    start, end = calendar.hours_on(day)
    return calendar.is_working_day(day) and start <= _minutes(at) <= end


def next_occurrence(calendar: WorkingCalendar, now: datetime, at: time) -> Due:
    """Return the next time `at` comes round within the team's hours: today if still to come, else the
    team's next working day that is open then, saying so.

    Raises:
        InvalidInput: the team is never open at that time.
    """
    today = calendar.local(now).date()
    for ahead in range(_SEARCH_DAYS + 1):
        day = today + timedelta(days=ahead)
        moment = _at(calendar, day, at)
        if moment > now and within_hours(calendar, day, at):
            if ahead == 0:
                return Due(moment)
            reason = "has passed" if _at(calendar, today, at) <= now else "is outside their hours"
            return Due(
                moment,
                f"{moment_in_words(moment)}: {at.strftime('%-I:%M%p').lower().replace(':00', '')} today "
                f"{reason}, so that is their next working day open then.",
            )
    raise InvalidInput(
        "by", "They are not open at that time on any working day. Say a time within their hours."
    )


def callback_due(
    *,
    calendar: WorkingCalendar,
    now: datetime,
    at: time | None,
    day: date | None,
    route: ContactRoute | None,
    settings: ReminderSettings,
) -> Due:
    """Return when the call back is due: the day and time given (a bare time: its next occurrence within
    the team's hours; a bare day: its close), else the route's own promise.

    Raises:
        InvalidInput: a day or time that has already passed, or a time the team is never open.
    """
    if day is None and at is None:
        return promised(calendar=calendar, now=now, route=route, settings=settings)
    if day is None:
        assert at is not None
        return next_occurrence(calendar, now, at)
    if day < calendar.local(now).date():
        raise InvalidInput("by", "That date has passed. Say when you expect the call back, like 3pm.")
    moment = _at(calendar, day, at) if at is not None else calendar.end_of_day(day)
    if moment <= now:
        raise InvalidInput(
            "by", "That time has passed. Say when you expect the call back, like 3pm tomorrow."
        )
    return Due(moment)


def promised(
    *, calendar: WorkingCalendar, now: datetime, route: ContactRoute | None, settings: ReminderSettings
) -> Due:
    """When the route promises a call back (its acknowledgement time), else the end of the next working day."""
    if route is not None and route.ack_expected is not None:
        return Due(clock_due(calendar, now, route.ack_expected, route.ack_unit))
    return Due(clock_due(calendar, now, settings.ack_working_days, "working_days"))


def find_person(*, session: Session, named: str) -> Person:
    """Return the joinup user named by @handle or a Slack mention (<@U123>).

    Raises:
        NotFound: nobody on joinup by that handle.
    """
    key = named.strip().strip("<>").lstrip("@")
    person = session.exec(
        select(Person).where((col(Person.handle) == key) | (col(Person.slack_user_id) == key))
    ).first()
    if person is None:
        raise NotFound("person", named, hint="Name someone on joinup by their @handle, or name their team.")
    return person


def phone_route(*, session: Session, team: Team) -> ContactRoute | None:
    """The team's route to ring (a call back is a phone call), else its preferred route."""
    return choose_route(session=session, team=team, method="phone")


def expect_callback(
    *,
    session: Session,
    clock: Clock,
    settings: ReminderSettings,
    person: Person,
    team: Team,
    case_ref: str,
    due_at: datetime,
    to_person: Person | None = None,
    item: TrackedItem | None = None,
) -> TrackedItem:
    """Record that `person` is waiting for a call back from `team` (or `to_person`) about a case by `due_at`.

    Raises:
        InvalidInput: the case reference can't be used, or the time has passed.
    """
    assert person.id is not None and team.id is not None
    case_ref = check_case_ref(case_ref)
    now = clock.now()
    if due_at <= now:
        raise InvalidInput("by", "That time has passed. Say when you expect the call back, like 3pm.")
    route = phone_route(session=session, team=team)
    callback = TrackedItem(
        ref=f"new-{uuid.uuid4().hex[:16]}",
        kind=KIND,
        case_ref=case_ref,
        from_person_id=person.id,
        from_team_id=person.team_id,
        to_team_id=team.id,
        to_person_id=to_person.id if to_person is not None else None,
        route_id=route.id if route else None,
        method="phone",
        nation=team.nation,
        sent_at=now,
        ack_due_at=due_at,
        feedback_due_at=None,
        created_at=now,
    )
    session.add(callback)
    session.flush()
    assert callback.id is not None
    callback.ref = f"TI-{callback.id:04d}"
    session.flush()
    audit.record(
        session=session,
        at=now,
        actor=person.handle,
        action="item.callback_expected",
        subject=f"item:{callback.ref}",
        data={
            "case_ref": case_ref,
            "team": team.key,
            "to_person": to_person.handle if to_person else None,
            "due_at": due_at,
            "after_item": item.ref if item else None,
        },
    )
    callback_chasing.plan(session=session, clock=clock, settings=settings, item=callback, team=team)
    return callback


def called_back(
    *, session: Session, clock: Clock, settings: ReminderSettings, ref: str, person: Person
) -> TrackedItem:
    """Record that the call back came: the callback closes and its chases stop.

    Raises:
        NotFound, NotAllowed, WrongState: no such callback, not theirs, or already closed.
    """
    item, team = load_for_change(session=session, ref=ref, person=person, wanted="record a call back on")
    _require_callback(item)
    require_open(item, "record a call back")
    now = clock.now()
    item.acknowledged_at = item.feedback_at = now
    item.outcome = CALLED_BACK
    record_durations(item=item, calendar=calendars.calendar_for_team(team=team, settings=settings))
    item.status, item.closed_at = "closed", now
    assert item.id is not None
    cancelled = callback_chasing.cancel(session=session, item_id=item.id)
    audit.record(
        session=session,
        at=now,
        actor=person.handle,
        action="item.called_back",
        subject=f"item:{item.ref}",
        data={
            "case_ref": item.case_ref,
            "late": now > (item.ack_due_at or now),
            "reminders_cancelled": cancelled,
        },
    )
    callback_chasing.tell_other_side(session=session, clock=clock, item=item, team=team, actor=person)
    return item


def move_callback(
    *,
    session: Session,
    clock: Clock,
    settings: ReminderSettings,
    ref: str,
    person: Person,
    due_at: datetime,
) -> TrackedItem:
    """The receiving side can't call back by then: the callback is now due at `due_at`, chased from then.

    Raises:
        InvalidInput: the new time has passed.
        NotFound, NotAllowed, WrongState: no such callback, not theirs, or already closed.
    """
    item, team = load_for_change(session=session, ref=ref, person=person, wanted="move the call back on")
    _require_callback(item)
    require_open(item, "move the call back")
    now = clock.now()
    if due_at <= now:
        raise InvalidInput("by", "That time has passed. Say when you can call back, like 10am tomorrow.")
    before = item.ack_due_at
    item.ack_due_at = due_at
    assert item.id is not None
    callback_chasing.cancel(session=session, item_id=item.id)
    audit.record(
        session=session,
        at=now,
        actor=person.handle,
        action="item.callback_moved",
        subject=f"item:{item.ref}",
        data={"case_ref": item.case_ref, "from": before, "to": due_at},
    )
    callback_chasing.plan(session=session, clock=clock, settings=settings, item=item, team=team)
    callback_chasing.tell_other_side(session=session, clock=clock, item=item, team=team, actor=person)
    return item


def _require_callback(item: TrackedItem) -> None:
    if item.kind != KIND:
        raise InvalidInput("item", f"{item.ref} is a {item.kind.replace('_', ' ')}, not a call back.")
