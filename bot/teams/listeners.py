"""What joinup does with each Teams activity: parse it, hand it to the Dispatcher, render the Reply.

Messages and conversation updates reach these listeners from an inbox worker (bot/teams/work.py), once per
activity: the inbox row's unique key is the de-duplication, so a Bot Framework redelivery never runs them
again, and a failure is retried by the worker. Card presses (invokes) arrive here inside their request.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from microsoft_teams.api.activities import ConversationUpdateActivity, MessageActivity
from microsoft_teams.api.activities.invoke import AdaptiveCardInvokeActivity
from microsoft_teams.api.models import AdaptiveCardActionCardResponse
from microsoft_teams.apps import ActivityContext, App

from bot.runtime import Runtime
from bot.teams import channels, forms, parse
from bot.teams.graph import GraphPeople, GraphProfile
from bot.teams.people import find_by_email, find_by_teams_id, remember_profile, with_profile
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

    def _team_picker(self, reply: Reply, msg: InboundMessage) -> Reply:
        """Give a referral form the directory's teams to choose from (the person's area, local teams)."""
        if reply.form is None or reply.form.submit_action != forms.REFER_FORM:
            return reply
        with self.runtime.sessions() as session:
            person = find_by_teams_id(session, msg.sender_key)
            if person is None and msg.sender_email:
                person = find_by_email(session, msg.sender_email)  # first contact: their Slack or demo self
            choices = forms.team_choices(session, person)
        pressed = msg.action == forms.REFER_BUTTON and msg.action_value
        submitted = {forms.TEAM_PICKER: msg.action_value or ""} if pressed else msg.form
        return forms.with_team_picker(reply, choices, submitted)

    async def _answer(self, msg: InboundMessage) -> Reply:
        msg, profile = await with_profile(msg, sessions=self.runtime.sessions, graph=self.graph)
        reply = await self._dispatch(msg, profile)
        return await asyncio.to_thread(self._team_picker, reply, msg)

    async def _dispatch(self, msg: InboundMessage, profile: GraphProfile | None) -> Reply:
        form = forms.form_for(msg.text) if msg.action is None else None
        if msg.action == forms.REFER_BUTTON and msg.action_value:
            # A directory result's "Log a referral": the card form with that team chosen.
            form = forms.refer_form()
        if form is not None:
            return form  # nothing to store yet: the submitted form goes through the Dispatcher like typing
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
        msg = parse.from_message(ctx.activity)
        reply = await self._answer(msg)
        activity = to_activity(reply)
        if channels.is_channel(ctx.activity) and not await asyncio.to_thread(
            channels.stays_in_channel,
            msg,
            reply,
            router=self.runtime.router,
            sessions=self.runtime.sessions,
        ):
            # Everyone in a channel reads it: what names case references goes to the person's own chat.
            await channels.send_to_personal_chat(ctx, activity)
            await ctx.send(to_activity(Reply(text=channels.POINTER)))
            return
        if msg.action in forms.FORM_ACTIONS and ctx.activity.reply_to_id:
            # A submitted form: its answer (the confirmation, or the card again with the refused field
            # marked) replaces the card, so what was typed into it doesn't stay in the chat.
            activity.id = ctx.activity.reply_to_id
        await ctx.send(activity)

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
