"""refer: log a referral or call to another team (tried, each attempt to reach them, is in attempts.py).

`refer <team> case <ref> [by phone|email|portal] [about <note>]`, or the "Log a referral" button on a directory
result (action "refer", value the team key), which asks for the case reference. A team name that isn't clear
gets "did you mean" buttons. `tried <item | team case <ref>> [spoke|left message|no answer]` records an
attempt; the third contact about a case with a team suggests escalating.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlmodel import Session, col, select

from directory.search import resolve_team, search
from handlers.access import auth
from handlers.context import HandlerContext
from handlers.flow import BACK_WORDS
from handlers.intents.guard import Typed, guards_form, hand_over_form, refuse_form, typed
from handlers.intents.tracking import (
    REFER_EXAMPLE,
    REFER_FREE_TEXT_INPUTS,
    FieldErrors,
    Refer,
    check_refer,
    refer_from_form,
    refer_from_text,
)
from handlers.messages import Button, Field, InboundMessage, Reply
from handlers.router import Router
from handlers.state import clear_state, get_state, set_state
from handlers.tracking.attempts import escalate_button, escalation_hint, escalation_prompt, tried_choices
from handlers.tracking.forms import REFER_FORM, refer_form
from schedules.time.words import day_in_words, moment_in_words
from schedules.tracking import chasing
from schedules.tracking.attempts import contact_count
from schedules.tracking.items import check_case_ref, refer
from storage.errors import InvalidInput, NotFound
from storage.models import Person, Team, TrackedItem
from storage.references import CaseRef, parse_case_ref

FLOW = "refer"
REPEAT_NEW = "refer_repeat_new"
REPEAT_CHASING = "refer_repeat_chasing"
_REPEAT_NEW_WORDS = frozenset({"new", "a new referral", "new referral", "it's new", "its new"})
_REPEAT_CHASING_WORDS = frozenset({"chasing", "chasing that one", "chase", "chasing it", "the earlier one"})
TEAM_CHOICE = "refer.team"  # a "did you mean" team button: answers the refer flow's team question
REFER_USAGE = "refer <team> case <case ref> [by phone|email|portal] [about <short note>]"


def _team_by_key(session: Session, key: str) -> Team:
    team = session.exec(select(Team).where(col(Team.key) == key)).first()
    if team is None:
        raise NotFound("team", key, hint="Type find and what you need to look the team up again.")
    return team


async def _ask(ctx: HandlerContext, step: str, data: dict[str, Any], reply: Reply) -> Reply:
    with ctx.sessions.begin() as session:
        set_state(session=session, clock=ctx.clock, person_id=ctx.person_id, flow=FLOW, step=step, data=data)
    return Reply(text=f"{reply.text}\nType cancel to stop.", buttons=reply.buttons)


def _did_you_mean(ctx: HandlerContext, session: Session, wanted: str) -> Reply:
    results = search(session, wanted, at=ctx.clock.now(), limit=3) if wanted else []
    buttons = tuple(Button(r.name, TEAM_CHOICE, r.team.key) for r in results)
    if not buttons:
        return Reply(
            text=f"I can't find a team called {wanted!r}. Which team did you refer to? Type its name."
        )
    return Reply(
        text=f"Which team did you mean by {wanted!r}? Press one, or type the team's name.", buttons=buttons
    )


async def _continue(ctx: HandlerContext, data: dict[str, Any]) -> Reply:
    """Ask for whatever refer still needs (team, then case reference), or log it."""
    if not data.get("team_key"):
        wanted = data.get("team", "")
        unclear: Reply | None = None
        if wanted:
            with ctx.sessions() as session:
                try:
                    data["team_key"] = resolve_team(session=session, text=wanted).key
                except NotFound:
                    unclear = _did_you_mean(ctx, session, wanted)
        if unclear is not None:
            return await _ask(ctx, "team", data, unclear)
        if not data.get("team_key"):
            return await _ask(ctx, "team", data, Reply(text="Which team did you refer to? Type its name."))
    if not data.get("case_ref"):
        with ctx.sessions() as session:
            name = _team_by_key(session, data["team_key"]).name
        return await _ask(
            ctx,
            "case_ref",
            data,
            Reply(
                text=f"What is your case reference for the referral to {name}? For example NB-204518. Not a name."
            ),
        )
    if not data.get("repeat_checked"):
        question = _repeat_question(ctx, data)
        if question is not None:
            return await _ask(ctx, "repeat", {**data, "repeat_checked": True}, question)
    return await _log_referral(ctx, data)


def _earlier_referral(
    session: Session, ctx: HandlerContext, data: dict[str, Any]
) -> tuple[Team, TrackedItem | None]:
    """The team being referred to, and this person's or team's referral of the same case to it, if recent."""
    team = _team_by_key(session, data["team_key"])
    earlier = chasing.recent_referral(
        session=session,
        settings=ctx.settings.reminders,
        team=team,
        case_ref=check_case_ref(data["case_ref"]),
        at=ctx.clock.now(),
        referrer=ctx.person,
    )
    return team, earlier


def _repeat_question(ctx: HandlerContext, data: dict[str, Any]) -> Reply | None:
    """Ask about a second referral on the same case to the same team within 10 working days (seed 001)."""
    with ctx.sessions() as session:
        if not auth.can(session, ctx.person, auth.CREATE_ITEM):
            return None  # logging refuses them anyway, with the reason
        team, earlier = _earlier_referral(session, ctx, data)
        if earlier is None:
            return None
        sender = session.get(Person, earlier.from_person_id)
        by = (
            "You"
            if earlier.from_person_id == ctx.person_id
            else (sender.display_name if sender else "Your team")
        )
        when = day_in_words(earlier.sent_at)
    return Reply(
        text=f"{by} referred {earlier.case_ref} to {team.name} on {when} "
        f"({earlier.ref}). Is this a new referral, or chasing that one?",
        buttons=(
            Button("Chasing that one", REPEAT_CHASING, earlier.ref, style="primary"),
            Button("A new referral", REPEAT_NEW, earlier.ref),
        ),
    )


async def _answer_repeat(ctx: HandlerContext, is_new: bool) -> Reply:
    with ctx.sessions.begin() as session:
        state = get_state(session=session, person_id=ctx.person_id)
        if state is None or state.flow != FLOW or state.step != "repeat":
            return Reply(text="That question has expired. Type refer to log a referral.")
        data = dict(state.data)
        clear_state(session=session, person_id=ctx.person_id)
    if is_new:
        reply = await _log_referral(ctx, data)
        return replace(
            reply,
            text=reply.text
            + "\nI'll chase it together with the earlier referral, as one, while both are open.",
        )
    with ctx.sessions() as session:
        _team, earlier = _earlier_referral(session, ctx, data)
    if earlier is None:
        return await _log_referral(ctx, data)
    return Reply(
        text=f"OK, I haven't logged a new referral. How did chasing {earlier.ref} go?",
        buttons=tried_choices(earlier.ref),
    )


async def _log_referral(ctx: HandlerContext, data: dict[str, Any]) -> Reply:
    settings = ctx.settings.reminders
    with ctx.sessions.begin() as session:
        clear_state(session=session, person_id=ctx.person_id)
        auth.check(ctx, session, auth.CREATE_ITEM)
        team = _team_by_key(session, data["team_key"])
        item = refer(
            session=session,
            clock=ctx.clock,
            settings=settings,
            person=ctx.person,
            team=team,
            case_ref=data["case_ref"],
            method=data.get("method", "phone"),
            about=data.get("about", ""),
        )
        assert item.ack_due_at is not None and item.feedback_due_at is not None and team.id is not None
        contacts = contact_count(session=session, case_ref=item.case_ref, team_id=team.id)
        text = (
            f"Logged {item.ref}: your referral about {item.case_ref} to {team.name}, by {item.method.replace('_', ' ')}. "
            "I'll remind you if they don't respond in time, and chase them too."
        )
        buttons = [
            Button("I tried again", "tried", item.ref),
            Button("They acknowledged", "ack", item.ref),
            Button("Add feedback", "feedback", item.ref),
        ]
        if contacts >= settings.escalation_prompt_contacts:
            text += "\n" + escalation_prompt(contacts) + " " + escalation_hint(session, team.id)
            buttons.append(escalate_button(item.ref))
        fields = (
            Field("Acknowledgement due", moment_in_words(item.ack_due_at)),
            Field("Feedback due", moment_in_words(item.feedback_due_at)),
        )
    return Reply(text=text, fields=fields, buttons=tuple(buttons))


async def refer_intent(intent: Refer, ctx: HandlerContext) -> Reply:
    """Log a referral or call: refer <team> case <ref> [by phone|email|portal] [about <note>]."""
    if intent == Refer():
        return await _ask(
            ctx,
            "team",
            {},
            Reply(text=f"Which team did you refer to? Type its name.\nNext time: {REFER_USAGE}"),
        )
    if intent.case_ref:
        intent = replace(intent, case_ref=_case_ref(ctx, intent.case_ref))
    return await _continue(ctx, _data(intent))


def _case_ref(ctx: HandlerContext, text: str) -> CaseRef:
    """Check a typed case reference by the one rule, the area's prefixes and the command words."""
    return parse_case_ref(
        text, prefixes=ctx.settings.reference_prefixes, reserved_words=ctx.words, example=REFER_EXAMPLE
    )


def _data(intent: Refer) -> dict[str, Any]:
    """What the refer flow keeps between questions: the intent's fields that were given."""
    found = {
        "team": intent.team,
        "team_key": intent.team_key,
        "case_ref": str(intent.case_ref),
        "method": intent.method,
        "about": intent.note,
    }
    return {key: value for key, value in found.items() if value}


async def refer_form_submitted(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """A submitted referral form: each input fills its own field; a refused field comes back beside it."""
    try:
        intent = check_refer(
            refer_from_form(msg.form), prefixes=ctx.settings.reference_prefixes, reserved_words=ctx.words
        )
    except FieldErrors as problems:
        return refuse_form(
            refer_from_form(msg.form),
            ctx,
            problems.errors,
            show=lambda values, errors: refer_form(values={**msg.form, **values}, errors=errors),
            inputs=REFER_FREE_TEXT_INPUTS,
        )
    return await hand_over_form(
        REFER,
        intent,
        ctx,
        show=lambda values, errors: refer_form(values={**msg.form, **values}, errors=errors),
        inputs=REFER_FREE_TEXT_INPUTS,
    )


REFER = Typed("refer", Refer, refer_from_text, refer_intent)


async def refer_button(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """The "Log a referral" button (value: a team key), or a "did you mean" choice in the refer flow."""
    with ctx.sessions() as session:
        state = get_state(session=session, person_id=ctx.person_id)
        data = dict(state.data) if state is not None and state.flow == FLOW else {}
    data["team_key"] = msg.action_value or ""
    return await _continue(ctx, data)


async def refer_flow(msg: InboundMessage, ctx: HandlerContext, step: str) -> Reply:
    """Take the answer to the refer flow's question (the team, or the case reference)."""
    with ctx.sessions() as session:
        state = get_state(session=session, person_id=ctx.person_id)
        data = dict(state.data) if state is not None else {}
    answer = ctx.args
    if step == "team":
        data["team"], data["team_key"] = answer, ""
        return await _continue(ctx, data)
    if step == "repeat":
        words = answer.lower().strip(" .!?")
        if words in _REPEAT_NEW_WORDS:
            return await _answer_repeat(ctx, True)
        if words in _REPEAT_CHASING_WORDS:
            return await _answer_repeat(ctx, False)
        return Reply(text="Type new for a new referral, or chasing if you're chasing the earlier one.")
    try:
        data["case_ref"] = str(_case_ref(ctx, answer))
    except InvalidInput as refused:
        # The whole answer is the reference ("Jane Doe" is a name, not a reference called JANE).
        return Reply(text=f"{refused.problem} What is yours? Type cancel to stop.")
    return await _continue(ctx, data)


async def _resume(ctx: HandlerContext, step: str) -> Reply:
    """Ask the refer flow's question again, where the person left it."""
    with ctx.sessions() as session:
        state = get_state(session=session, person_id=ctx.person_id)
        data = dict(state.data) if state is not None and state.flow == FLOW else {}
    if step == "team":
        data["team_key"] = ""
    return await _continue(ctx, data)


async def _go_back(ctx: HandlerContext, step: str) -> Reply:
    """ "back" in the refer questions: from the case reference back to the team; the team is the first question."""
    with ctx.sessions() as session:
        state = get_state(session=session, person_id=ctx.person_id)
        data = dict(state.data) if state is not None else {}
    if step == "case_ref":
        data.pop("team_key", None)
        data.pop("team", None)
        return await _ask(ctx, "team", data, Reply(text="Which team did you refer to? Type its name."))
    return await _ask(
        ctx,
        "team",
        data,
        Reply(text="This is the first question. Which team did you refer to? Type its name."),
    )


def register(router: Router) -> None:
    """Register refer and its flow (handlers.tracking.register adds the rest of tracking)."""
    router.command(
        "refer",
        typed(REFER),
        aliases=("referred",),
        summary="Log a referral or call to another team, so I can track the reply and chase it.",
        usage=REFER_USAGE,
        needs_onboarding=True,  # a referral records the referrer's team and nation: ask them first
    )
    router.action("refer", refer_button, needs_onboarding=True)
    router.action(REPEAT_NEW, lambda msg, ctx: _answer_repeat(ctx, True))
    router.action(REPEAT_CHASING, lambda msg, ctx: _answer_repeat(ctx, False))
    router.action(
        REFER_FORM, guards_form(refer_form_submitted, REFER_FREE_TEXT_INPUTS), needs_onboarding=True
    )
    router.action(TEAM_CHOICE, refer_button, needs_onboarding=True)

    async def refer_flow_or_back(msg: InboundMessage, ctx: HandlerContext, step: str) -> Reply:
        # Commands typed instead of an answer never get here: the Dispatcher sets the question aside.
        if ctx.args.lower().strip(" .!") in BACK_WORDS:
            return await _go_back(ctx, step)
        return await refer_flow(msg, ctx, step)

    router.flow(
        FLOW, refer_flow_or_back, label="the referral questions", actions=(TEAM_CHOICE,), resume=_resume
    )
