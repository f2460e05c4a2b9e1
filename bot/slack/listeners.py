"""The bolt listeners: each acknowledges at once, then turns the payload into an InboundMessage, asks the
Dispatcher for a Reply and puts it in front of the person. No listener phrases anything itself."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.slack import home, modals, parse
from bot.slack.deliver import open_form, send_dm, update_pressed_message
from bot.slack.identity import SlackProfiles
from bot.slack.render import message_payload
from handlers.messages import InboundMessage, Reply

log = logging.getLogger(__name__)

COMMAND = "/joinup"
REFER_BUTTON = "refer"  # a directory result's "Log a referral" (its value is the team's key)
OUR_BUTTONS = re.compile(rf"^(?:{re.escape(parse.ACTION_PREFIX)}|{re.escape(parse.FORM_SUBMIT_PREFIX)})")
OUR_VIEWS = re.compile(rf"^{re.escape(parse.VIEW_PREFIX)}")

Body = dict[str, Any]


async def _guarded(kind: str, work: Callable[[], Awaitable[object]]) -> None:
    # Runs after ack(): Slack already has its 200, so a failure here can only be logged (ids, never text).
    try:
        await work()
    except Exception:
        log.exception("Slack listener failed after ack", extra={"slack_kind": kind})


class SlackListeners:
    """Registers joinup's listeners on a bolt app; every inbound path ends in `runtime.dispatcher`."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.profiles = SlackProfiles(sessions=runtime.sessions, clock=runtime.clock)
        self._tasks: set[asyncio.Task[None]] = set()

    def _after_ack(self, kind: str, work: Callable[[], Awaitable[object]]) -> None:
        """Run `work` in the background: the listener returns at once, so bolt answers Slack with the ack
        before any of the work (database, rendering, Web API calls) has had a chance to delay it."""
        task = asyncio.get_running_loop().create_task(_guarded(kind, work))
        self._tasks.add(task)  # keep a reference until it finishes, or the task may be collected mid-way
        task.add_done_callback(self._tasks.discard)

    def register(self, app: AsyncApp) -> None:
        """Attach the slash command, DM, App Home, button and modal listeners."""
        app.command(COMMAND)(self.on_command)
        app.event("message")(self.on_message)
        app.event("app_home_opened")(self.on_home_opened)
        app.action(home.SEARCH_ACTION_ID)(self.on_home_search)
        app.action(OUR_BUTTONS)(self.on_button)
        app.view(home.SEARCH_VIEW_ID)(self.on_search_submitted)
        app.view(OUR_VIEWS)(self.on_form_submitted)
        app.action(modals.OPEN_REFER)(self.on_open_refer)
        app.action(modals.OPEN_FEEDBACK)(self.on_open_feedback)
        app.options(modals.TEAM_PICKER)(self.on_team_options)
        app.view(modals.REFER_VIEW)(self.on_modal_submitted)
        app.view(modals.FEEDBACK_VIEW)(self.on_modal_submitted)

    async def _answer(self, msg: InboundMessage, client: AsyncWebClient) -> Reply:
        msg = await self.profiles.add_to(msg, client=client)
        return await self.runtime.dispatcher.handle(msg)

    # --- /joinup ------------------------------------------------------------------------------
    async def on_command(
        self, ack: AsyncAck, body: Body, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        """`/joinup <text>`: answer privately through the response URL, or open the reply's form as a modal."""
        await ack()

        async def work() -> None:
            trigger_id = body.get("trigger_id")
            form_view = modals.view_for_command(str(body.get("text") or ""))
            if form_view is not None and trigger_id:
                # A bare "/joinup refer" (or "feedback [item]") opens the form rather than asking one
                # question at a time.
                await client.views_open(trigger_id=trigger_id, view=form_view)
                return
            reply = await self._answer(parse.from_slash_command(body), client)
            if reply.form is not None and reply.form.inputs and trigger_id:
                await open_form(
                    client, trigger_id=trigger_id, form=reply.form, origin_channel=body.get("channel_id", "")
                )
                return
            # Always ephemeral: /joinup can be typed in any channel, and an answer may name case references
            # that only the person who asked should see.
            await respond(response_type="ephemeral", **message_payload(reply))

        self._after_ack("command", work)

    # --- DMs ----------------------------------------------------------------------------------
    async def on_message(self, event: Body, body: Body, client: AsyncWebClient) -> None:
        """A person's own message in the bot's DM (bolt acknowledges the event as soon as this returns)."""
        if not parse.is_direct_message(event):
            return

        async def work() -> None:
            reply = await self._answer(parse.from_direct_message(body), client)
            await client.chat_postMessage(channel=event["channel"], **message_payload(reply))

        self._after_ack("message.im", work)

    # --- App Home -----------------------------------------------------------------------------
    async def on_home_opened(self, event: Body, body: Body, client: AsyncWebClient) -> None:
        """Publish the Home tab: the person's open items, overdue first, and a search button."""
        if event.get("tab", "home") != "home":
            return
        self._after_ack(
            "app_home_opened", lambda: self.publish_home(client, user_id=str(event["user"]), body=body)
        )

    async def publish_home(self, client: AsyncWebClient, *, user_id: str, body: Body) -> None:
        """Render the reply to "mine" as the user's Home tab."""
        use_action = self.runtime.router.get_action(home.MINE) is not None
        team_id = body.get("team_id") or (body.get("team") or {}).get("id")
        msg = home.mine_message(user_id=user_id, team_id=team_id, use_action=use_action)
        reply = await self._answer(msg, client)
        await client.views_publish(user_id=user_id, view=home.home_view(reply))

    async def on_home_search(self, ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        """The Home tab's search button opens a one-question modal."""
        await ack()
        self._after_ack(
            "home.search", lambda: client.views_open(trigger_id=body["trigger_id"], view=home.search_modal())
        )

    async def on_search_submitted(
        self, ack: AsyncAck, body: Body, view: Body, client: AsyncWebClient
    ) -> None:
        """Answer the Home tab search in the person's DM, as if they had typed `find <query>`."""
        await ack()

        async def work() -> None:
            values = parse.form_values((view.get("state") or {}).get("values") or {})
            user_id = str(body["user"]["id"])
            msg = home.search_message(
                user_id=user_id,
                team_id=(body.get("team") or {}).get("id"),
                query=values.get(home.SEARCH_INPUT_ID, ""),
            )
            await send_dm(client, user_id=user_id, reply=await self._answer(msg, client))

        self._after_ack("home.search_submitted", work)

    # --- buttons and modals -------------------------------------------------------------------
    async def on_button(
        self, ack: AsyncAck, body: Body, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        """A joinup button: run its action, then show the answer where the button was."""
        await ack()

        async def work() -> None:
            msg = parse.from_block_action(body)
            if msg is None:
                return
            if msg.action == REFER_BUTTON and msg.action_value and body.get("trigger_id"):
                # "Log a referral" on a directory result opens the referral form with the team chosen.
                team = modals.team_named(sessions=self.runtime.sessions, key=msg.action_value)
                if team is not None:
                    view = modals.refer_modal(team=team)
                    await client.views_open(trigger_id=body["trigger_id"], view=view)
                    return
            reply = await self._answer(msg, client)
            await self._show_after_action(body, reply, client, respond)

        self._after_ack("block_actions", work)

    async def _show_after_action(
        self, body: Body, reply: Reply, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        user_id = str(body["user"]["id"])
        trigger_id = body.get("trigger_id")
        if reply.form is not None and reply.form.inputs and trigger_id:
            channel = (body.get("container") or {}).get("channel_id") or ""
            await open_form(client, trigger_id=trigger_id, form=reply.form, origin_channel=channel)
            return
        if await update_pressed_message(client, body=body, reply=reply):
            return
        container = body.get("container") or {}
        if container.get("type") == "message" and body.get("response_url"):
            # An ephemeral message (a slash command's answer) can only be replaced through its response URL.
            await respond(replace_original=True, **message_payload(reply))
            return
        await send_dm(client, user_id=user_id, reply=reply)
        if container.get("type") == "view" and (body.get("view") or {}).get("type") == "home":
            await self.publish_home(client, user_id=user_id, body=body)

    def _modal_errors(self, callback_id: str, view: Body) -> dict[str, str]:
        form = parse.form_values((view.get("state") or {}).get("values") or {})
        return modals.modal_errors(
            callback_id,
            form,
            prefixes=self.runtime.settings.reference_prefixes,
            reserved_words=self.runtime.router.words,
        )

    async def on_form_submitted(self, ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        """A joinup modal (refer, feedback, escalation outcome): close it, then answer in the DM."""
        view = body.get("view") or {}
        errors = self._modal_errors(str(view.get("callback_id", "")), view)
        if errors:  # shown beside the inputs; the modal stays open with what was typed
            await ack(response_action="errors", errors=errors)
            return
        await ack()

        async def work() -> None:
            msg = parse.from_view_submission(body)
            if msg is None:
                return
            reply = await self._answer(msg, client)
            trigger_id = body.get("trigger_id")
            if reply.form is not None and reply.form.inputs and trigger_id:
                await open_form(client, trigger_id=trigger_id, form=reply.form)
                return
            await send_dm(client, user_id=msg.sender_key, reply=reply)

        self._after_ack("view_submission", work)

    # --- Slack-only modals (referral, feedback) -----------------------------------------------
    async def on_open_refer(self, ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        """The Home tab's "Log a referral" button."""
        await ack()
        self._after_ack(
            "modal.refer", lambda: client.views_open(trigger_id=body["trigger_id"], view=modals.refer_modal())
        )

    async def on_open_feedback(self, ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        """The Home tab's "Record feedback" button (its value, if any, is the item)."""
        await ack()
        item = str(((body.get("actions") or [{}])[0]).get("value") or "")
        view = modals.feedback_modal(item=item)
        self._after_ack("modal.feedback", lambda: client.views_open(trigger_id=body["trigger_id"], view=view))

    async def on_team_options(self, ack: AsyncAck, payload: Body) -> None:
        """Feed the team picker from the directory search as the person types (answered inside the ack)."""
        query = str(payload.get("value") or "")
        runtime = self.runtime
        await ack(options=modals.team_options(sessions=runtime.sessions, clock=runtime.clock, query=query))

    async def on_modal_submitted(self, ack: AsyncAck, body: Body, view: Body, client: AsyncWebClient) -> None:
        """Close the modal, fill the intent it stands for, and answer in the DM."""
        errors = self._modal_errors(str(view.get("callback_id", "")), view)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()

        async def work() -> None:
            user_id = str(body["user"]["id"])
            msg = modals.modal_message(
                callback_id=str(view.get("callback_id")),
                user_id=user_id,
                team_id=(body.get("team") or {}).get("id"),
                form=parse.form_values((view.get("state") or {}).get("values") or {}),
            )
            await send_dm(client, user_id=user_id, reply=await self._answer(msg, client))

        self._after_ack("modal.submitted", work)
