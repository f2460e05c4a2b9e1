"""The platform-neutral bot: resolve the sender, guard personal data, route, and map errors."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from handlers.context import HandlerContext
from handlers.errors import NHS_REFUSAL, to_reply
from handlers.identity import resolve_person
from handlers.messages import InboundMessage, Notifier, Reply
from handlers.router import MAX_TEXT_LENGTH, Handler, Router, clean_text
from handlers.state import clear_state, get_state
from schedules.settings import DomainSettings
from schedules.time.clock import Clock
from storage import audit
from storage.errors import DomainError
from storage.privacy import find_nhs_number

log = logging.getLogger(__name__)

CANCEL_WORDS = frozenset(
    {"cancel", "stop", "quit", "exit", "never mind", "nevermind", "forget it", "abort", "end", "start again"}
)
ONBOARDING_FLOW = "onboarding"


class Dispatcher:
    """Turns an InboundMessage into a Reply; shared by Slack, Teams and the console."""

    def __init__(
        self,
        *,
        router: Router,
        sessions: sessionmaker[Session],
        clock: Clock,
        notifier: Notifier,
        settings: DomainSettings,
    ) -> None:
        self.router = router
        self.sessions = sessions
        self.clock = clock
        self.notifier = notifier
        self.settings = settings

    async def handle(self, msg: InboundMessage) -> Reply:
        """Answer one message. Never raises: every error becomes a friendly reply."""
        try:
            return await self._handle(msg)
        except DomainError as error:
            return to_reply(error)
        except Exception as error:  # the last line of defence: no stack traces in chat
            error_id = uuid.uuid4().hex[:8]
            log.exception("unhandled error", extra={"error_id": error_id, "platform": msg.platform})
            self._audit_error(msg, error_id, error)
            return to_reply(error, error_id=error_id)

    def _audit_error(self, msg: InboundMessage, error_id: str, error: Exception) -> None:
        try:
            with self.sessions.begin() as session:
                audit.record(
                    session=session,
                    at=self.clock.now(),
                    actor=f"{msg.platform}:{msg.sender_key}"[:80],
                    action="error",
                    subject=f"error:{error_id}",
                    data={"type": type(error).__name__},
                )
        except Exception:
            log.exception("could not audit an error", extra={"error_id": error_id})

    async def _handle(self, msg: InboundMessage) -> Reply:
        if len(msg.text) > MAX_TEXT_LENGTH:
            return Reply(
                text="That message is too long for me. Send a short command, like "
                "find health visitor, or type help."
            )
        if find_nhs_number(" ".join([msg.text, *msg.form.values()])):
            # Refused before anything is stored or logged; the audit row holds no text.
            with self.sessions.begin() as session:
                audit.record(
                    session=session,
                    at=self.clock.now(),
                    actor=f"{msg.platform}:{msg.sender_key}"[:80],
                    action="privacy.refused",
                    subject="nhs_number",
                )
            return Reply(text=NHS_REFUSAL)
        with self.sessions.begin() as session:
            person = resolve_person(
                session=session, clock=self.clock, msg=msg, default_nation=self.settings.default_nation
            )
            state = get_state(session=session, person_id=person.id or 0)
            flow = (state.flow, state.step) if state else None
        ctx = HandlerContext(
            person=person,
            clock=self.clock,
            sessions=self.sessions,
            notifier=self.notifier,
            settings=self.settings,
            message=msg,
            dispatch=self.handle,
        )
        if msg.action:
            found = self.router.get_action(msg.action)
            if found is None:
                return Reply(text="That button has expired. Type mine to see your items, or help.")
            handler, needs_onboarding = found
            return await self._run(handler, msg, ctx, needs_onboarding=needs_onboarding)
        text = clean_text(msg.text)
        if flow is not None:
            if text.lower().strip(" .!") in CANCEL_WORDS:
                with self.sessions.begin() as session:
                    clear_state(session=session, person_id=ctx.person_id)
                return Reply(
                    text="OK, I've stopped that. Nothing else was changed. Type help to see what I can do."
                )
            if not text.lower().startswith("help"):
                flow_handler = self.router.get_flow(flow[0])
                if flow_handler is not None:
                    return await flow_handler(msg, ctx, flow[1])
        intent = self.router.parse(text)
        ctx = replace(ctx, args=intent.args)
        if intent.name == "search":
            fallback = self.router.fallback_handler
            if fallback is None:
                return Reply(text="I didn't understand that. Type help to see what I can do.")
            return await fallback(msg, ctx)
        command = self.router.get_command(intent.name)
        assert command is not None
        return await self._run(command.handler, msg, ctx, needs_onboarding=command.needs_onboarding)

    async def _run(
        self, handler: Handler, msg: InboundMessage, ctx: HandlerContext, *, needs_onboarding: bool
    ) -> Reply:
        if needs_onboarding and not ctx.person.is_onboarded:
            start = self.router.get_flow(ONBOARDING_FLOW)
            if start is not None:
                return await start(msg, ctx, "start")
        return await handler(msg, ctx)
