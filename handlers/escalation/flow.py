"""The escalation walkthrough's conversation: the immediate-risk answer, then the follow-up questions
(outcome and rationale, what was tried and why it failed, why it is withdrawn) that record each step."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from handlers.access import auth
from handlers.context import HandlerContext
from handlers.errors import to_reply
from handlers.escalation import cards, response, risk, steps
from handlers.intents.guard import offer_cleaned_answer
from handlers.messages import InboundMessage, Reply
from handlers.state import clear_state, get_state, set_state
from schedules.escalation import ladder as escalation
from schedules.escalation import records as escalation_records
from storage.errors import DomainError, InvalidInput, PersonalDataRefused, WrongState

FLOW = "escalate"
_YES = frozenset({"yes", "y", "yeah", "yep", "yes they are", "yes, a child is at immediate risk"})
_UNSURE = frozenset(
    {"maybe", "not sure", "unsure", "don't know", "dont know", "i don't know", "possibly", "perhaps"}
)
_NO = frozenset({"no", "n", "nope", "no they are not", "not at immediate risk"})

# What each follow-up step asks; the answers are checked before anything moves on.
QUESTIONS = {
    "resolve_outcome": "What was agreed? Write the outcome in a sentence, without names.",
    "resolve_rationale": "Why is that the right outcome? Write the rationale in a sentence or two, without names.",
    "next_tried": "What did you try at this level? For example: called the duty senior practitioner twice "
    "and sent a secure email.",
    "next_why": "Why didn't it resolve? For example: they still say it is below threshold, with no new reasons.",
    "withdraw_why": "Why are you withdrawing it? For example: new information came in and I now agree.",
}


def checked_subject(
    ctx: HandlerContext,
    session: Session,
    *,
    case_ref: str | None,
    item_ref: str | None,
    team_id: int | None,
    is_disagreement: bool,
) -> escalation.Subject:
    """Check the case (or item) can be escalated now, and that the sender may: a party to the case.

    Raises:
        NotFound, InvalidInput, PersonalDataRefused, WrongState: see escalation.check_subject.
        NotAllowed: the sender isn't a party to the case (the refusal is audited).
    """
    subject = escalation.check_subject(
        session=session,
        person_id=ctx.person_id,
        case_ref=case_ref,
        item_ref=item_ref,
        other_team_id=team_id,
        is_disagreement=is_disagreement,
    )
    auth.check(ctx, session, auth.CREATE_ITEM)  # read-only roles (auditors) don't escalate
    if subject.item is not None:
        auth.check(ctx, session, auth.VIEW_ITEM, item=subject.item)
    elif not subject.is_new_case:  # a case joinup knows: only those party to it may escalate about it
        auth.check(ctx, session, auth.READ_CHRONOLOGY, case_ref=subject.case_ref)
    return subject


def _subject(ctx: HandlerContext, session: Session, data: dict[str, Any]) -> escalation.Subject:
    # Checked again when answered: the item may have closed, or another escalation started, meanwhile.
    return checked_subject(
        ctx,
        session,
        case_ref=data["case_ref"],
        item_ref=data.get("item_ref"),
        team_id=data.get("team_id"),
        is_disagreement=bool(data.get("disagreement")),
    )


async def answer_risk(ctx: HandlerContext, is_at_risk: bool) -> Reply:
    """Answer the immediate-risk question: yes stops here with who to call; no opens level 1."""
    with ctx.sessions.begin() as session:
        state = get_state(session=session, person_id=ctx.person_id)
        if state is None or state.flow != FLOW or state.step != "risk":
            return Reply(
                text="That question has expired. Type escalate and the case reference to start again."
            )
        data = dict(state.data)
        clear_state(session=session, person_id=ctx.person_id)
    with ctx.sessions.begin() as session:
        subject = _subject(ctx, session, data)
        if is_at_risk:
            escalation.stop_immediate_risk(
                session=session, clock=ctx.clock, person_id=ctx.person_id, subject=subject
            )
        else:
            started = escalation.start(
                session=session,
                clock=ctx.clock,
                settings=ctx.settings.reminders,
                person_id=ctx.person_id,
                subject=subject,
            )
            return cards.level_reply(
                session,
                started,
                intro=f"Thank you. I've opened {started.ref} at level 1 and started its clock.",
            )
    # Built after the record is safely stored: the directory lookup must never lose it.
    with ctx.sessions() as session:
        return risk.immediate_risk_reply(session=session, at=ctx.clock.now(), case_ref=subject.case_ref)


def _ask(step: str, ref: str, prefix: str = "") -> Reply:
    text = f"{prefix}{ref}: {QUESTIONS[step]}\nType cancel to stop; nothing changes until you answer."
    return Reply(text=text.strip())


def _intro(step: str, level: int) -> str:
    match step:
        case "next_tried":
            return f"two questions before it moves to level {level + 1}: what you tried, and why it didn't resolve."
        case "next_why":
            return f"one question before it moves to level {level + 1}: why it didn't resolve."
        case "resolve_outcome":
            return "two questions to record the outcome: what was agreed, and why it is the right outcome."
        case "resolve_rationale":
            return "one question to record the outcome: why it is the right outcome."
        case _:
            return "one question before it is withdrawn: why you are withdrawing it."


async def follow_up(ctx: HandlerContext, ref: str | None, step: str) -> Reply:
    """Start a follow-up question about an open escalation the person may change."""
    if not ref:
        return Reply(text="That button has expired. Type escalations to see yours.")
    with ctx.sessions.begin() as session:
        found = steps.changeable(ctx, session, ref, "change it")
        if step == "next_tried":
            policy = escalation_records.policy_for(session=session, escalation=found)
            if found.level >= policy.last_level:
                raise WrongState(
                    "escalation",
                    found.ref,
                    "at the last level",
                    "move it up a level. When the decision comes, press Record the decision",
                )
        kind = steps.FORM_FOR_STEP[step]
        # Answering the other side's response: what they said is already known, so ask only the rest.
        known = steps.prefill(session, kind, found)
        if step == "resolve_outcome" and "outcome" in known:
            step = "resolve_rationale"
        elif step == "next_tried" and "tried" in known:
            step = "next_why"
        set_state(
            session=session,
            clock=ctx.clock,
            person_id=ctx.person_id,
            flow=FLOW,
            step=step,
            data={"ref": found.ref, **known},
        )
        # The form asks the questions (a console asks them in turn, Slack and Teams show them): the message
        # only says what they are for, so no question is asked twice in a row.
        return Reply(
            text=f"{found.ref}: {_intro(step, found.level)}\nType cancel to stop; nothing changes until you answer.",
            form=steps.form_for(kind, found, known),
        )


async def continue_flow(msg: InboundMessage, ctx: HandlerContext, step: str) -> Reply:
    """Handle a typed answer in the middle of the walkthrough."""
    text = ctx.args
    if step == "risk":
        answer = text.lower().strip(" .!")
        if answer in _YES:
            return await answer_risk(ctx, True)
        if answer in _NO:
            return await answer_risk(ctx, False)
        with ctx.sessions.begin() as session:
            state = get_state(session=session, person_id=ctx.person_id)
            case_ref = str(state.data.get("case_ref", "")) if state else ""
            if answer not in _UNSURE and ctx.dispatch is not None:
                # Something else entirely (mine, find ...): leave the question and do that instead.
                clear_state(session=session, person_id=ctx.person_id)
        if answer in _UNSURE or ctx.dispatch is None:
            question = risk.risk_question(case_ref)
            return Reply(text=f"{risk.UNSURE_ADVICE}\n\n{question.text}", buttons=question.buttons)
        return await ctx.dispatch(msg)
    with ctx.sessions() as session:
        state = get_state(session=session, person_id=ctx.person_id)
        data = dict(state.data) if state else {}
    ref = str(data.get("ref", ""))
    try:
        if step in response.QUESTIONS:
            return await response.continue_answer(ctx, step, {k: str(v) for k, v in data.items()}, text)
        return await _record_answer(ctx, step, ref, data, text)
    except (InvalidInput, PersonalDataRefused) as error:
        # Ask again: nothing was stored, and the person keeps their place in the walkthrough. Personal
        # data in a rationale: its cleaned text waits (in this walkthrough's state) for one press.
        asked = QUESTIONS.get(step) or response.QUESTIONS.get(step, "")
        if isinstance(error, PersonalDataRefused):
            offer = offer_cleaned_answer(ctx, error)
            return Reply(text=f"{offer.text}\n{asked}".strip(), buttons=offer.buttons)
        return Reply(text=f"{to_reply(error).text}\n{asked}".strip())
    except DomainError:
        # The escalation closed or changed hands meanwhile: end the walkthrough, then say why.
        with ctx.sessions.begin() as session:
            clear_state(session=session, person_id=ctx.person_id)
        raise


async def _record_answer(ctx: HandlerContext, step: str, ref: str, data: dict[str, Any], text: str) -> Reply:
    final: dict[str, steps.Outcome] = {
        "resolve_rationale": "resolve",
        "next_why": "next",
        "withdraw_why": "withdraw",
    }
    if step in final:
        answers = {"outcome": str(data.get("outcome", "")), "tried": str(data.get("tried", "")), "why": text}
        return await steps.record(ctx, final[step], ref, answers)
    following = {"resolve_outcome": ("resolve_rationale", "outcome"), "next_tried": ("next_why", "tried")}
    with ctx.sessions.begin() as session:
        steps.changeable(ctx, session, ref, "change it")
        if step in following:
            escalation_records.check_free_text(
                session=session,
                field=following[step][1],
                text=text,
                max_length=300 if step == "next_tried" else 200,
            )
            next_step, key = following[step]
            set_state(
                session=session,
                clock=ctx.clock,
                person_id=ctx.person_id,
                flow=FLOW,
                step=next_step,
                data={**data, key: text},
            )
            return _ask(next_step, ref)
    with ctx.sessions.begin() as session:
        clear_state(session=session, person_id=ctx.person_id)
    return Reply(text="I lost my place there. Type escalations to see yours, or help.")


async def resume(ctx: HandlerContext, step: str) -> Reply:
    """Ask the walkthrough's question at `step` again, after the person left it for another command."""
    with ctx.sessions() as session:
        state = get_state(session=session, person_id=ctx.person_id)
        data = dict(state.data) if state is not None else {}
    if step == "risk":
        return risk.risk_question(str(data.get("case_ref", "")))
    return _ask(step, str(data.get("ref", "")))
