"""What joinup does with each Teams activity: parse it, hand it to the Dispatcher, render the Reply.

Messages and conversation updates reach these listeners from an inbox worker (bot/teams/work.py), once per
activity: the inbox row's unique key is the de-duplication, so a Bot Framework redelivery never runs them
again, and a failure is retried by the worker. Card presses (invokes) arrive here inside their request.
"""

from __future__ import annotations

import dataclasses
import logging

from microsoft_teams.api.activities import ConversationUpdateActivity, MessageActivity
from microsoft_teams.api.activities.invoke import AdaptiveCardInvokeActivity
from microsoft_teams.api.models import AdaptiveCardActionCardResponse
from microsoft_teams.apps import ActivityContext, App

from bot.runtime import Runtime
from bot.teams import forms, parse
from bot.teams.graph import GraphPeople
from bot.teams.people import find_by_teams_id, remember_profile, with_profile
from bot.teams.render import to_activity, to_card
from handlers.messages import InboundMessage, Reply

log = logging.getLogger(__name__)

WELCOME_TEXT = "hello"  # help's alias: the introduction and every command
SETUP_COMMAND = "setup"  # onboarding's questions, when that module is registered


class TeamsListeners:
    """Registers joinup's handlers on the SDK App; every one of them goes through the Dispatcher."""

    def __init__(self, runtime: Runtime, *, graph: GraphPeople | None = None) -> None:
        self.runtime = runtime
        self.graph = graph

    def register(self, app: App) -> None:
        """Attach the message, card-action and conversation-update handlers."""
        app.on_message(self.on_message)
        app.on_card_action(self.on_card_action)
        app.on_conversation_update(self.on_conversation_update)

    async def _answer(self, msg: InboundMessage) -> Reply:
        form = forms.form_for(msg.text) if msg.action is None else None
        if form is not None:
            return form  # nothing to store yet: the submitted form goes through the Dispatcher like typing
        msg, profile = await with_profile(msg, sessions=self.runtime.sessions, graph=self.graph)
        reply = await self.runtime.dispatcher.handle(msg)
        if profile is not None:
            try:
                remember_profile(
                    sessions=self.runtime.sessions,
                    clock=self.runtime.clock,
                    teams_user_id=msg.sender_key,
                    profile=profile,
                )
            except Exception:  # Graph extras must never cost the person their answer
                log.exception("could not store the Graph profile", extra={"teams_user_id": msg.sender_key})
        return reply

    async def on_message(self, ctx: ActivityContext[MessageActivity]) -> None:
        """Typed text or an Action.Submit press: answer in the same conversation."""
        reply = await self._answer(parse.from_message(ctx.activity))
        await ctx.send(to_activity(reply))

    async def on_card_action(
        self, ctx: ActivityContext[AdaptiveCardInvokeActivity]
    ) -> AdaptiveCardActionCardResponse:
        """An Action.Execute press: the answer replaces the card that was pressed."""
        reply = await self._answer(parse.from_card_action(ctx.activity))
        return AdaptiveCardActionCardResponse(value=to_card(reply))

    async def on_conversation_update(self, ctx: ActivityContext[ConversationUpdateActivity]) -> None:
        """The bot was installed: welcome card, then (in a personal chat) the onboarding questions."""
        activity = ctx.activity
        if not parse.bot_was_added(activity):
            return
        base = parse.from_activity(activity)
        await ctx.send(to_activity(await self._answer(dataclasses.replace(base, text=WELCOME_TEXT))))
        if self._needs_onboarding(base):
            await ctx.send(to_activity(await self._answer(dataclasses.replace(base, text=SETUP_COMMAND))))

    def _needs_onboarding(self, base: InboundMessage) -> bool:
        if not base.address or self.runtime.router.get_command(SETUP_COMMAND) is None:
            return False  # onboarding happens in the personal chat, and only when it is registered
        with self.runtime.sessions() as session:
            person = find_by_teams_id(session, base.sender_key)  # created or linked by the welcome
            return person is not None and not person.is_onboarded
