"""What information request messages say: the ask to the receiving side, the warning to both sides the
working day before a meeting, and the news to the other side. Rendered when sent, from the request as it
is then: one already answered or withdrawn renders as None and the sweep cancels it."""

from __future__ import annotations

from sqlmodel import Session

from handlers.messages import Button, Reply
from handlers.router import Router
from handlers.tracking.requests import asker_buttons, receiver_buttons
from schedules.time.words import date_in_words, moment_in_words
from schedules.tracking import requests
from storage.models import Person, Reminder, Team, TrackedItem


def _load(session: Session, reminder: Reminder) -> tuple[TrackedItem, Team] | None:
    item = session.get(TrackedItem, reminder.subject_id) if reminder.subject_id is not None else None
    if item is None or item.kind != requests.KIND:
        return None
    team = session.get(Team, item.to_team_id)
    return None if team is None else (item, team)


def _asker(session: Session, item: TrackedItem) -> str:
    person = session.get(Person, item.from_person_id)
    team = session.get(Team, item.from_team_id) if item.from_team_id else None
    name = person.display_name if person else "Someone"
    return f"{name} ({team.name})" if team else name


def render_asked(session: Session, reminder: Reminder) -> Reply | None:
    """To the receiving side: who asks for what, about which case, by when."""
    loaded = _load(session, reminder)
    if loaded is None or loaded[0].status != "open":
        return None
    item, _team = loaded
    assert item.feedback_due_at is not None
    text = (
        f"{item.case_ref}: {_asker(session, item)} asks your team for {item.about} by "
        f"{moment_in_words(item.feedback_due_at, with_year=True)} ({item.ref})."
    )
    if item.meeting_at is not None:
        text += f" It's for the {item.meeting} on {date_in_words(item.meeting_at.date(), with_year=True)}."
    return Reply(text=text, buttons=receiver_buttons(item.ref), kind="reminder")


def render_warning(session: Session, reminder: Reminder) -> Reply | None:
    """The working day before the meeting, to both sides, if nothing has come back."""
    loaded = _load(session, reminder)
    if loaded is None or loaded[0].status != "open" or loaded[0].meeting_at is None:
        return None
    item, team = loaded
    assert item.meeting_at is not None
    on = date_in_words(item.meeting_at.date(), with_year=True)
    if reminder.recipient_person_id == item.from_person_id:
        text = (
            f"Nothing has come back yet from {team.name} for {item.about} about {item.case_ref} ({item.ref}), "
            f"and the {item.meeting} is on {on}. Chase them today."
        )
        buttons = (Button("I tried again", "tried", item.ref), *asker_buttons(item.ref))
    else:
        text = (
            f"{item.case_ref}: the {item.meeting} is on {on} and {_asker(session, item)} is still waiting for "
            f"{item.about} from your team ({item.ref})."
        )
        buttons = receiver_buttons(item.ref)
    return Reply(text=text, buttons=buttons, kind="reminder")


def render_update(session: Session, reminder: Reminder) -> Reply | None:
    """Tell the other side a request was received, sent or withdrawn."""
    loaded = _load(session, reminder)
    if loaded is None:
        return None
    item, team = loaded
    by = session.get(Person, int(reminder.payload.get("by_person_id", 0)))
    name = by.display_name if by else "Someone"
    event = str(reminder.payload.get("event", ""))
    said = {
        "received": f"{name} ({team.name}) has received your request",
        "sent": f"{name} marked your request as sent",
        "withdrawn": f"{name} withdrew the request",
    }.get(event, f"{name} updated the request")
    return Reply(text=f"{said}: {item.about} about {item.case_ref} ({item.ref}).", kind="reminder")


def register(router: Router) -> None:
    """Register how each information request message is rendered."""
    router.reminders.add(requests.REQUEST_ASKED, render_asked)
    router.reminders.add(requests.MEETING_WARNING, render_warning)
    router.reminders.add(requests.REQUEST_UPDATE, render_update)
