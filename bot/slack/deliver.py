"""Putting a rendered Reply in front of the person: a DM, a modal, or an edit of the message they pressed on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.client import PacedWebClient
from bot.slack.parse import message_container
from bot.slack.render import after_action_blocks, form_view, message_payload
from handlers.messages import Form, Reply


async def open_dm(client: AsyncWebClient, *, user_id: str) -> str:
    """Return the id of the bot's DM channel with a user: remembered by joinup's client, else
    conversations.open (idempotent)."""
    if isinstance(client, PacedWebClient) and user_id in client.dm_channels:
        return client.dm_channels[user_id]
    opened = await client.conversations_open(users=user_id)
    channel = str(opened["channel"]["id"])
    if isinstance(client, PacedWebClient):
        client.remember_dm(user_id, channel)
    return channel


def forget_dm(client: AsyncWebClient, *, user_id: str) -> None:
    """Drop a remembered DM channel that Slack no longer knows (it is opened afresh next time)."""
    if isinstance(client, PacedWebClient):
        client.dm_channels.pop(user_id, None)


async def send_dm(client: AsyncWebClient, *, user_id: str, reply: Reply) -> dict[str, str]:
    """Post a reply in the user's DM with the bot; return the message's channel and ts."""
    channel = await open_dm(client, user_id=user_id)
    posted = await client.chat_postMessage(channel=channel, **message_payload(reply))
    return {"channel": channel, "ts": str(posted["ts"])}


async def open_form(client: AsyncWebClient, *, trigger_id: str, form: Form, origin_channel: str = "") -> None:
    """Open a form as a modal; Slack only accepts this within 3 seconds of the click or command."""
    await client.views_open(trigger_id=trigger_id, view=form_view(form, origin_channel=origin_channel))


async def update_pressed_message(client: AsyncWebClient, *, body: Mapping[str, Any], reply: Reply) -> bool:
    """Rewrite the message whose button was pressed: drop that button row and append the reply.

    Returns False when the button wasn't on an ordinary message (an ephemeral reply, the Home tab).
    """
    container = message_container(body)
    if container is None:
        return False
    channel, ts = container
    original = list((body.get("message") or {}).get("blocks") or [])
    actions = body.get("actions") or [{}]
    pressed_block_id = actions[0].get("block_id")
    blocks = after_action_blocks(original, pressed_block_id=pressed_block_id, reply=reply)
    await client.chat_update(channel=channel, ts=ts, text=message_payload(reply)["text"], blocks=blocks)
    return True
