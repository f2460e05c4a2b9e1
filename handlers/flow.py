"""Multi-step conversations as data: each step asks, checks the answer, and names the next step.

The person's place in a flow (and what they answered so far) lives in `conversationstate`, so any replica
can continue it and nothing is lost on a restart. A flow's buttons all send the flow's name as the action,
with the answer as the value, so typing an answer and pressing its button are the same thing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from handlers.context import HandlerContext
from handlers.errors import to_reply
from handlers.intents import saving
from handlers.intents.guard import offer_cleaned_answer
from handlers.messages import Button, InboundMessage, Reply
from handlers.router import FlowHandler, Handler, Router
from handlers.state import clear_state, get_state, set_state
from storage.errors import InvalidInput, PersonalDataRefused

BACK_WORDS = frozenset({"back", "go back", "previous", "undo", "oops"})
DONE = "done"
START = "start"

Data = dict[str, Any]
# Returns the next step's key (or DONE). Raises InvalidInput to ask again.
Answer = Callable[[str, Data, HandlerContext], str]
Ask = Callable[[Data, HandlerContext], Reply]
Finish = Callable[[Data, HandlerContext], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Step:
    """One question: how to ask it and what to do with the answer."""

    key: str
    ask: Ask
    answer: Answer


@dataclass(frozen=True, slots=True)
class Flow:
    """A named sequence of steps and what happens when it is finished."""

    name: str
    steps: tuple[Step, ...]
    finish: Finish
    # What the first reply says before the first question (e.g. why we're asking).
    intro: str = ""
    steps_by_key: dict[str, Step] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.steps_by_key.update({step.key: step for step in self.steps})

    @property
    def first(self) -> Step:
        """Return the first step."""
        return self.steps[0]


def with_footer(reply: Reply, *, can_go_back: bool) -> Reply:
    """Add the 'type back / cancel' hint every question carries."""
    hint = (
        "Type back to change your last answer, or cancel to stop." if can_go_back else "Type cancel to stop."
    )
    return Reply(
        text=f"{reply.text}\n{hint}",
        fields=reply.fields,
        sections=reply.sections,
        buttons=reply.buttons,
        form=reply.form,
        kind=reply.kind,
        is_private=reply.is_private,
    )


def prepend(text: str, reply: Reply) -> Reply:
    """Return `reply` with `text` as a first paragraph."""
    return Reply(
        text=f"{text}\n\n{reply.text}" if reply.text else text,
        fields=reply.fields,
        sections=reply.sections,
        buttons=reply.buttons,
        form=reply.form,
        kind=reply.kind,
        is_private=reply.is_private,
    )


def choices(flow: str, options: tuple[tuple[str, str], ...]) -> tuple[Button, ...]:
    """Build a flow's answer buttons from (label, value) pairs."""
    return tuple(Button(label, flow, value) for label, value in options)


async def start(flow: Flow, ctx: HandlerContext, *, data: Data | None = None) -> Reply:
    """Begin `flow` for the sender at its first step (replacing any conversation in progress)."""
    data = dict(data or {})
    data["history"] = []
    _save(ctx, flow, flow.first.key, data)
    reply = with_footer(flow.first.ask(data, ctx), can_go_back=False)
    return prepend(flow.intro, reply) if flow.intro else reply


async def continue_flow(flow: Flow, msg: InboundMessage, ctx: HandlerContext, step_key: str) -> Reply:
    """Take one answer (typed, or a button's value) and move the flow on.

    A typed command never reaches here: the Dispatcher sets the question aside and runs the command.
    """
    with ctx.sessions() as session:
        state = get_state(session=session, person_id=ctx.person_id)
        data: Data = dict(state.data) if state is not None and state.flow == flow.name else {}
    if state is None or state.flow != flow.name:
        return await start(flow, ctx)
    value = (msg.action_value or "") if msg.action else ctx.args
    history: list[str] = list(data.get("history", []))
    if value.lower().strip(" .!") in BACK_WORDS:
        if not history:
            first = flow.steps_by_key.get(step_key, flow.first)
            return prepend(
                "This is the first question.", with_footer(first.ask(data, ctx), can_go_back=False)
            )
        previous = history.pop()
        data["history"] = history
        _save(ctx, flow, previous, data)
        return with_footer(flow.steps_by_key[previous].ask(data, ctx), can_go_back=bool(history))
    step = flow.steps_by_key.get(step_key)
    if step is None:  # a step that no longer exists (the flow changed since): start again
        return await start(flow, ctx)
    try:
        next_key = step.answer(value, data, ctx)
    except PersonalDataRefused as refused:
        # Nothing is stored; the cleaned answer waits (in this flow's state) for one press.
        offer = offer_cleaned_answer(ctx, refused)
        asked = with_footer(step.ask(data, ctx), can_go_back=bool(history))
        return replace(prepend(offer.text, asked), buttons=offer.buttons + asked.buttons)
    except InvalidInput as error:
        problem = to_reply(error).text
        return prepend(problem, with_footer(step.ask(data, ctx), can_go_back=bool(history)))
    if next_key == DONE:
        # The conversation ends before `finish` runs, so whatever it does next (onboarding replays the
        # command that started it) isn't taken as another answer; if `finish` fails, the place is restored.
        with ctx.sessions.begin() as session:
            clear_state(session=session, person_id=ctx.person_id)
        try:
            return await flow.finish(data, ctx)
        except Exception:
            _save(ctx, flow, step.key, data)
            raise
    history.append(step.key)
    data["history"] = history
    _save(ctx, flow, next_key, data)
    return with_footer(flow.steps_by_key[next_key].ask(data, ctx), can_go_back=True)


def _save(ctx: HandlerContext, flow: Flow, step: str, data: Data) -> None:
    """Remember where the person is in `flow`."""
    with ctx.sessions.begin() as session:
        set_state(
            session=session, clock=ctx.clock, person_id=ctx.person_id, flow=flow.name, step=step, data=data
        )


def flow_handler(flow: Flow) -> FlowHandler:
    """Return the router's handler for typed answers in `flow`."""

    async def handle(msg: InboundMessage, ctx: HandlerContext, step: str) -> Reply:
        if step == START:
            return await start(flow, ctx)
        return await continue_flow(flow, msg, ctx, step)

    return handle


def resumer(flow: Flow) -> Callable[[HandlerContext, str], Awaitable[Reply]]:
    """Return what asks `flow`'s question at a step again (for `continue` after another command)."""

    async def resume(ctx: HandlerContext, step_key: str) -> Reply:
        with ctx.sessions() as session:
            state = get_state(session=session, person_id=ctx.person_id)
            data: Data = dict(state.data) if state is not None and state.flow == flow.name else {}
        step = flow.steps_by_key.get(step_key)
        if step is None:
            return await start(flow, ctx)
        return with_footer(step.ask(data, ctx), can_go_back=bool(data.get("history")))

    return resume


def button_handler(flow: Flow, *, expired: str) -> Handler:
    """Return the handler for `flow`'s buttons: an answer if the flow is still at a question, else `expired`."""

    async def handle(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        with ctx.sessions() as session:
            state = get_state(session=session, person_id=ctx.person_id)
            step = state.step if state is not None and state.flow == flow.name else None
        if step is None:
            return Reply(text=expired)
        return await continue_flow(flow, msg, ctx, step)

    return handle


async def nothing_to_cancel(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Answer 'cancel' or 'back' when no conversation is in progress."""
    return Reply(text="There's nothing to cancel or go back to. Type help to see what I can do.")


def register(router: Router) -> None:
    """Register cancel and back for when no flow is in progress (inside a flow the Dispatcher handles them)."""
    router.command("cancel", nothing_to_cancel, aliases=("back", "undo", "abort"))
    # "Save without it" after a privacy refusal, for any question in progress and any typed intent.
    saving.register(router)


def acceptor(flow: Flow) -> Callable[[HandlerContext, str, str], bool]:
    """Return whether a line is a good answer at a step of `flow` (tried on a copy; nothing is saved)."""

    def accepts(ctx: HandlerContext, step_key: str, text: str) -> bool:
        step = flow.steps_by_key.get(step_key)
        if step is None:
            return False
        with ctx.sessions() as session:
            state = get_state(session=session, person_id=ctx.person_id)
            data: Data = dict(state.data) if state is not None and state.flow == flow.name else {}
        try:
            step.answer(text, data, ctx)
        except (InvalidInput, PersonalDataRefused):
            return False
        return True

    return accepts
