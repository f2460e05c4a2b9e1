"""Answers asked for in a Teams team channel: general ones stay there, the rest go to the person's own chat.

Everyone in a channel reads what the bot posts there. Help and directory answers are for everyone; anything
else (their items, escalations, a chronology, a question whose answer is a case reference, a form) names
case references, which only the person who asked should see. Slack answers those privately (an ephemeral
reply); Teams has no private reply in a channel, so the answer goes to a 1:1 chat the bot opens with the
person, and the channel gets one line saying where it went.
"""

from __future__ import annotations

import re

from microsoft_teams.api.activities import MessageActivity, MessageActivityInput
from microsoft_teams.api.clients.conversation.params import CreateConversationParams
from microsoft_teams.api.models import Account
from microsoft_teams.apps import ActivityContext
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from bot.teams import parse
from bot.teams.people import find_by_teams_id
from handlers.messages import InboundMessage, Reply
from handlers.router import Router
from handlers.state import get_state

# Commands (and their buttons) whose answers are the same for everyone: help, and the directory.
IN_CHANNEL_COMMANDS = frozenset({"help", "find", "search"})
IN_CHANNEL_ACTIONS = frozenset({"help", "find", "find_more"})
POINTER = "I've answered you in our personal chat, as it names case references."
# An item reference (TI-0042) in an answer: never posted in a channel, whatever asked for it.
_ITEM_REF = re.compile(r"\bTI-\d+\b", re.IGNORECASE)


def is_channel(activity: MessageActivity) -> bool:
    """True for a message in a team's channel (not a personal chat or a group chat)."""
    return activity.conversation.conversation_type == "channel"


def _has_pending_question(sessions: sessionmaker[Session], sender_key: str) -> bool:
    with sessions() as session:
        person = find_by_teams_id(session, sender_key)
        return (
            person is not None
            and person.id is not None
            and get_state(session=session, person_id=person.id) is not None
        )


def stays_in_channel(
    msg: InboundMessage, reply: Reply, *, router: Router, sessions: sessionmaker[Session]
) -> bool:
    """True when an answer may be posted in the channel it was asked in: a general answer, naming no item.

    A line typed while one of the person's questions is waiting may be its answer (a case reference), so it
    goes to the personal chat too.
    """
    if msg.action is not None:
        general = msg.action in IN_CHANNEL_ACTIONS
    else:
        general = router.parse(msg.text).name in IN_CHANNEL_COMMANDS
    if not general or reply.form is not None:
        return False
    shown = " ".join(
        [reply.text, *(f.value for f in reply.fields), *(s.title + s.text for s in reply.sections)]
    )
    if _ITEM_REF.search(shown):
        return False
    return not _has_pending_question(sessions, msg.sender_key)


async def send_to_personal_chat(ctx: ActivityContext[MessageActivity], activity: MessageActivityInput) -> str:
    """Open (or reopen: Teams gives back the same one) the bot's 1:1 chat with the sender; send `activity`
    there and return the chat's conversation id."""
    sender = ctx.activity.from_
    created = await ctx.api.conversations.create(
        CreateConversationParams(
            members=[Account(id=sender.id, name=sender.name or "", aad_object_id=sender.aad_object_id)],
            tenant_id=parse.tenant_id(ctx.activity),
            channel_data={"tenant": {"id": parse.tenant_id(ctx.activity)}},
        )
    )
    await ctx.api.conversations.create_activity(created.id, activity)
    return created.id
