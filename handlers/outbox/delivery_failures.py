"""What a delivery-failure notice says (schedules/outbox/delivery_failures.py decides who gets one and when)."""

from __future__ import annotations

from sqlmodel import Session

from handlers.messages import Button, Field, Reply
from handlers.router import Router
from schedules.outbox.delivery_failures import ADMIN, DELIVERY_FAILED
from storage.models import Person, Reminder, Team, TrackedItem

# Reminder kinds in words, for the notice ("a reminder asking them to acknowledge ...").
KIND_WORDS = {
    "ack_chase": "a reminder to chase an acknowledgement",
    "receiver_ack_chase": "a reminder asking them to acknowledge",
    "feedback_chase": "a reminder to chase feedback",
    "receiver_feedback_chase": "a reminder asking them for feedback",
    "escalation_nudge": "a suggestion to escalate",
    "item_update": "an update",
}


def _reason_words(reason: str, attempts: int) -> str:
    if "too many attempts" in reason:
        return "their chat platform kept failing, so I stopped trying"
    if "no conversation" in reason or "has not installed" in reason or "no Slack user id" in reason:
        return "they haven't connected joinup in Slack or Teams yet"
    if attempts > 1:
        return f"their chat platform kept failing ({reason}) after {attempts} tries, so I stopped trying"
    return f"their chat platform refused it ({reason})" if reason else "their chat platform refused it"


def render_delivery_failed(session: Session, reminder: Reminder) -> Reply:
    """Tell the referrer (or a directory admin) that a reminder never reached the person it was for."""
    payload = reminder.payload
    recipient = session.get(Person, int(payload.get("recipient_person_id", 0)))
    team = session.get(Team, recipient.team_id) if recipient is not None and recipient.team_id else None
    who = recipient.display_name if recipient is not None else "someone"
    where = f" ({team.name})" if team is not None else ""
    item = session.get(TrackedItem, reminder.subject_id) if reminder.subject_kind == "item" else None
    what = KIND_WORDS.get(str(payload.get("failed_kind", "")), "a reminder")
    about = f" about {item.ref} (case {item.case_ref})" if item is not None and reminder.subject_id else ""
    reason = _reason_words(str(payload.get("reason", "")), int(payload.get("attempts", 1)))
    if payload.get("role") == ADMIN:
        text = (
            f"I couldn't deliver {what}{about} to {who}{where}: {reason}. "
            "Please check their chat account and directory entry."
        )
        return Reply(text=text, kind="reminder")
    text = f"I couldn't deliver {what}{about} to {who}{where}: {reason}. Please contact them another way."
    fields = (Field("Who", f"{who}{where}"),)
    buttons = (Button("I tried again", "tried", item.ref, style="primary"),) if item is not None else ()
    return Reply(text=text, fields=fields, buttons=buttons, kind="reminder")


def register(router: Router) -> None:
    """Register the delivery-failure notice's renderer."""
    router.reminders.add(DELIVERY_FAILED, render_delivery_failed)
