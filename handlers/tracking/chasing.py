"""What tracking reminders say, and how the outbox sweep delivers any reminder through the Notifier.

Each reminder is rendered when it is sent, from the item as it is then: a reminder whose item was
acknowledged, answered, paused or closed meanwhile renders as None and the sweep cancels it. The same
neutral Reply goes to Slack, Teams and the console, with the same buttons (ack, tried, snooze, escalate).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from directory.hours import closes_at, describe_hours, is_open, next_open
from handlers.escalation import cards as escalation_cards
from handlers.messages import Button, DeliveryFailed, Field, Notifier, Reply
from handlers.router import Router
from handlers.tracking.words import OUTCOME_WORDS
from schedules.escalation import records as escalation_records
from schedules.escalation.records import escalation_contacts
from schedules.outbox.sweep import Deliver, SendFailed, SweepReport, sweep
from schedules.settings import ReminderSettings
from schedules.time.calendars import counts_plain_hours, day_calendar
from schedules.time.clock import Clock
from schedules.time.words import moment_in_words, time_in_words
from schedules.tracking import chasing
from schedules.tracking.items import choose_route
from storage.models import ContactRoute, Escalation, Person, Reminder, Team, TrackedItem

_REFERRER_KINDS = (chasing.ACK_CHASE, chasing.FEEDBACK_CHASE)
_ACK_KINDS = (chasing.ACK_CHASE, chasing.RECEIVER_ACK_CHASE)


def _unit(amount: int, unit: str, *, plain: bool) -> str:
    word = "hour" if unit == "working_hours" else "day"
    # A team that never closes counts plain hours and days, so its promise is not in "working" ones.
    word = word if plain else f"working {word}"
    return f"{amount} {word}{'' if amount == 1 else 's'}"


def expectation(route: ContactRoute, team: Team | None = None) -> str:
    """Say what response a route promises, e.g. "acknowledged within 4 working hours, a response within 1 working day".

    A team whose clocks run in plain hours (an emergency duty team) promises "within 4 hours".
    """
    plain = team is not None and counts_plain_hours(team)
    parts = []
    if route.ack_expected is not None:
        parts.append(f"acknowledged within {_unit(route.ack_expected, route.ack_unit, plain=plain)}")
    if route.response_expected is not None:
        parts.append(f"a response within {_unit(route.response_expected, route.response_unit, plain=plain)}")
    return ", ".join(parts)


def how_to_chase(session: Session, item: TrackedItem, team: Team, *, at: datetime) -> tuple[Field, ...]:
    """The route to use, how to leave a message, what to expect, the team's hours and when it is next open."""
    route = session.get(ContactRoute, item.route_id) if item.route_id else None
    route = route or choose_route(session=session, team=team, method=item.method)
    calendar = day_calendar(nation=team.nation)
    fields: list[Field] = []
    if route is not None:
        fields.append(Field(route.label or route.kind.replace("_", " ").capitalize(), route.value))
        if route.how_to_leave_message:
            fields.append(Field("Leaving a message", route.how_to_leave_message))
        if expectation(route, team):
            fields.append(Field("They aim for", expectation(route, team)))
    fields.append(Field("Hours", describe_hours(team)))
    if is_open(team, at, calendar=calendar):
        closes = closes_at(team, at, calendar=calendar)
        fields.append(Field("Open now", f"yes, until {time_in_words(closes)}" if closes else "yes"))
    else:
        opens = next_open(team, at, calendar=calendar)
        if opens is not None:
            fields.append(Field("Next open", moment_in_words(opens)))
    return tuple(fields)


def _a(kind: str) -> str:
    """ "a referral", "an information request"."""
    words = kind.replace("_", " ")
    return f"{'an' if words[:1] in 'aeiou' else 'a'} {words}"


def _load(session: Session, reminder: Reminder) -> tuple[TrackedItem, Team] | None:
    item = session.get(TrackedItem, reminder.subject_id) if reminder.subject_id is not None else None
    if item is None:
        return None
    team = session.get(Team, item.to_team_id)
    return None if team is None else (item, team)


def _is_moot(item: TrackedItem, kind: str) -> bool:
    if item.status != "open":
        return True
    if kind in _ACK_KINDS:
        return item.acknowledged_at is not None
    return item.feedback_at is not None


def _who(session: Session, person_id: int) -> str:
    person = session.get(Person, person_id)
    if person is None:
        return "someone"
    team = session.get(Team, person.team_id) if person.team_id else None
    role = f", {person.job_title}" if person.job_title else ""
    return f"{person.display_name}{role}" + (f" ({team.name})" if team else "")


def _chased_with_earlier(session: Session, item: TrackedItem, team: Team, kind: str) -> bool:
    """Tell whether an earlier open referral about the same case to the same team carries this chase:
    two referrals about one case are chased as one, on the first."""
    if item.kind != "referral":
        return False
    referrer = session.get(Person, item.from_person_id)
    if referrer is None:
        return False
    earlier = chasing.recent_referral(
        session=session,
        settings=ReminderSettings(),
        team=team,
        case_ref=item.case_ref,
        at=item.sent_at,
        referrer=referrer,
        before_id=item.id,
    )
    if earlier is None:
        return False
    return earlier.acknowledged_at is None if kind in _ACK_KINDS else earlier.feedback_at is None


def escalation_words(session: Session, escalation: Escalation) -> str:
    """Return "ES-0166 is at level 3 of 4, Senior managers (due by 5pm on Friday 27 November)"."""
    policy = escalation_records.policy_for(session=session, escalation=escalation)
    level = policy.level(escalation.level)
    due = f" ({escalation_cards.due_words(escalation)})" if escalation.level_due_at else ""
    return f"{escalation.ref} is at {escalation_cards.level_title(policy, level)}{due}"


def render_chase(session: Session, reminder: Reminder) -> Reply | None:
    """A chase: to the referrer with exactly how to chase, or to the receiving team asking for an answer."""
    loaded = _load(session, reminder)
    if loaded is None or _is_moot(loaded[0], reminder.kind):
        return None
    item, team = loaded
    if _chased_with_earlier(session, item, team, reminder.kind):
        return None
    escalated = chasing.open_escalation_for(session=session, item=item)
    is_ack = reminder.kind in _ACK_KINDS
    due_at = item.ack_due_at if is_ack else item.feedback_due_at
    what = "acknowledgement" if is_ack else "feedback"
    due = f" It was due by {moment_in_words(due_at)}." if due_at else ""
    chase = int(reminder.payload.get("chase", 1))
    if reminder.kind in _REFERRER_KINDS:
        text = (
            f"No {what} yet from {team.name} on {item.ref} (case {item.case_ref}).{due} "
            "Chase them now; here's how. Then tell me how it went."
        )
        last = (
            Button(f"Show {escalated.ref}", escalation_cards.SHOW, escalated.ref)
            if escalated is not None
            else Button("Escalate", "escalate", item.ref, style="danger")
        )
        if escalated is not None:
            text += f"\nThis case is already being escalated: {escalation_words(session, escalated)}."
        chase_buttons = (
            Button("I tried again", "tried", item.ref, style="primary"),
            Button(
                "They acknowledged" if is_ack else "Add feedback", "ack" if is_ack else "feedback", item.ref
            ),
            Button("Snooze 1 working day", "snooze", item.ref),
            last,
        )
        return Reply(
            text=text,
            fields=how_to_chase(session, item, team, at=reminder.due_at),
            buttons=chase_buttons,
            kind="reminder",
        )
    sent = moment_in_words(item.sent_at)
    text = (
        f"Please {'acknowledge' if is_ack else 'give feedback on'} {item.ref}: {_a(item.kind)} to "
        f"{team.name} about case {item.case_ref}, from {_who(session, item.from_person_id)}, sent at {sent}.{due}"
    )
    if chase > 1:
        text += f" This is reminder {chase}."
    if escalated is not None:
        text += f"\nThe referrer has escalated this case: {escalation_words(session, escalated)}."
    buttons = ((Button("Acknowledge", "ack", item.ref, style="primary"),) if is_ack else ()) + (
        Button("Add feedback", "feedback", item.ref),
        Button("Snooze 1 working day", "snooze", item.ref),
    )
    return Reply(text=text, buttons=buttons, kind="reminder")


def render_escalation_nudge(session: Session, reminder: Reminder) -> Reply | None:
    """After the last feedback chase: suggest escalating, with the area's first-level contacts."""
    loaded = _load(session, reminder)
    if loaded is None or _is_moot(loaded[0], reminder.kind):
        return None
    item, team = loaded
    if _chased_with_earlier(session, item, team, reminder.kind):
        return None
    escalated = chasing.open_escalation_for(session=session, item=item)
    if escalated is not None:
        # Suggesting escalation again would ignore the one already under way: point to it instead.
        return Reply(
            text=f"{team.name} still hasn't given feedback on {item.ref} (case {item.case_ref}) after "
            f"{reminder.payload.get('of', 'several')} reminders. The case is already being escalated: "
            f"{escalation_words(session, escalated)}. Add this to that escalation's record.",
            buttons=(
                Button(f"Show {escalated.ref}", escalation_cards.SHOW, escalated.ref, style="primary"),
                Button("Add feedback", "feedback", item.ref),
                Button("Snooze 1 working day", "snooze", item.ref),
            ),
            kind="reminder",
        )
    contacts = escalation_contacts(session=session, team_id=team.id, level=1)
    text = (
        f"{team.name} still hasn't given feedback on {item.ref} (case {item.case_ref}) after "
        f"{reminder.payload.get('of', 'several')} reminders. Consider escalating — here's your area's process."
    )
    fields = tuple(Field(f"Level 1: {c.role_title}", c.route_value) for c in contacts)
    buttons = (
        Button("Escalate", "escalate", item.ref, style="danger"),
        Button("Add feedback", "feedback", item.ref),
        Button("Snooze 1 working day", "snooze", item.ref),
    )
    return Reply(text=text, fields=fields, buttons=buttons, kind="reminder")


def render_update(session: Session, reminder: Reminder) -> Reply | None:
    """Tell the other side that an item was acknowledged, or what its outcome was."""
    loaded = _load(session, reminder)
    if loaded is None:
        return None
    item, team = loaded
    by = _who(session, int(reminder.payload.get("by_person_id", 0)))
    if reminder.payload.get("event") == "acknowledged":
        return Reply(
            text=f"{item.ref} (case {item.case_ref}) to {team.name} was acknowledged by {by}.",
            buttons=(Button("Add feedback", "feedback", item.ref),) if item.status == "open" else (),
            kind="reminder",
        )
    outcome = OUTCOME_WORDS.get(item.outcome or "", item.outcome or "recorded")
    text = f"Outcome of {item.ref} (case {item.case_ref}) to {team.name}: {outcome}, recorded by {by}."
    if item.outcome_reason:
        text += f" Reason: {item.outcome_reason}."
    buttons: tuple[Button, ...] = ()
    if item.outcome == "no_further_action" and reminder.recipient_person_id == item.from_person_id:
        text += " If you disagree, talk it through with them, or escalate."
        buttons = (Button("Escalate", "escalate", item.ref, style="danger"),)
    return Reply(text=text, buttons=buttons, kind="reminder")


def make_deliver(*, router: Router, sessions: sessionmaker[Session], notifier: Notifier) -> Deliver:
    """Build the sweep's deliver step: render the reminder by its kind, then send it through the Notifier."""

    async def deliver(reminder: Reminder) -> dict[str, Any] | None:
        with sessions() as session:
            reply = router.reminders.render(session, reminder)
        if reply is None:
            return None
        try:
            return await notifier.notify(person_id=reminder.recipient_person_id, reply=reply)
        except DeliveryFailed as error:
            raise SendFailed(
                error.reason, is_retryable=error.is_retryable, retry_after_seconds=error.retry_after_seconds
            ) from error

    return deliver


async def run_sweep(
    *,
    router: Router,
    sessions: sessionmaker[Session],
    clock: Clock,
    notifier: Notifier,
    settings: ReminderSettings,
) -> SweepReport:
    """Run the outbox sweep once with the router's renderers (the scheduled job bot/runtime.py registers)."""
    deliver = make_deliver(router=router, sessions=sessions, notifier=notifier)
    return await sweep(sessions=sessions, clock=clock, deliver=deliver, settings=settings)


def register(router: Router) -> None:
    """Register how each tracking reminder kind is rendered."""
    for kind in (
        chasing.ACK_CHASE,
        chasing.RECEIVER_ACK_CHASE,
        chasing.FEEDBACK_CHASE,
        chasing.RECEIVER_FEEDBACK_CHASE,
    ):
        router.reminders.add(kind, render_chase)
    router.reminders.add(chasing.ESCALATION_NUDGE, render_escalation_nudge)
    router.reminders.add(chasing.ITEM_UPDATE, render_update)
