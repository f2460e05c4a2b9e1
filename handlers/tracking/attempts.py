"""tried: record each attempt to reach the other team, and suggest escalating after repeated contacts.

`tried <item | team case <ref>> [spoke|left message|no answer] [by phone|email|...]`, or the "I tried again"
button. Without a result it asks how it went; the third contact about a case with a team suggests escalating.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from directory.search import resolve_team
from handlers.access import auth
from handlers.context import HandlerContext
from handlers.intents.guard import Typed, typed
from handlers.intents.items import TRIED_USAGE, Tried, tried_from_text
from handlers.messages import Button, Reply
from handlers.router import Router
from handlers.tracking.replies import describe_item
from handlers.tracking.words import RESULT_LABELS
from schedules.escalation.records import escalation_contacts
from schedules.time import calendars
from schedules.time.calendars import counts_plain_hours
from schedules.time.words import moment_in_words
from schedules.tracking import callbacks
from schedules.tracking.attempts import AttemptRecorded, record_attempt
from schedules.tracking.items import choose_route, require_open
from storage.models import Team, TrackedItem


def escalation_hint(session: Session, team_id: int) -> str:
    """Say who to go to first under the area's escalation process, from the directory."""
    contacts = escalation_contacts(session=session, team_id=team_id, level=1)
    if not contacts:
        return "Type escalate to walk through your area's process."
    first = contacts[0]
    return (
        f"Level 1 is the {first.role_title}: {first.route_value}. Press Escalate to walk through the process."
    )


def escalate_button(value: str) -> Button:
    """The button that starts the escalation walkthrough for an item or case."""
    return Button("Escalate", "escalate", value, style="danger")


def escalation_prompt(contacts: int) -> str:
    """Suggest escalating after `contacts` contacts about one case with one team."""
    return f"You've contacted them {contacts} times about this case. Consider escalating — here's your area's process."


def tried_choices(value: str) -> tuple[Button, ...]:
    """The spoke / left message / no answer buttons for an attempt on `value` (an item or team and case)."""
    return tuple(
        Button(label.capitalize(), "tried", f"{value} {key.replace('_', ' ')}")
        for key, label in RESULT_LABELS.items()
    )


def callback_offer(
    session: Session, ctx: HandlerContext, recorded: AttemptRecorded, team: Team
) -> tuple[str, Button] | None:
    """After a message left by phone: "Expect a call back by …", from the route's own promise on the team's
    hours, as one press (or a time to type). None when there is nothing to offer."""
    attempt, item = recorded.attempt, recorded.item
    if attempt.result != "left_message" or (item is not None and item.kind == "callback"):
        return None
    route = choose_route(session=session, team=team, method=attempt.method)
    calendar = calendars.calendar_for_team(team=team, settings=ctx.settings.reminders)
    due = callbacks.promised(
        calendar=calendar, now=ctx.clock.now(), route=route, settings=ctx.settings.reminders
    )
    value = item.ref if item is not None else f"{team.key} case {attempt.case_ref}"
    when = moment_in_words(due.at)
    if route is not None and route.ack_expected is not None:
        unit = "hour" if route.ack_unit == "working_hours" else "day"
        unit = unit if counts_plain_hours(team) else f"working {unit}"
        plural = "" if route.ack_expected == 1 else "s"
        said = f"{route.label or team.name} aims to answer within {route.ack_expected} {unit}{plural}"
    else:
        said = f"{team.name} give no time, so that's the end of their next working day"
    text = f"Expect a call back by {when}? {said}. Press to accept, or type callback {value} by <time>."
    return text, Button(f"Expect a call back by {when}", "callback", value, style="primary")


def _attempt_reply(
    session: Session, recorded: AttemptRecorded, team: Team, offer: tuple[str, Button] | None = None
) -> Reply:
    attempt, item = recorded.attempt, recorded.item
    on = f" ({item.ref})" if item else ""
    text = (
        f"Recorded: {RESULT_LABELS.get(attempt.result, attempt.result)}, {team.name} about {attempt.case_ref}{on}. "
        f"That's {recorded.contacts} contact{'s' if recorded.contacts != 1 else ''} about this case with them."
    )
    buttons: list[Button] = []
    if item is not None:
        buttons += [
            Button("They acknowledged", "ack", item.ref),
            Button("Snooze 1 working day", "snooze", item.ref),
        ]
    if offer is not None:
        text += "\n" + offer[0]
        buttons.insert(0, offer[1])
    if recorded.should_escalate:
        assert team.id is not None
        text += "\n" + escalation_prompt(recorded.contacts) + " " + escalation_hint(session, team.id)
        buttons.insert(0, escalate_button(item.ref if item else attempt.case_ref))
    return Reply(text=text, buttons=tuple(buttons))


async def tried_item(intent: Tried, ctx: HandlerContext) -> Reply:
    """Record an attempt to reach the other team: tried <item> [spoke|left message|no answer]."""
    if not intent.result:
        named, value = "", intent.item
        if intent.item:  # a stale button on a closed item is refused before asking anything
            with ctx.sessions() as session:
                item = session.exec(select(TrackedItem).where(col(TrackedItem.ref) == intent.item)).first()
                if item is not None:
                    auth.check(ctx, session, auth.CHANGE_ITEM, item=item)
                    require_open(item, "record another attempt")
                    team = session.get(Team, item.to_team_id)
                    named = describe_item(item, team) if team is not None else item.ref
        else:
            named = f"{intent.team}, case {intent.case_ref}"
            value = f"{intent.team} case {intent.case_ref}"
        question = f"How did it go with {named}?" if named else "How did it go?"
        return Reply(text=question, buttons=tried_choices(value))
    with ctx.sessions.begin() as session:
        if intent.item:
            item = session.exec(select(TrackedItem).where(col(TrackedItem.ref) == intent.item)).first()
            if item is not None:
                auth.check(ctx, session, auth.CHANGE_ITEM, item=item)
            recorded = record_attempt(
                session=session,
                clock=ctx.clock,
                settings=ctx.settings.reminders,
                person=ctx.person,
                result=intent.result,
                method=intent.method,
                item_ref=intent.item,
                note=intent.note,
            )
        else:
            team = resolve_team(session=session, text=intent.team)
            recorded = record_attempt(
                session=session,
                clock=ctx.clock,
                settings=ctx.settings.reminders,
                person=ctx.person,
                result=intent.result,
                method=intent.method,
                team=team,
                case_ref=intent.case_ref,
                note=intent.note,
            )
        answered = session.get(Team, recorded.attempt.team_id)
        assert answered is not None
        return _attempt_reply(session, recorded, answered, callback_offer(session, ctx, recorded, answered))


TRIED = Typed("tried", Tried, tried_from_text, tried_item)


def register(router: Router) -> None:
    """Register tried and the "I tried again" button."""
    router.command(
        "tried",
        typed(TRIED),
        aliases=("chased",),
        summary="Record a call or message to the other team: spoke, left message or no answer.",
        usage=TRIED_USAGE,
    )
    router.action("tried", typed(TRIED))
