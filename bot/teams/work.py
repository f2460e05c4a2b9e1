"""What happens after a Teams activity is stored and acknowledged: the inbox's Teams kind.

A typed message, an Action.Submit press and the bot being added are stored in the inbox (the minimum of the
activity its handling needs) and acked at once; a worker, in this process or another, later runs the stored
activity through the SDK App's own pipeline, so the same listeners answer it and their replies go to the
activity's serviceUrl through the connector.

Every other activity is handled inside the request (see `is_stored`): an invoke (an Action.Execute card
press) must carry its answer, the updated card, in the HTTP response, and the rest (typing, reactions,
installation updates) have no joinup listener, so the SDK answers them at once and nothing is worth storing.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Mapping
from types import SimpleNamespace
from typing import Any, cast

import httpx
from microsoft_teams.api import InvokeResponse, TokenProtocol
from microsoft_teams.apps import App
from microsoft_teams.apps.events import ActivityEvent
from microsoft_teams.apps.events.types import CoreActivity

from bot.inbox.worker import Content, Inbox, Kind
from bot.teams.render import to_activity
from handlers.inbox.notices import could_not_handle

KIND = "teams.activity"
STORED_TYPES = frozenset({"message", "conversationUpdate"})
# What the listeners read from an activity; attachments, rich channel data and the rest are never stored.
KEPT_FIELDS = (
    "type",
    "id",
    "timestamp",
    "serviceUrl",
    "channelId",
    "from",
    "conversation",
    "recipient",
    "locale",
    "text",
    "value",
    "membersAdded",
    "entities",
    "replyToId",
)

Process = Callable[[ActivityEvent], Awaitable[InvokeResponse[Any]]]


class ActivityRefused(Exception):
    """The SDK's pipeline answered a stored activity with an error status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the Teams pipeline answered {status}")
        self.status_code = status


# The platform and network failing, as opposed to a bug in joinup: logged as one line.
TEAMS_FAILURES: tuple[type[BaseException], ...] = (httpx.HTTPError, TimeoutError, ActivityRefused)


def is_stored(body: Mapping[str, Any]) -> bool:
    """Whether an activity goes through the inbox (True) or is handled inside its request (False)."""
    return body.get("type") in STORED_TYPES


def event_key(body: Mapping[str, Any]) -> str:
    """The key that makes an activity and the Bot Framework's redeliveries of it one inbox row.

    An activity id is unique within its conversation; the conversation's id is hashed in so two
    conversations can't collide, and so the key stays short whatever the ids' length.
    """
    activity_id = body.get("id")
    if not isinstance(activity_id, str) or not activity_id:
        return f"teams:{uuid.uuid4().hex}"
    conversation = body.get("conversation")
    conversation_id = conversation.get("id") if isinstance(conversation, Mapping) else None
    where = hashlib.sha256(str(conversation_id or "").encode()).hexdigest()[:16]
    return f"teams:{where}:{activity_id}"[:200]


def activity_content(body: Mapping[str, Any]) -> Content:
    """The minimum of an activity its handling needs (emptied once the row is done)."""
    content: Content = {key: body[key] for key in KEPT_FIELDS if body.get(key) is not None}
    channel_data = body.get("channelData")
    tenant = channel_data.get("tenant") if isinstance(channel_data, Mapping) else None
    if isinstance(tenant, Mapping) and tenant.get("id"):
        content["channelData"] = {"tenant": {"id": tenant["id"]}}
    return content


def verified_token(content: Content) -> TokenProtocol:
    """The inbound token a stored activity is processed with.

    The activity's signature was checked when it arrived; the SDK reads only the serviceUrl from this (the
    same shape the SDK itself uses when it is told to accept unsigned activities).
    """
    return cast(
        TokenProtocol,
        SimpleNamespace(
            app_id="",
            app_display_name="",
            tenant_id="",
            service_url=str(content.get("serviceUrl") or ""),
            from_="azure",
            from_id="",
            is_expired=lambda: False,
        ),
    )


class TeamsWork:
    """The Teams inbox kind, run by workers through the SDK App's own pipeline."""

    def __init__(self, *, app: App, process: Callable[[], Awaitable[Process]]) -> None:
        self.app = app
        self._process = process  # the App's pipeline, once the App is initialised

    def register(self, inbox: Inbox) -> None:
        """Tell the inbox how to work on a stored activity and how to tell the person when it can't."""
        inbox.register(KIND, Kind(work=self.work, tell_failure=self.tell_failure, expected=TEAMS_FAILURES))

    async def work(self, content: Content) -> None:
        """Run the stored activity through the listeners; they send the replies."""
        process = await self._process()
        event = ActivityEvent(body=CoreActivity.model_validate(content), token=verified_token(content))
        result = await process(event)
        status = result.status if isinstance(result, InvokeResponse) else 200
        if status is not None and status >= 400:
            raise ActivityRefused(status)

    async def tell_failure(self, content: Content) -> None:
        """Say the could-not-handle line in the conversation the activity came from."""
        await self._process()  # the App is initialised (it sends proactively only then)
        conversation = content.get("conversation") or {}
        await self.app.send(
            str(conversation.get("id")),
            to_activity(could_not_handle()),
            service_url=str(content.get("serviceUrl") or ""),
        )
