"""What callback messages say: the ask to the receiving side, the one chase each side when the time
passes, the next step for the person waiting, and the news to the other side. Rendered when sent, from the
callback as it is then: one already called back renders as None and the sweep cancels it."""

from __future__ import annotations

from sqlmodel import Session

from handlers.messages import Button, Reply
from handlers.router import Router
from handlers.tracking.callbacks import next_step, owing_buttons, waiting_buttons
from handlers.tracking.chasing import how_to_chase
from schedules.time.words import moment_in_words
from schedules.tracking import callback_chasing as kinds
from storage.models import Person, Reminder, Team, TrackedItem


def _load(session: Session, reminder: Reminder) -> tuple[TrackedItem, Team] | None:
    item = session.get(TrackedItem, reminder.subject_id) if reminder.subject_id is not None else None
    if item is None or item.kind != "callback":
        return None
    team = session.get(Team, item.to_team_id)
    return None if team is None else (item, team)


def _from(session: Session, item: TrackedItem) -> str:
    """Who is waiting: their team's name (or their own, with no team)."""
    person = session.get(Person, item.from_person_id)
    team = session.get(Team, item.from_team_id) if item.from_team_id else None
    if team is not None:
        return team.name
    return person.display_name if person else "Someone"


def render_asked(session: Session, reminder: Reminder) -> Reply | None:
    """To the receiving side: "NB-204519: Health visiting is waiting for a call back from you by 3pm"."""
    loaded = _load(session, reminder)
    if loaded is None or loaded[0].status == "closed":
        return None
    item, _team = loaded
    assert item.ack_due_at is not None
    person = session.get(Person, item.from_person_id)
    who = (
        f" ({person.display_name}{', ' + person.job_title if person and person.job_title else ''})"
        if person
        else ""
    )
    return Reply(
        text=f"{item.case_ref}: {_from(session, item)}{who} is waiting for a call back from you by "
        f"{moment_in_words(item.ack_due_at)} ({item.ref}).",
        buttons=owing_buttons(item.ref),
        kind="reminder",
    )


def render_missed(session: Session, reminder: Reminder) -> Reply | None:
    """When the time passes, once to each side: the person waiting is asked whether the call came."""
    loaded = _load(session, reminder)
    if loaded is None or loaded[0].status != "open":
        return None
    item, team = loaded
    assert item.ack_due_at is not None
    due = moment_in_words(item.ack_due_at)
    if reminder.kind == kinds.CALLBACK_MISSED:
        owing = session.get(Person, item.to_person_id) if item.to_person_id else None
        who = f"{owing.display_name} ({team.name})" if owing is not None else team.name
        return Reply(
            text=f"Did {who} call you back about {item.case_ref} ({item.ref})? It was expected by {due}.",
            fields=how_to_chase(session, item, team, at=reminder.due_at),
            buttons=waiting_buttons(item.ref),
            kind="reminder",
        )
    return Reply(
        text=f"{item.case_ref}: {_from(session, item)} is still waiting for a call back from you; it was "
        f"expected by {due} ({item.ref}).",
        buttons=owing_buttons(item.ref),
        kind="reminder",
    )


def render_next_step(session: Session, reminder: Reminder) -> Reply | None:
    """A working day after a missed callback, the person waiting gets the next step: another route, escalate."""
    loaded = _load(session, reminder)
    if loaded is None or loaded[0].status != "open":
        return None
    reply = next_step(session, *loaded)
    return Reply(text=reply.text, fields=reply.fields, buttons=reply.buttons, kind="reminder")


def render_update(session: Session, reminder: Reminder) -> Reply | None:
    """Tell the other side the call back came, or its new time."""
    loaded = _load(session, reminder)
    if loaded is None:
        return None
    item, team = loaded
    by = session.get(Person, int(reminder.payload.get("by_person_id", 0)))
    name = by.display_name if by else "Someone"
    if reminder.payload.get("event") == "called_back":
        return Reply(
            text=f"{name} recorded that the call back about {item.case_ref} ({item.ref}) came. Closed.",
            kind="reminder",
        )
    if item.status != "open" or item.ack_due_at is None:
        return None
    return Reply(
        text=f"{name} ({team.name}) can't call back today about {item.case_ref} ({item.ref}): "
        f"expect it by {moment_in_words(item.ack_due_at)}.",
        buttons=(Button("They called back", "called_back", item.ref, style="primary"),),
        kind="reminder",
    )


def register(router: Router) -> None:
    """Register how each callback message is rendered."""
    router.reminders.add(kinds.CALLBACK_ASKED, render_asked)
    router.reminders.add(kinds.CALLBACK_MISSED, render_missed)
    router.reminders.add(kinds.RECEIVER_CALLBACK_MISSED, render_missed)
    router.reminders.add(kinds.CALLBACK_NEXT_STEP, render_next_step)
    router.reminders.add(kinds.CALLBACK_UPDATE, render_update)
