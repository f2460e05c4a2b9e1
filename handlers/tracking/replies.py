"""ack and feedback: either side records that a referral was acknowledged, and what came of it."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlmodel import Session, col, select

from handlers.access import auth
from handlers.context import HandlerContext
from handlers.intents.guard import Typed, guards_form, hand_over, hand_over_form, refuse_form, typed
from handlers.intents.items import Ack, ack_from_text, feedback_from_text
from handlers.intents.tracking import (
    FEEDBACK_FREE_TEXT_INPUTS,
    Feedback,
    FieldErrors,
    check_feedback,
    feedback_from_form,
)
from handlers.messages import Button, Field, InboundMessage, Reply
from handlers.router import Router
from handlers.state import clear_state, get_state, set_state
from handlers.tracking.forms import FEEDBACK_FORM, feedback_form
from handlers.tracking.words import (
    OUTCOME_WORDS,
    OUTCOMES_HELP,
    due_words,
)
from schedules.time import calendars
from schedules.time.words import moment_in_words
from schedules.tracking import chasing
from schedules.tracking.items import acknowledge, record_feedback, require_open
from storage.errors import NotFound
from storage.models import Team, TrackedItem

log = logging.getLogger(__name__)

ACK_USAGE = "ack <item>"
FEEDBACK_USAGE = "feedback <item> <outcome> [reason]"
NFA_FLOW = "nfa_reason"
_NO_ITEM = "Item references look like TI-0042. Type mine to see your open items."


def load_item(ctx: HandlerContext, session: Session, ref: str) -> tuple[TrackedItem, Team]:
    """Return an item the sender may change, and its receiving team.

    Raises:
        NotFound, NotAllowed: no such item, or not theirs (the refusal is audited).
    """
    item = session.exec(select(TrackedItem).where(col(TrackedItem.ref) == ref)).first()
    if item is None:
        raise NotFound("item", ref, hint=_NO_ITEM)
    auth.check(ctx, session, auth.CHANGE_ITEM, item=item)
    team = session.get(Team, item.to_team_id)
    assert team is not None
    return item, team


async def refresh_sent_reminders(
    ctx: HandlerContext, item_id: int, *, text: str, kinds: Iterable[str] | None = None
) -> None:
    """Replace reminders already delivered about an item, so their buttons don't linger once it is resolved."""
    with ctx.sessions() as session:
        sent = chasing.sent_messages(session=session, item_id=item_id, kinds=kinds)
    for person_id, message_ref in sent:
        try:
            await ctx.notifier.update(
                person_id=person_id, message_ref=message_ref, reply=Reply(text=text, kind="reminder")
            )
        except Exception:  # a stale button is harmless: pressing it gets a friendly "already done"
            log.warning("could not update a delivered reminder", extra={"item_id": item_id})


async def ack_item(intent: Ack, ctx: HandlerContext) -> Reply:
    """Mark an item as acknowledged: ack <item>."""
    ref = intent.item
    settings = ctx.settings.reminders
    with ctx.sessions.begin() as session:
        load_item(ctx, session, ref)
        item = acknowledge(session=session, clock=ctx.clock, settings=settings, ref=ref, person=ctx.person)
        team = session.get(Team, item.to_team_id)
        assert team is not None
        chasing.tell_other_side(
            session=session, clock=ctx.clock, item=item, team=team, actor=ctx.person, event="acknowledged"
        )
        calendar = calendars.calendar_for_team(team=team, settings=settings)
        fields: tuple[Field, ...] = ()
        if item.feedback_due_at is not None:
            late = item.feedback_due_at < ctx.clock.now()
            when = moment_in_words(item.feedback_due_at)
            if late:
                when += f" ({due_words(item.feedback_due_at, now=ctx.clock.now(), calendar=calendar)})"
            fields = (Field("Feedback due", when),)
        reply = Reply(
            text=f"{item.ref} ({item.case_ref}) is marked as acknowledged. "
            "I've stopped the acknowledgement reminders; add the outcome when it's decided.",
            fields=fields,
            buttons=(Button("Add feedback", "feedback", item.ref, style="primary"),),
        )
        item_id = item.id
    assert item_id is not None
    await refresh_sent_reminders(
        ctx, item_id, text=f"{ref} has been acknowledged. Nothing to do.", kinds=chasing.ACK_KINDS
    )
    return reply


ACK = Typed("ack", Ack, ack_from_text, ack_item)


def outcome_buttons(ref: str) -> tuple[Button, ...]:
    """One button per outcome (no further action needs a typed reason, so it explains how)."""
    return tuple(
        Button(words.capitalize(), "feedback", f"{ref} {key}") for key, words in OUTCOME_WORDS.items()
    )


async def feedback_form_submitted(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """A submitted feedback form: each input fills its own field; a refused field comes back beside it."""
    try:
        intent = check_feedback(feedback_from_form(msg.form))
    except FieldErrors as problems:
        return refuse_form(
            feedback_from_form(msg.form),
            ctx,
            problems.errors,
            show=lambda values, errors: feedback_form(values={**msg.form, **values}, errors=errors),
            inputs=FEEDBACK_FREE_TEXT_INPUTS,
        )
    return await hand_over_form(
        FEEDBACK,
        intent,
        ctx,
        show=lambda values, errors: feedback_form(values={**msg.form, **values}, errors=errors),
        inputs=FEEDBACK_FREE_TEXT_INPUTS,
    )


async def record_outcome(intent: Feedback, ctx: HandlerContext) -> Reply:
    """Record an outcome (asking for it, or for the reason for no further action, when it is missing)."""
    ref, outcome, reason = intent.item, intent.outcome, intent.reason
    named = ref
    if not outcome or (outcome == "no_further_action" and not reason):
        # Check the item before asking anything, so a stale button on a closed item is refused at once.
        with ctx.sessions() as session:
            item, receiving = load_item(ctx, session, ref)
            require_open(item, "record its outcome")
            named = describe_item(item, receiving)
    if not outcome:
        return Reply(
            text=f"What was the outcome for {named}? Press one, or type feedback {ref} and the outcome.",
            buttons=outcome_buttons(ref),
        )
    if outcome == "no_further_action" and not reason:
        with ctx.sessions.begin() as session:
            set_state(
                session=session,
                clock=ctx.clock,
                person_id=ctx.person_id,
                flow=NFA_FLOW,
                step="reason",
                data={"ref": ref, "named": named},
            )
        return _nfa_question(named)
    with ctx.sessions.begin() as session:
        load_item(ctx, session, ref)
        item = record_feedback(
            session=session,
            clock=ctx.clock,
            settings=ctx.settings.reminders,
            ref=ref,
            person=ctx.person,
            outcome=outcome,
            reason=reason,
        )
        team = session.get(Team, item.to_team_id)
        assert team is not None
        chasing.tell_other_side(
            session=session, clock=ctx.clock, item=item, team=team, actor=ctx.person, event="feedback"
        )
        why = f" Reason: {reason}." if reason else ""
        text = (
            f"Recorded the outcome of {item.ref} ({item.case_ref}): {OUTCOME_WORDS[outcome]}.{why} "
            "The item is closed and its reminders are cancelled."
        )
        buttons: tuple[Button, ...] = ()
        if outcome == "no_further_action" and ctx.person.id == item.from_person_id:
            text += " If you disagree with the decision, you can escalate it."
            buttons = (Button("Escalate", "escalate", item.ref, style="danger"),)
        item_id = item.id
    assert item_id is not None
    await refresh_sent_reminders(
        ctx, item_id, text=f"{ref} is closed: {OUTCOME_WORDS[outcome]}. Nothing to do."
    )
    return Reply(text=text, buttons=buttons)


def describe_item(item: TrackedItem, team: Team) -> str:
    """Name an item the way a question about it should: "TI-2041 (Children's front door, case NB-204518)"."""
    return f"{item.ref} ({team.name}, case {item.case_ref})"


def _nfa_question(named: str) -> Reply:
    return Reply(
        text=f"Why was there no further action on {named}? Type the reason in a few words, so the referrer "
        "knows what to do next (for example: below threshold, offered early help). No names, please.\n"
        "Type cancel to stop."
    )


async def _ask_nfa_reason(ctx: HandlerContext, step: str) -> Reply:
    """Ask for the no-further-action reason again, after the person left the question."""
    with ctx.sessions() as session:
        state = get_state(session=session, person_id=ctx.person_id)
        data = state.data if state is not None else {}
    return _nfa_question(str(data.get("named") or data.get("ref", "")))


async def nfa_reason_flow(msg: InboundMessage, ctx: HandlerContext, step: str) -> Reply:
    """Take the reason typed after the "No further action" button, and record the outcome with it."""
    with ctx.sessions.begin() as session:
        state = get_state(session=session, person_id=ctx.person_id)
        ref = str(state.data.get("ref", "")) if state is not None else ""
        clear_state(session=session, person_id=ctx.person_id)
    reason = ctx.args
    if not ref or not reason:
        return Reply(text="Say which item and why, like: feedback TI-0042 nfa below threshold.")
    return await hand_over(FEEDBACK, Feedback(item=ref, outcome="no_further_action", reason=reason), ctx)


FEEDBACK = Typed("feedback", Feedback, feedback_from_text, record_outcome)


def register(router: Router) -> None:
    """Register ack and feedback."""
    router.command(
        "ack",
        typed(ACK),
        aliases=("acknowledge", "acknowledged"),
        summary="Mark a referral as acknowledged (either side can).",
        usage=ACK_USAGE,
    )
    router.action("ack", typed(ACK))
    router.command(
        "feedback",
        typed(FEEDBACK),
        aliases=("outcome",),
        summary=f"Record what came of a referral and close it: {OUTCOMES_HELP}.",
        usage=FEEDBACK_USAGE,
    )
    router.action("feedback", typed(FEEDBACK))
    router.action(FEEDBACK_FORM, guards_form(feedback_form_submitted, FEEDBACK_FREE_TEXT_INPUTS))
    router.flow(
        NFA_FLOW,
        nfa_reason_flow,
        label="the question about why there was no further action",
        free_text_steps=("reason",),
        resume=_ask_nfa_reason,
    )
