"""What happens after a Slack request is stored and acknowledged: the inbox's Slack kinds.

Each listener stores only what its work needs (`content`), and a worker, in this process or another, later
runs the matching function here with the bot's own Web API client: ask the Dispatcher, post the reply.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiohttp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import col, select

from bot.inbox.worker import Content, Inbox, Kind
from bot.runtime import Runtime
from bot.slack import home, modals, parse
from bot.slack.deliver import open_form, send_dm, update_pressed_message
from bot.slack.identity import SlackProfiles
from bot.slack.render import asking_privately, message_payload
from handlers.inbox.notices import could_not_handle
from handlers.messages import InboundMessage, Reply
from handlers.state import get_state
from storage.models import Person

Body = Mapping[str, Any]


class ResponseUrlRefused(Exception):
    """Slack answered a response_url post with an error status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"response_url answered {status}")
        self.status_code = status


# The platform and network failing, as opposed to a bug in joinup: logged as one line.
SLACK_FAILURES: tuple[type[BaseException], ...] = (
    SlackClientError,
    aiohttp.ClientError,
    TimeoutError,
    ResponseUrlRefused,
)

REFER_BUTTON = "refer"  # a directory result's "Log a referral" (its value is the team's key)


def _pick(body: Body, *keys: str) -> dict[str, Any]:
    return {key: body[key] for key in keys if body.get(key) is not None}


def event_key(body: Body, kind: str) -> str:
    """The key that makes a delivery and its redeliveries one inbox row.

    Events carry an event id (and Slack retries them); commands and interactions carry a trigger id that is
    unique to the click or command.
    """
    if (key := parse.event_dedupe_key(body)) is not None:
        return key
    if trigger_id := body.get("trigger_id"):
        return f"slack:{kind}:{trigger_id}"
    return f"slack:{kind}:{uuid.uuid4().hex}"


# --- what each kind keeps: the minimum its work needs -----------------------------------------------------
def command_content(body: Body) -> Content:
    """A slash command: who, their words, and where to answer."""
    return _pick(body, "user_id", "team_id", "text", "response_url", "trigger_id", "channel_id")


def dm_content(body: Body) -> Content:
    """A DM: who, their words, and the DM channel."""
    event = body["event"]
    return {"event": _pick(event, "user", "text", "team", "channel"), **_pick(body, "team_id", "event_id")}


def home_content(body: Body) -> Content:
    """App Home opened: whose Home tab to publish."""
    return {"user": str(body["event"]["user"]), **_pick(body, "team_id")}


def button_content(body: Body) -> Content:
    """A button press: the button, the form state it submits, and the message it was on (to update it)."""
    actions = body.get("actions") or []
    content = _pick(body, "user", "team", "state", "container", "channel", "response_url", "trigger_id")
    content["actions"] = actions[:1]
    if isinstance(message := body.get("message"), Mapping):
        content["message"] = _pick(message, "ts", "blocks")
    if isinstance(view := body.get("view"), Mapping):
        content["view"] = _pick(view, "type")
    return content


def view_content(body: Body) -> Content:
    """A modal submission: who, the modal's id, its context and its answers."""
    view = body.get("view") or {}
    return {
        **_pick(body, "user", "team", "trigger_id"),
        "view": _pick(view, "callback_id", "private_metadata", "state"),
    }


def asked_since(runtime: Runtime, *, slack_user_id: str, since: datetime) -> bool:
    """True when the person's reply, handled from `since`, left a question waiting for their answer."""
    with runtime.sessions() as session:
        person_id = session.exec(select(Person.id).where(col(Person.slack_user_id) == slack_user_id)).first()
        state = None if person_id is None else get_state(session=session, person_id=person_id)
        return state is not None and state.updated_at >= since


class SlackWork:
    """The Slack inbox kinds, run by workers with the bot's own Web API client."""

    def __init__(self, runtime: Runtime, *, client: AsyncWebClient) -> None:
        self.runtime = runtime
        self.client = client
        self.profiles = SlackProfiles(sessions=runtime.sessions, clock=runtime.clock)

    def register(self, inbox: Inbox) -> None:
        """Tell the inbox how to work on each Slack kind and how to tell the person when it can't."""
        kinds = {
            "slack.command": (self.command, self.tell_by_response_url),
            "slack.dm": (self.dm, self.tell_in_dm_channel),
            "slack.home": (self.home_opened, self.tell_nobody),
            "slack.button": (self.button, self.tell_by_dm),
            "slack.form": (self.form_submitted, self.tell_by_dm),
            "slack.modal": (self.modal_submitted, self.tell_by_dm),
            "slack.home_search": (self.search_submitted, self.tell_by_dm),
        }
        for kind, (work, tell) in kinds.items():
            inbox.register(kind, Kind(work=work, tell_failure=tell, expected=SLACK_FAILURES))

    async def _answer(self, msg: InboundMessage) -> Reply:
        msg = await self.profiles.add_to(msg, client=self.client)
        return await self.runtime.dispatcher.handle(msg)

    # --- the work -------------------------------------------------------------------------------
    async def command(self, body: Content) -> None:
        """`/joinup <text>`: answer privately through the response URL, or open the reply's form as a modal."""
        trigger_id = body.get("trigger_id")
        form_view = modals.view_for_command(str(body.get("text") or ""))
        if form_view is not None and trigger_id:
            # A bare "/joinup refer" (or "feedback [item]") opens the form rather than asking one at a time.
            await self.client.views_open(trigger_id=trigger_id, view=form_view)
            return
        msg = parse.from_slash_command(body)
        asked_at = self.runtime.clock.now()
        reply = await self._answer(msg)
        if not str(body.get("channel_id") or "D").startswith("D") and await asyncio.to_thread(
            asked_since, self.runtime, slack_user_id=msg.sender_key, since=asked_at
        ):
            reply = asking_privately(reply)  # a question asked in a channel: say where to answer it
        if reply.form is not None and reply.form.inputs and trigger_id:
            await open_form(
                self.client, trigger_id=trigger_id, form=reply.form, origin_channel=body.get("channel_id", "")
            )
            return
        # Always ephemeral: /joinup can be typed in any channel, and an answer may name case references
        # that only the person who asked should see.
        await _respond(body, response_type="ephemeral", **message_payload(reply))

    async def dm(self, body: Content) -> None:
        """A person's own message in the bot's DM: answer in the same DM."""
        reply = await self._answer(parse.from_direct_message(body))
        await self.client.chat_postMessage(channel=body["event"]["channel"], **message_payload(reply))

    async def home_opened(self, body: Content) -> None:
        """Publish the Home tab: the person's open items, overdue first, and a search button."""
        await self.publish_home(user_id=str(body["user"]), team_id=body.get("team_id"))

    async def publish_home(self, *, user_id: str, team_id: str | None) -> None:
        """Render the reply to "mine" as the user's Home tab."""
        use_action = self.runtime.router.get_action(home.MINE) is not None
        msg = home.mine_message(user_id=user_id, team_id=team_id, use_action=use_action)
        reply = await self._answer(msg)
        await self.client.views_publish(user_id=user_id, view=home.home_view(reply))

    async def button(self, body: Content) -> None:
        """A joinup button: run its action, then show the answer where the button was."""
        msg = parse.from_block_action(body)
        if msg is None:
            return
        trigger_id = body.get("trigger_id")
        if msg.action == REFER_BUTTON and msg.action_value and trigger_id:
            # "Log a referral" on a directory result opens the referral form with the team chosen.
            team = modals.team_named(sessions=self.runtime.sessions, key=msg.action_value)
            if team is not None:
                await self.client.views_open(trigger_id=trigger_id, view=modals.refer_modal(team=team))
                return
        reply = await self._answer(msg)
        user_id = str(body["user"]["id"])
        if reply.form is not None and reply.form.inputs and trigger_id:
            channel = (body.get("container") or {}).get("channel_id") or ""
            await open_form(self.client, trigger_id=trigger_id, form=reply.form, origin_channel=channel)
            return
        if await update_pressed_message(self.client, body=body, reply=reply):
            return
        container = body.get("container") or {}
        if container.get("type") == "message" and body.get("response_url"):
            # An ephemeral message (a slash command's answer) can only be replaced through its response URL.
            await _respond(body, replace_original=True, **message_payload(reply))
            return
        await send_dm(self.client, user_id=user_id, reply=reply)
        if container.get("type") == "view" and (body.get("view") or {}).get("type") == "home":
            await self.publish_home(user_id=user_id, team_id=(body.get("team") or {}).get("id"))

    async def form_submitted(self, body: Content) -> None:
        """A joinup modal (refer, feedback, escalation outcome): answer in the DM, or open the next form."""
        msg = parse.from_view_submission(body)
        if msg is None:
            return
        reply = await self._answer(msg)
        trigger_id = body.get("trigger_id")
        if reply.form is not None and reply.form.inputs and trigger_id:
            await open_form(self.client, trigger_id=trigger_id, form=reply.form)
            return
        await send_dm(self.client, user_id=msg.sender_key, reply=reply)

    async def modal_submitted(self, body: Content) -> None:
        """The Slack-only referral and feedback modals: run the command they stand for, answer in the DM."""
        user_id = str(body["user"]["id"])
        view = body.get("view") or {}
        msg = modals.modal_message(
            callback_id=str(view.get("callback_id")),
            user_id=user_id,
            team_id=(body.get("team") or {}).get("id"),
            form=parse.form_values((view.get("state") or {}).get("values") or {}),
        )
        await send_dm(self.client, user_id=user_id, reply=await self._answer(msg))

    async def search_submitted(self, body: Content) -> None:
        """The Home tab search: answer in the person's DM, as if they had typed `find <query>`."""
        view = body.get("view") or {}
        values = parse.form_values((view.get("state") or {}).get("values") or {})
        user_id = str(body["user"]["id"])
        msg = home.search_message(
            user_id=user_id,
            team_id=(body.get("team") or {}).get("id"),
            query=values.get(home.SEARCH_INPUT_ID, ""),
        )
        await send_dm(self.client, user_id=user_id, reply=await self._answer(msg))

    # --- telling the person it failed -------------------------------------------------------------
    async def tell_by_response_url(self, body: Content) -> None:
        """Answer the slash command with the could-not-handle line."""
        await _respond(body, response_type="ephemeral", **message_payload(could_not_handle()))

    async def tell_in_dm_channel(self, body: Content) -> None:
        """Say the could-not-handle line in the DM the message came from."""
        await self.client.chat_postMessage(
            channel=body["event"]["channel"], **message_payload(could_not_handle())
        )

    async def tell_by_dm(self, body: Content) -> None:
        """Say the could-not-handle line in the person's DM with the bot."""
        await send_dm(self.client, user_id=str(body["user"]["id"]), reply=could_not_handle())

    async def tell_nobody(self, body: Content) -> None:
        """Opening the Home tab again is the retry: nothing to say."""


async def _respond(body: Content, **message: Any) -> None:
    """Post to the request's response_url; raise when Slack refuses it (bolt's respond only returns it)."""
    response = await AsyncRespond(response_url=body.get("response_url"))(**message)
    if response.status_code >= 400:
        raise ResponseUrlRefused(response.status_code)
