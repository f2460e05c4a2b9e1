"""Pure extractors: a Teams activity (as the SDK validated it) → the platform-neutral InboundMessage."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from microsoft_teams.api.activities import ConversationUpdateActivity, MessageActivity
from microsoft_teams.api.activities.invoke import AdaptiveCardInvokeActivity
from microsoft_teams.api.models import Account, ActivityBase

from bot.teams.render import RESERVED_INPUT_IDS
from handlers.messages import InboundMessage

# A card submit that names no action can't be routed; the Dispatcher answers an unknown action kindly.
MISSING_ACTION = "(missing)"
_MENTION = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def sender_key(account: Account) -> str:
    """Return the key joinup knows a Teams user by: the Entra ID object id, else the Teams user id."""
    return account.aad_object_id or account.id


def tenant_id(activity: ActivityBase) -> str | None:
    """Return the tenant an activity came from."""
    if activity.conversation.tenant_id:
        return activity.conversation.tenant_id
    channel_data = activity.channel_data
    tenant = channel_data.tenant if channel_data is not None else None
    return tenant.id if tenant is not None else None


def is_personal(activity: ActivityBase) -> bool:
    """Return True for a one-to-one chat with the bot (where proactive messages go)."""
    return activity.conversation.conversation_type == "personal"


def address(activity: ActivityBase) -> dict[str, str]:
    """Return where to reach the sender proactively: stored as the person's conversation reference.

    Only personal chats count; a message in a team channel must not redirect reminders to the channel.
    """
    if not is_personal(activity) or not activity.service_url:
        return {}
    found = {
        "service_url": activity.service_url,
        "conversation_id": activity.conversation.id,
        "user_id": activity.from_.id,
        "bot_id": activity.recipient.id,
    }
    tenant = tenant_id(activity)
    if tenant:
        found["tenant_id"] = tenant
    return found


def clean_text(text: str | None) -> str:
    """Drop @mentions of the bot and any HTML Teams wrapped round the text."""
    text = _MENTION.sub(" ", text or "")
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())


def card_data(data: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    """Split a card's submitted data into (action, value, form inputs)."""
    action = data.get("action")
    value = data.get("value")
    form = {
        str(key): "" if item is None else str(item)
        for key, item in data.items()
        if key not in RESERVED_INPUT_IDS and isinstance(item, str | int | float | bool | None)
    }
    return (
        action if isinstance(action, str) and action else MISSING_ACTION,
        value if isinstance(value, str) else "" if value is None else str(value),
        form,
    )


def _base(activity: ActivityBase) -> dict[str, Any]:
    return {
        "platform": "teams",
        "sender_key": sender_key(activity.from_),
        "sender_name": activity.from_.name or None,
        "sender_email": activity.from_.email or None,
        "address": address(activity),
        "event_id": activity.id,
    }


def from_activity(activity: ActivityBase) -> InboundMessage:
    """Return who sent an activity and where to reach them, with nothing said yet."""
    return InboundMessage(**_base(activity))


def from_message(activity: MessageActivity) -> InboundMessage:
    """Turn a message into an InboundMessage: typed text, or an Action.Submit press carrying `value`."""
    if isinstance(activity.value, Mapping):
        action, value, form = card_data(activity.value)
        return InboundMessage(action=action, action_value=value, form=form, **_base(activity))
    if activity.value is not None and not clean_text(activity.text):
        # A submit whose data isn't an object: nothing to route.
        return InboundMessage(action=MISSING_ACTION, **_base(activity))
    return InboundMessage(text=clean_text(activity.text), **_base(activity))


def from_card_action(activity: AdaptiveCardInvokeActivity) -> InboundMessage:
    """Turn an Action.Execute (or a universal Action.Submit) invoke into an InboundMessage."""
    action, value, form = card_data(activity.value.action.data)
    if action == MISSING_ACTION and activity.value.action.verb:
        action = activity.value.action.verb
    return InboundMessage(action=action, action_value=value, form=form, **_base(activity))


def bot_was_added(activity: ConversationUpdateActivity) -> bool:
    """Return True when the bot itself is among the members just added (it was installed)."""
    return any(member.id == activity.recipient.id for member in activity.members_added or [])
