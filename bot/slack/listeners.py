"""The bolt listeners: each stores what its work needs in the inbox, then acknowledges.

The work itself (ask the Dispatcher, post the reply) is done by inbox workers (bot/slack/work.py), in this
process or another, so a request acknowledged is never lost with the process that acknowledged it. What must
be answered inside the request stays here: the team picker's options, and opening a modal from a button
(Slack's trigger id lasts three seconds and nothing is stored).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.inbox.worker import Content, Inbox
from bot.runtime import Runtime
from bot.slack import home, modal_checks, modals, parse
from bot.slack.work import (
    SLACK_FAILURES,
    button_content,
    command_content,
    dm_content,
    event_key,
    home_content,
    view_content,
)

log = logging.getLogger(__name__)

COMMAND = "/joinup"
OUR_BUTTONS = re.compile(rf"^(?:{re.escape(parse.ACTION_PREFIX)}|{re.escape(parse.FORM_SUBMIT_PREFIX)})")
OUR_VIEWS = re.compile(rf"^{re.escape(parse.VIEW_PREFIX)}")

Body = dict[str, Any]


async def _guarded(kind: str, work: Callable[[], Awaitable[object]]) -> None:
    # Runs after ack(): Slack already has its 200, so a failure here can only be logged (ids, never text).
    try:
        await work()
    except SLACK_FAILURES as error:
        log.warning("Slack call after ack failed", extra={"slack_kind": kind, "error": type(error).__name__})
    except Exception:
        log.exception("Slack listener failed after ack", extra={"slack_kind": kind})


class SlackListeners:
    """Registers joinup's listeners on a bolt app; each request is stored in the inbox, then acked."""

    def __init__(self, runtime: Runtime, *, inbox: Inbox) -> None:
        self.runtime = runtime
        self.inbox = inbox
        self._tasks: set[asyncio.Task[None]] = set()

    def _after_ack(self, kind: str, work: Callable[[], Awaitable[object]]) -> None:
        """Run a single Web API call (opening a modal) after the ack; nothing is stored for it."""
        task = asyncio.get_running_loop().create_task(_guarded(kind, work))
        self._tasks.add(task)  # keep a reference until it finishes, or the task may be collected mid-way
        task.add_done_callback(self._tasks.discard)

    async def _store(self, kind: str, body: Body, content: Content) -> None:
        await self.inbox.receive(
            platform="slack", event_key=event_key(body, kind), kind=kind, content=content
        )

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

    # Each listener stores first and acks second: a request that can't be stored gets an error, not an
    # ack, so nothing acknowledged lives only in memory.
    async def on_command(self, ack: AsyncAck, body: Body) -> None:
        """`/joinup <text>`: answered through the response URL by a worker."""
        await self.store_command(body)
        await ack()

    async def store_command(self, body: Body) -> None:
        """Store a slash command for the workers (also the route's fast path, which skips bolt: see routes)."""
        await self._store("slack.command", body, command_content(body))

    async def on_message(self, event: Body, body: Body) -> None:
        """A person's own message in the bot's DM (bolt acknowledges the event as soon as this returns)."""
        if parse.is_direct_message(event):
            await self._store("slack.dm", body, dm_content(body))

    async def on_home_opened(self, event: Body, body: Body) -> None:
        """The Home tab was opened: a worker publishes it."""
        if event.get("tab", "home") == "home":
            await self._store("slack.home", body, home_content(body))

    async def on_home_search(self, ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        """The Home tab's search button opens a one-question modal."""
        await ack()
        self._after_ack(
            "home.search", lambda: client.views_open(trigger_id=body["trigger_id"], view=home.search_modal())
        )

    async def on_search_submitted(self, ack: AsyncAck, body: Body) -> None:
        """The Home tab search: answered in the person's DM by a worker."""
        await self._store("slack.home_search", body, view_content(body))
        await ack()

    async def on_button(self, ack: AsyncAck, body: Body) -> None:
        """A joinup button: a worker runs its action and shows the answer where the button was."""
        await self._store("slack.button", body, button_content(body))
        await ack()

    def _check_modal(self, body: Body) -> modal_checks.ModalVerdict:
        """What is wrong with a submitted modal's fields, personal data included (empty ack: file it)."""
        with self.runtime.sessions() as session:
            return modal_checks.check_modal(
                body.get("view") or {},
                session=session,
                prefixes=self.runtime.settings.reference_prefixes,
                reserved_words=self.runtime.router.words,
            )

    async def _file_modal(self, kind: str, ack: AsyncAck, body: Body) -> None:
        """Answer a refused modal in the ack (it stays open), else file it (cleaned) for a worker."""
        verdict = self._check_modal(body)
        if verdict.ack:
            await ack(**verdict.ack)
            return
        await self._store(kind, body, modal_checks.cleaned_content(view_content(body), verdict.cleaned))
        await ack()

    async def on_form_submitted(self, ack: AsyncAck, body: Body) -> None:
        """A joinup modal (refer, feedback, escalation outcome): closed at once, answered in the DM."""
        await self._file_modal("slack.form", ack, body)

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

    async def on_modal_submitted(self, ack: AsyncAck, body: Body) -> None:
        """The referral and feedback modals: closed at once, answered in the DM by a worker."""
        await self._file_modal("slack.modal", ack, body)
