"""The challenged side's response (decision maintained / changed / more information needed, with a rationale),
the reminder to the raiser's manager when nobody answers it, and handing an escalation to a colleague."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlmodel import Session

from handlers.access import auth
from handlers.context import HandlerContext
from handlers.errors import to_reply
from handlers.escalation import cards
from handlers.escalation.steps import changeable
from handlers.messages import Choice, Form, FormInput, InboundMessage, Reply
from handlers.router import Handler, Router
from handlers.state import clear_state, set_state
from schedules.escalation import records as escalation_records
from schedules.escalation import responses
from schedules.time.words import day_in_words
from storage.errors import InvalidInput, PersonalDataRefused
from storage.models import Escalation, Reminder, Team

FLOW = "escalate"  # the walkthrough's flow: typed answers continue in handlers/escalation/flow.py
SUBMIT_RESPONSE = "escalation_respond_form"
SUBMIT_HAND_OVER = "escalation_hand_over_form"
QUESTIONS = {
    "respond_decision": "What is your team's response? Type maintained, changed or more information.",
    "respond_why": "Why? Write your rationale in a sentence or two, without names. The raiser sees it.",
    "hand_over_to": "Who should hold it now? Give a colleague's name or joinup handle.",
}
Notice = tuple[int, Reply]


def response_form(found: Escalation) -> Form:
    """Return the form that records a response in one go."""
    return Form(
        title=f"Respond to {found.ref}",
        submit_action=SUBMIT_RESPONSE,
        value=found.ref,
        submit_label="Record our response",
        inputs=(
            FormInput(
                "decision",
                "Your team's response",
                kind="choice",
                choices=tuple(Choice(words.capitalize(), key) for key, words in responses.DECISIONS.items()),
            ),
            FormInput(
                "why", "Why", kind="multiline", placeholder="What the decision rests on, without names"
            ),
        ),
    )


def hand_over_form(found: Escalation) -> Form:
    """Return the form that hands an escalation to a colleague."""
    return Form(
        title=f"Hand over {found.ref}",
        submit_action=SUBMIT_HAND_OVER,
        value=found.ref,
        submit_label="Hand it over",
        inputs=(FormInput("to", "Colleague's name or handle", placeholder="Jo Bennett"),),
    )


def _ask(step: str, ref: str) -> str:
    return f"{ref}: {QUESTIONS[step]}\nType cancel to stop; nothing changes until you answer."


def respondable(ctx: HandlerContext, session: Session, ref: str) -> Escalation:
    """Return an open escalation the sender may respond to.

    Raises:
        NotFound, WrongState: no such escalation, or it is closed.
        NotAllowed: the sender isn't on the challenged side (the refusal is audited).
    """
    found = escalation_records.open_escalation(session, ref, "respond to it")
    auth.check(ctx, session, auth.RESPOND_ESCALATION, escalation=found)
    return found


async def start_response(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """The Record our response button: ask for the decision, or take it all in a form."""
    ref = msg.action_value or ""
    if not ref:
        return Reply(text="That button has expired. Type escalations to see the ones about your team.")
    with ctx.sessions.begin() as session:
        found = respondable(ctx, session, ref)
        set_state(
            session=session,
            clock=ctx.clock,
            person_id=ctx.person_id,
            flow=FLOW,
            step="respond_decision",
            data={"ref": found.ref},
        )
        return Reply(text=_ask("respond_decision", found.ref), form=response_form(found))


async def record_response(ctx: HandlerContext, ref: str, decision: str, why: str) -> Reply:
    """Record the response, then send the raiser a card to accept it or move up a level.

    Raises:
        NotFound, WrongState, NotAllowed, InvalidInput, PersonalDataRefused: nothing is stored.
    """
    with ctx.sessions.begin() as session:
        found = respondable(ctx, session, ref)
        given = responses.respond(
            session=session,
            clock=ctx.clock,
            settings=ctx.settings.reminders,
            ref=found.ref,
            person_id=ctx.person_id,
            decision=decision,
            rationale=why,
        )
        clear_state(session=session, person_id=ctx.person_id)
        raiser = escalation_records.person(session, found.raised_by_person_id)
        team = session.get(Team, found.other_team_id) if found.other_team_id else None
        name = team.name if team else "The other side"
        intro = (
            f"{ctx.person.display_name} of {name} responded to {found.ref} (case {found.case_ref}): "
            f"{given.words}. You decide: accept it and it is resolved, or don't and it goes to the next level."
        )
        if found.status == "partnership":
            intro = (
                f"{ctx.person.display_name} of {name} responded to {found.ref} (case {found.case_ref}): "
                f"{given.words}. The partnership's decision is final; share this with them."
            )
        card = cards.level_reply(session, found, intro=intro, viewer=raiser)
        assert raiser.id is not None
        notices: list[Notice] = [(raiser.id, card)]
        reply = Reply(
            text=f"I've recorded your response to {found.ref} ({given.words}) and sent it to "
            f"{raiser.display_name}. They decide whether it is resolved; if they don't accept it, it goes "
            f"to level {found.level + 1} with both positions."
        )
    for person_id, notice in notices:
        await ctx.notifier.notify(person_id=person_id, reply=notice)
    return reply


async def _submitted_response(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    ref = msg.action_value or ""
    try:
        return await record_response(ctx, ref, msg.form.get("decision", ""), msg.form.get("why", ""))
    except (InvalidInput, PersonalDataRefused) as error:
        with ctx.sessions() as session:
            found = escalation_records.get(session=session, ref=ref)
        return Reply(text=to_reply(error).text, form=response_form(found))


async def start_hand_over(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """The Hand over button: ask who should hold the escalation now."""
    ref = msg.action_value or ""
    if not ref:
        return Reply(text="That button has expired. Type escalations to see yours.")
    with ctx.sessions.begin() as session:
        found = changeable(ctx, session, ref, "hand it over")
        set_state(
            session=session,
            clock=ctx.clock,
            person_id=ctx.person_id,
            flow=FLOW,
            step="hand_over_to",
            data={"ref": found.ref},
        )
        return Reply(text=_ask("hand_over_to", found.ref), form=hand_over_form(found))


async def hand_over(ctx: HandlerContext, ref: str, to: str) -> Reply:
    """Hand the escalation to a colleague and send them its card.

    Raises:
        NotFound, WrongState, NotAllowed, InvalidInput: nothing is stored.
    """
    with ctx.sessions.begin() as session:
        found = changeable(ctx, session, ref, "hand it over")
        colleague = responses.find_colleague(session=session, text=to)
        old = escalation_records.person(session, found.raised_by_person_id)
        moved = responses.hand_over(
            session=session,
            clock=ctx.clock,
            settings=ctx.settings.reminders,
            ref=found.ref,
            person_id=ctx.person_id,
            to_person_id=colleague.id or 0,
        )
        clear_state(session=session, person_id=ctx.person_id)
        intro = (
            f"{ctx.person.display_name} handed {moved.ref} (case {moved.case_ref}) to you: you now hold it and "
            "decide whether each level is resolved."
        )
        notices: list[Notice] = [
            (colleague.id or 0, cards.level_reply(session, moved, intro=intro, viewer=colleague))
        ]
        if old.id not in (ctx.person_id, colleague.id):
            notices.append(
                (
                    old.id or 0,
                    Reply(text=f"{ctx.person.display_name} handed {moved.ref} to {colleague.display_name}."),
                )
            )
        reply = Reply(
            text=f"{moved.ref} is now held by {colleague.display_name}. Its clock runs on: level {moved.level} "
            + (f"is due by {day_in_words(moved.level_due_at)}." if moved.level_due_at else "has no deadline.")
        )
    for person_id, notice in notices:
        await ctx.notifier.notify(person_id=person_id, reply=notice)
    return reply


async def _submitted_hand_over(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    return await hand_over(ctx, msg.action_value or "", msg.form.get("to", ""))


async def continue_answer(ctx: HandlerContext, step: str, data: dict[str, str], text: str) -> Reply:
    """Take a typed answer in the response or hand-over questions.

    Raises:
        InvalidInput, PersonalDataRefused: the answer can't be used; the question stays open.
    """
    ref = data.get("ref", "")
    if step == "hand_over_to":
        return await hand_over(ctx, ref, text)
    if step == "respond_decision":
        decision = responses.parse_decision(text)
        with ctx.sessions.begin() as session:
            respondable(ctx, session, ref)
            set_state(
                session=session,
                clock=ctx.clock,
                person_id=ctx.person_id,
                flow=FLOW,
                step="respond_why",
                data={**data, "decision": decision},
            )
        return Reply(text=_ask("respond_why", ref))
    return await record_response(ctx, ref, data.get("decision", ""), text)


def render_unanswered(session: Session, reminder: Reminder) -> Reply | None:
    """Tell the raiser's manager that a response has waited a whole level's time for the raiser's answer."""
    found = session.get(Escalation, reminder.subject_id) if reminder.subject_id is not None else None
    if found is None or not responses.is_unanswered(
        session=session,
        escalation=found,
        step_id=int(reminder.payload.get("step_id", 0)),
        level=int(reminder.payload.get("level", 0)),
    ):
        return None
    raiser = escalation_records.person(session, found.raised_by_person_id)
    watcher = escalation_records.person(session, reminder.recipient_person_id)
    given = responses.latest_response(session=session, escalation=found)
    assert given is not None
    team = session.get(Team, found.other_team_id) if found.other_team_id else None
    whose = "your" if watcher.id == raiser.id else f"{raiser.display_name}'s"
    text = (
        f"{team.name if team else 'The other side'} responded to {whose} escalation {found.ref} "
        f"(case {found.case_ref}) on {day_in_words(given.step.at)} ({given.words}), and nobody has accepted it "
        "or moved it up since. Decide now: accept it, or go to the next level."
    )
    card = cards.level_reply(session, found, viewer=watcher)
    return Reply(text=text, fields=card.fields, buttons=card.buttons, kind="reminder")


_TO = re.compile(r"^(?P<ref>\S+)\s+to\s+(?P<to>.+)$", re.IGNORECASE)


def make_commands(router: Router) -> tuple[Handler, Handler]:
    """Build the typed `respond ES-0007` and `hand over ES-0007 to Jo Bennett` commands."""

    async def respond_command(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        """Record the challenged side's response to an escalation."""
        ref = ctx.args.strip()
        if not ref:
            raise InvalidInput(
                "escalation", "Tell me which escalation, like ES-0007.", example="respond ES-0007"
            )
        return await start_response(replace(msg, action_value=ref), ctx)

    async def hand_over_command(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        """Hand an escalation to a colleague."""
        match = _TO.fullmatch(ctx.args.strip())
        if match is None:
            raise InvalidInput(
                "escalation",
                "Tell me the escalation and the colleague.",
                example="hand over ES-0007 to Jo Bennett",
            )
        return await hand_over(ctx, match.group("ref"), match.group("to"))

    return respond_command, hand_over_command


def register(router: Router) -> None:
    """Register the response and hand-over commands, buttons, forms and reminder."""
    respond_command, hand_over_command = make_commands(router)
    router.command(
        "respond",
        respond_command,
        summary="Respond to an escalation raised about your team: decision maintained, changed, or more "
        "information needed.",
        usage="respond <ES ref>",
        details="The person who raised it (or their manager) then decides whether it is resolved.",
        examples=("respond ES-0007",),
    )
    router.command(
        "handover",
        hand_over_command,
        summary="Hand an escalation you hold to a colleague, for example before leave.",
        usage="hand over <ES ref> to <colleague>",
        examples=("hand over ES-0007 to Jo Bennett",),
    )
    router.phrase(r"hand\s+over\s+(?P<args>.+)", "handover")
    router.action(cards.RESPOND, start_response)
    router.action(SUBMIT_RESPONSE, _submitted_response)
    router.action(cards.HAND_OVER, start_hand_over)
    router.action(SUBMIT_HAND_OVER, _submitted_hand_over)
    router.reminders.add(responses.RESPONSE_UNANSWERED, render_unanswered)
