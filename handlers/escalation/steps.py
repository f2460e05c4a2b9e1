"""Recording a step's outcome (resolved, not resolved, withdrawn), whether the answers were typed one by one
in chat or submitted together in a form (a Slack modal, a Teams card, the console's form filler)."""

from __future__ import annotations

from typing import Literal

from sqlmodel import Session

from handlers.access import auth
from handlers.context import HandlerContext
from handlers.errors import to_reply
from handlers.escalation import cards
from handlers.messages import Form, FormInput, InboundMessage, Reply
from handlers.router import Handler, Router
from handlers.state import clear_state
from schedules.escalation import ladder as escalation
from schedules.escalation import records as escalation_records
from schedules.escalation import responses
from storage.errors import InvalidInput, PersonalDataRefused
from storage.models import Escalation, Team

Outcome = Literal["resolve", "next", "withdraw"]
KINDS: tuple[Outcome, ...] = ("resolve", "next", "withdraw")
SUBMIT = {
    "resolve": "escalation_resolve_form",
    "next": "escalation_next_form",
    "withdraw": "escalation_withdraw_form",
}
# Which form goes with the first question of each follow-up.
FORM_FOR_STEP: dict[str, Outcome] = {
    "resolve_outcome": "resolve",
    "next_tried": "next",
    "withdraw_why": "withdraw",
}
Notice = tuple[int, Reply]


def changeable(ctx: HandlerContext, session: Session, ref: str, wanted: str) -> Escalation:
    """Return an open escalation the sender may change.

    Raises:
        NotFound, WrongState: no such escalation, or it is closed.
        NotAllowed: the sender may not change it (the refusal is audited).
    """
    found = escalation_records.open_escalation(session, ref, wanted)
    auth.check(ctx, session, auth.CHANGE_ESCALATION, escalation=found)
    return found


def prefill(session: Session, kind: Outcome, found: Escalation) -> dict[str, str]:
    """Return answers already known from the other side's response: accepting it, or carrying both
    positions up a level."""
    response = responses.latest_response(session=session, escalation=found)
    if response is None or kind == "withdraw":
        return {}
    team = session.get(Team, found.other_team_id) if found.other_team_id else None
    name = team.name if team else "The other side"
    if kind == "resolve":
        return {"outcome": f"Accepted the response from {name}: {response.words}"[:200]}
    said = f"Level {found.level}: {name} responded, {response.words}: {response.step.rationale}"
    return {"tried": said[:300]}


def form_for(kind: Outcome, found: Escalation, initial: dict[str, str] | None = None) -> Form:
    """Return the form that asks for all of a step's answers at once (pre-filled with what is known)."""
    ref = found.ref
    known = initial or {}
    if kind == "resolve":
        return Form(
            title=f"Record the outcome of {ref}",
            submit_action=SUBMIT[kind],
            value=ref,
            submit_label="Record it",
            inputs=(
                FormInput(
                    "outcome",
                    "What was agreed",
                    placeholder="Case accepted for a child and family assessment",
                    initial=known.get("outcome", ""),
                ),
                FormInput("why", "Why is that the right outcome", kind="multiline"),
            ),
        )
    if kind == "next":
        return Form(
            title=f"Move {ref} to level {found.level + 1}",
            submit_action=SUBMIT[kind],
            value=ref,
            submit_label="Move it up",
            inputs=(
                FormInput(
                    "tried",
                    "What did you try at this level",
                    placeholder="Called the duty senior practitioner twice",
                    initial=known.get("tried", ""),
                ),
                FormInput("why", "Why didn't it resolve", kind="multiline"),
            ),
        )
    return Form(
        title=f"Withdraw {ref}",
        submit_action=SUBMIT[kind],
        value=ref,
        submit_label="Withdraw it",
        inputs=(FormInput("why", "Why are you withdrawing it", kind="multiline"),),
    )


def _moved(ctx: HandlerContext, session: Session, moved: escalation.Moved) -> tuple[Reply, list[Notice]]:
    found = moved.escalation
    intro = f"I've recorded that level {found.level - 1} didn't resolve it. {found.ref} is now at level {found.level}."
    if found.status == "partnership":
        intro += "\n" + cards.partnership_lines(session, moved.partnership_item)
    raiser = escalation_records.person(session, found.raised_by_person_id)
    # From level 2 the manager acts too: tell them (or the raiser, if the manager moved it), each with a
    # card addressed to them.
    others = [p for p in (raiser.id, raiser.manager_id) if p is not None and p != ctx.person_id]
    intro_for_others = (
        f"{ctx.person.display_name} moved {found.ref} (case {found.case_ref}) to level {found.level}."
    )
    notices = [
        (
            p,
            cards.level_reply(
                session, found, intro=intro_for_others, viewer=escalation_records.person(session, p)
            ),
        )
        for p in others
    ]
    return cards.level_reply(session, found, intro=intro, viewer=ctx.person), notices


def _to_raiser(ctx: HandlerContext, found: Escalation, text: str) -> list[Notice]:
    if found.raised_by_person_id == ctx.person_id:
        return []
    return [(found.raised_by_person_id, Reply(text=f"{text} (case {found.case_ref})"))]


async def record(ctx: HandlerContext, kind: Outcome, ref: str, answers: dict[str, str]) -> Reply:
    """Record a step's outcome, end the walkthrough, then tell the others involved.

    Raises:
        NotFound, WrongState, NotAllowed, InvalidInput, PersonalDataRefused: nothing is stored.
    """
    with ctx.sessions.begin() as session:
        changeable(ctx, session, ref, "change it")
        if kind == "resolve":
            done = escalation.resolve(
                session=session,
                clock=ctx.clock,
                settings=ctx.settings.reminders,
                ref=ref,
                person_id=ctx.person_id,
                outcome=answers.get("outcome", ""),
                rationale=answers.get("why", ""),
            )
            reply = Reply(
                text=f"{done.ref} is resolved at level {done.level}. I've recorded the outcome and rationale and "
                f"stopped its reminders. Type chronology {done.case_ref} to see the full record."
            )
            notices = _to_raiser(ctx, done, f"{ctx.person.display_name} recorded {done.ref} as resolved.")
        elif kind == "next":
            moved = escalation.not_resolved(
                session=session,
                clock=ctx.clock,
                settings=ctx.settings.reminders,
                ref=ref,
                person_id=ctx.person_id,
                tried=answers.get("tried", ""),
                why_failed=answers.get("why", ""),
                ack_working_days=ctx.settings.reminders.ack_working_days,
            )
            reply, notices = _moved(ctx, session, moved)
        else:
            done = escalation.withdraw(
                session=session,
                clock=ctx.clock,
                settings=ctx.settings.reminders,
                ref=ref,
                person_id=ctx.person_id,
                rationale=answers.get("why", ""),
            )
            reply = Reply(
                text=f"{done.ref} is withdrawn and its reminders are stopped. I've recorded your reason."
            )
            notices = _to_raiser(ctx, done, f"{ctx.person.display_name} withdrew {done.ref}.")
        clear_state(session=session, person_id=ctx.person_id)
    # Only once the step is safely stored.
    for person_id, notice in notices:
        await ctx.notifier.notify(person_id=person_id, reply=notice)
    return reply


def _submitted(kind: Outcome) -> Handler:
    async def submit(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        """A submitted form: record the step, or show the form again with what to fix."""
        ref = msg.action_value or ""
        try:
            return await record(ctx, kind, ref, dict(msg.form))
        except (InvalidInput, PersonalDataRefused) as error:
            with ctx.sessions() as session:
                found = escalation_records.get(session=session, ref=ref)
                form = form_for(kind, found, prefill(session, kind, found))
            return Reply(text=to_reply(error).text, form=form)

    return submit


def register(router: Router) -> None:
    """Register the form submissions (handlers.escalation.register adds the rest of escalation)."""
    for kind in KINDS:
        router.action(SUBMIT[kind], _submitted(kind))
