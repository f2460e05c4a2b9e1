""" "Save without it": the one press after a privacy refusal that saves the same intent, cleaned.

The cleaned intent waits in the person's conversation state (flow "save_without"). Pressing the button
(console `/press N`, a Slack button, a Teams Action.Submit) or typing "save" saves it; anything else
drops it and is handled as usual, so nothing the person types is swallowed.
"""

from __future__ import annotations

from dataclasses import replace

from handlers.context import HandlerContext
from handlers.intents.guard import CLEANED_ANSWER, SAVE_ANSWER, SAVE_WITHOUT, save_pending
from handlers.messages import InboundMessage, Reply
from handlers.router import Handler, Router
from handlers.state import clear_state, get_state, set_state

PARKED = "_parked"  # the Dispatcher's mark on a question set aside (see handlers.dispatch)

SAVE_WORDS = frozenset({"save", "save it", "save without it", "yes", "y", "ok", "okay"})


async def _take_pending(ctx: HandlerContext) -> dict[str, object] | None:
    with ctx.sessions.begin() as session:
        state = get_state(session=session, person_id=ctx.person_id)
        if state is None or state.flow != SAVE_WITHOUT:
            return None
        kept = dict(state.data)
        clear_state(session=session, person_id=ctx.person_id)
    return kept


async def save_button(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """The "Save without it" button."""
    kept = await _take_pending(ctx)
    if kept is None:
        return Reply(
            text="That button has expired; nothing was saved. Type the note again without the personal details."
        )
    return await save_pending(ctx, kept)


async def save_flow(msg: InboundMessage, ctx: HandlerContext, step: str) -> Reply:
    """A line typed while a cleaned note waits: "save" saves it; anything else drops it and is handled."""
    if ctx.args.lower().strip(" .!") in SAVE_WORDS:
        return await save_button(msg, ctx)
    await _take_pending(ctx)
    if ctx.dispatch is None:
        return Reply(text="Nothing was saved. Type help to see what I can do.")
    return await ctx.dispatch(msg)


def answer_saver(router: Router) -> Handler:
    """Return the handler for "Save without it" on a refused answer: the question in progress is answered
    with the cleaned text kept in its state, as if the person had typed it."""

    async def save_answer(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        with ctx.sessions.begin() as session:
            state = get_state(session=session, person_id=ctx.person_id)
            cleaned = str(state.data.get(CLEANED_ANSWER, "")) if state is not None else ""
            if state is None or not cleaned:
                return Reply(text="That button has expired; nothing was saved. Type your answer again.")
            flow, step = state.flow, state.step
            kept = {k: v for k, v in state.data.items() if k not in (CLEANED_ANSWER, PARKED)}
            set_state(
                session=session, clock=ctx.clock, person_id=ctx.person_id, flow=flow, step=step, data=kept
            )
        handler = router.get_flow(flow)
        if handler is None:
            return Reply(text="That button has expired; nothing was saved. Type your answer again.")
        typed_answer = replace(msg, text=cleaned, action=None, action_value=None)
        return await handler(typed_answer, replace(ctx, args=cleaned), step)

    return save_answer


def register(router: Router) -> None:
    """Register the buttons and the waiting state (once, however many domains use typed intents)."""
    if router.get_action(SAVE_WITHOUT) is not None:
        return
    router.action(SAVE_WITHOUT, save_button)
    router.action(SAVE_ANSWER, answer_saver(router))
    router.flow(SAVE_WITHOUT, save_flow, label="the note that wasn't saved", ends_on_command=True)
