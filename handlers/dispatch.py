"""The platform-neutral bot: resolve the sender, guard personal data, route, and map errors."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from handlers.context import HandlerContext
from handlers.errors import nhs_refusal, to_reply
from handlers.flow import BACK_WORDS, prepend
from handlers.identity import existing_person, resolve_person
from handlers.intents.guard import SAVE_ANSWER, form_free_text, is_guarded
from handlers.messages import InboundMessage, Notifier, Reply
from handlers.router import MAX_TEXT_LENGTH, FlowInfo, Handler, Intent, Router, clean_text
from handlers.state import clear_state, get_state, set_state
from schedules.settings import DomainSettings
from schedules.time.clock import Clock
from storage import audit
from storage.errors import DomainError
from storage.privacy import find_nhs_number
from storage.references import is_case_ref, parse_escalation_ref, parse_item_ref

log = logging.getLogger(__name__)

CANCEL_WORDS = frozenset(
    {"cancel", "stop", "quit", "exit", "never mind", "nevermind", "forget it", "abort", "end", "start again"}
)
# Words that go back to a question set aside by another command.
CONTINUE_WORDS = frozenset({"continue", "carry on", "go on", "where was i", "where were we"})
ONBOARDING_FLOW = "onboarding"
# Command words a sentence in a free-text answer may well start with.
PROSE_WORDS = frozenset(
    {"refer", "referred", "share", "sharing", "consent", "close", "due", "deadline", "contact", "who",
     "search", "outcome", "challenge", "disagree", "checked", "verified", "register", "start", "pause",
     "resume", "escalate", "escalation", "role", "explain", "define", "help", "hello", "hi", "hey"}
)  # fmt: skip
PARKED = "_parked"  # in a conversation's data: the question was set aside by another command


@dataclass(frozen=True, slots=True)
class Pending:
    """The question a person was asked and hasn't answered yet."""

    flow: str
    step: str
    is_parked: bool


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
        said_nhs = " ".join([msg.text, *self._unguarded_inputs(msg)])
        if find_nhs_number(said_nhs) and not self._guards_itself(msg):
            # Refused before anything is stored or logged; the audit row holds no text. (A typed command
            # whose intent is guarded is refused by the guard instead, which can offer to save without it.)
            with self.sessions.begin() as session:
                audit.record(
                    session=session,
                    at=self.clock.now(),
                    actor=f"{msg.platform}:{msg.sender_key}"[:80],
                    action="privacy.refused",
                    subject="nhs_number",
                )
            return Reply(text=nhs_refusal(said_nhs))
        with self.sessions.begin() as session:
            person = resolve_person(
                session=session, clock=self.clock, msg=msg, default_nation=self.settings.default_nation
            )
            state = get_state(session=session, person_id=person.id or 0)
            pending = Pending(state.flow, state.step, bool(state.data.get(PARKED))) if state else None
        ctx = HandlerContext(
            person=person,
            clock=self.clock,
            sessions=self.sessions,
            notifier=self.notifier,
            settings=self.settings,
            message=msg,
            dispatch=self.handle,
            words=self.router.words,
        )
        if msg.action:
            return await self._press(msg, ctx, pending)
        text = clean_text(msg.text)
        said = text.lower().strip(" .!")
        if pending is not None and pending.is_parked and said in CONTINUE_WORDS | BACK_WORDS:
            return await self._resume(ctx, pending)
        if pending is not None and not pending.is_parked:
            if said in CANCEL_WORDS:
                with self.sessions.begin() as session:
                    clear_state(session=session, person_id=ctx.person_id)
                return Reply(
                    text="OK, I've stopped that. Nothing else was changed. Type help to see what I can do."
                )
            info = self.router.flow_info(pending.flow)
            command = self._command_leaving(ctx, text, info, pending.step) if info is not None else None
            if info is not None and command is None:
                # A plain answer: only this answers the pending question.
                return await info.handler(msg, replace(ctx, args=text), pending.step)
            if info is not None and command is not None:
                return await self._leave_and_run(command, msg, ctx, info, pending)
        return await self._command(self.router.parse(text), msg, ctx)

    def _unguarded_inputs(self, msg: InboundMessage) -> list[str]:
        """A form's input values, less the free-text inputs its handler guards itself (a referral form's
        note is refused by the privacy guard, beside the input, with "Save without it")."""
        found = self.router.get_action(msg.action) if msg.action and msg.form else None
        guarded = form_free_text(found[0]) if found is not None else frozenset()
        return [value for key, value in msg.form.items() if key not in guarded]

    def _guards_itself(self, msg: InboundMessage) -> bool:
        """Whether a typed line is a command that parses into an intent and guards its own fields."""
        if msg.action or msg.form:
            return False  # a form's inputs are refused here, as always
        with self.sessions() as session:  # read only: a refused message creates nothing, not even a person
            person = existing_person(session, msg)
            state = get_state(session=session, person_id=person.id or 0) if person is not None else None
        if person is None or (state is not None and not state.data.get(PARKED)):
            return False  # someone new, or an answer to a pending question: refused here, as always
        intent = self.router.parse(clean_text(msg.text))
        command = self.router.get_command(intent.name)
        return command is not None and is_guarded(command.handler)

    async def _command(self, intent: Intent, msg: InboundMessage, ctx: HandlerContext) -> Reply:
        ctx = replace(ctx, args=intent.args, word=intent.word)
        if intent.name == "search":
            fallback = self.router.fallback_handler
            if fallback is None:
                return Reply(text="I didn't understand that. Type help to see what I can do.")
            return await fallback(msg, ctx)
        command = self.router.get_command(intent.name)
        assert command is not None
        return await self._run(command.handler, msg, ctx, needs_onboarding=command.needs_onboarding)

    def _command_leaving(self, ctx: HandlerContext, text: str, info: FlowInfo, step: str) -> Intent | None:
        """Return the command a line typed during a pending question is, or None for a plain answer."""
        if text.lower().strip(" .!") in BACK_WORDS:
            return None  # the flow itself goes back a question
        intent = self.router.parse_command(text)
        if intent is None or step not in info.free_text_steps:
            if intent is not None and info.accepts is not None and info.accepts(ctx, step, text):
                return None
            return intent
        if intent.word not in PROSE_WORDS:
            return intent
        # A free-text answer may start with a command word that is also ordinary English ("referred to
        # early help"): then only a bare command, or one naming a reference, leaves the question.
        prefixes = self.settings.reference_prefixes
        names_a_reference = any(
            parse_item_ref(word) or parse_escalation_ref(word) or is_case_ref(word, prefixes=prefixes)
            for word in (w.strip(".,?!") for w in intent.args.split())
        )
        return intent if not intent.args or names_a_reference else None

    async def _leave_and_run(
        self, intent: Intent, msg: InboundMessage, ctx: HandlerContext, info: FlowInfo, pending: Pending
    ) -> Reply:
        """Set the pending question aside (kept for `continue`), then run the command typed instead."""
        if intent.name == pending.flow or info.ends_on_command:  # it starts over, or the command ends it
            with self.sessions.begin() as session:
                clear_state(session=session, person_id=ctx.person_id)
            return await self._command(intent, msg, ctx)
        self._park(ctx, pending, parked=True)
        reply = await self._command(intent, msg, ctx)
        return prepend(self._left_note(ctx, info, pending), reply)

    async def _press(self, msg: InboundMessage, ctx: HandlerContext, pending: Pending | None) -> Reply:
        assert msg.action is not None
        found = self.router.get_action(msg.action)
        if found is None:
            return Reply(text="That button has expired. Type mine to see your items, or help.")
        handler, needs_onboarding = found
        info = self.router.flow_info(pending.flow) if pending is not None else None
        if pending is None or info is None:
            return await self._run(handler, msg, ctx, needs_onboarding=needs_onboarding)
        if msg.action in info.actions or msg.action == SAVE_ANSWER:  # an answer to the pending question
            if pending.is_parked:
                self._park(ctx, pending, parked=False)
            return await self._run(handler, msg, ctx, needs_onboarding=needs_onboarding)
        if pending.is_parked:
            return await self._run(handler, msg, ctx, needs_onboarding=needs_onboarding)
        # A button from another message: leave the question, as a typed command would.
        self._park(ctx, pending, parked=True)
        reply = await self._run(handler, msg, ctx, needs_onboarding=needs_onboarding)
        return prepend(self._left_note(ctx, info, pending), reply)

    def _park(self, ctx: HandlerContext, pending: Pending, *, parked: bool) -> None:
        with self.sessions.begin() as session:
            state = get_state(session=session, person_id=ctx.person_id)
            if state is None or state.flow != pending.flow:
                return
            data = {key: value for key, value in state.data.items() if key != PARKED}
            if parked:
                data[PARKED] = True
            set_state(
                session=session,
                clock=self.clock,
                person_id=ctx.person_id,
                flow=state.flow,
                step=state.step,
                data=data,
            )

    def _left_note(self, ctx: HandlerContext, info: FlowInfo, pending: Pending) -> str:
        """Say what happened to the question: set aside (if the command didn't start another) or ended."""
        with self.sessions() as session:
            state = get_state(session=session, person_id=ctx.person_id)
            kept = state is not None and state.flow == pending.flow and bool(state.data.get(PARKED))
        if kept:
            return f"Left {info.label}; type continue to go back to them."
        return f"Left {info.label}."

    async def _resume(self, ctx: HandlerContext, pending: Pending) -> Reply:
        """Go back to a question set aside by a command."""
        self._park(ctx, pending, parked=False)
        info = self.router.flow_info(pending.flow)
        label = info.label if info is not None else "the questions"
        if info is not None and info.resume is not None:
            return prepend(f"Back to {label}.", await info.resume(ctx, pending.step))
        return Reply(text=f"Back to {label}. Answer the last question, or type cancel to stop.")

    async def _run(
        self, handler: Handler, msg: InboundMessage, ctx: HandlerContext, *, needs_onboarding: bool
    ) -> Reply:
        if needs_onboarding and not ctx.person.is_onboarded:
            start = self.router.get_flow(ONBOARDING_FLOW)
            if start is not None:
                return await start(msg, ctx, "start")
        return await handler(msg, ctx)
