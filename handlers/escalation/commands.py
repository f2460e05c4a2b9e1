"""escalate / disagree: walk a practitioner through the local escalation ladder, step by step.

The first question is always about immediate risk. Then each level says who to contact, what to say and by
when, with buttons: Resolved (asks the outcome and rationale), Not resolved (asks what was tried and why it
failed, then moves up a level), Remind me, Withdraw. Answers in between live in `conversationstate`.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from directory.search import resolve_team
from handlers.access import auth, rules
from handlers.context import HandlerContext
from handlers.escalation import cards, flow, risk, steps
from handlers.intents.escalation import Escalate, escalate_from_text
from handlers.messages import Button, InboundMessage, Reply, Section
from handlers.router import Router
from handlers.state import set_state
from schedules.escalation import records as escalation_records
from schedules.escalation import timers as escalation_timers
from schedules.time.words import moment_in_words
from storage.models import Escalation


def _subject_from(
    ctx: HandlerContext, session: Session, args: str, *, is_disagreement: bool
) -> dict[str, Any]:
    intent = escalate_from_text(
        args,
        is_disagreement=is_disagreement,
        prefixes=ctx.settings.reference_prefixes,
        reserved_words=ctx.words,
    )
    return _checked(ctx, session, intent)


def _checked(ctx: HandlerContext, session: Session, intent: Escalate) -> dict[str, Any]:
    """Check the intent's case, item and team against the database; what the walkthrough keeps."""
    team_id = resolve_team(session=session, text=intent.against_team).id if intent.against_team else None
    case_ref, item_ref, is_disagreement = intent.case_ref, intent.about_item, intent.is_disagreement
    subject = flow.checked_subject(
        ctx,
        session,
        case_ref=case_ref,
        item_ref=item_ref,
        team_id=team_id,
        is_disagreement=is_disagreement,
    )
    return {
        "case_ref": subject.case_ref,
        "item_ref": subject.item.ref if subject.item else None,
        "team_id": subject.other_team_id,
        "disagreement": is_disagreement,
    }


async def _begin(ctx: HandlerContext, args: str, *, is_disagreement: bool) -> Reply:
    with ctx.sessions.begin() as session:
        data = _subject_from(ctx, session, args, is_disagreement=is_disagreement)
        set_state(
            session=session, clock=ctx.clock, person_id=ctx.person_id, flow=flow.FLOW, step="risk", data=data
        )
    return risk.risk_question(data["case_ref"])


def make_handlers(router: Router) -> dict[str, Any]:
    """Build the command and button handlers (commands read their arguments through `router`)."""

    async def escalate(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        """Start the walkthrough for a case reference, optionally about an item or team."""
        return await _begin(ctx, ctx.args, is_disagreement=False)

    async def disagree(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        """Start the walkthrough to challenge the decision on an item (e.g. no further action)."""
        return await _begin(ctx, ctx.args, is_disagreement=True)

    async def escalate_button(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        """The Escalate button on a chase: its value is the tracked item's reference."""
        if not msg.action_value:
            return Reply(text="That button has expired. Type escalate and the case reference.")
        return await _begin(ctx, msg.action_value, is_disagreement=False)

    async def escalations(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        """List the open escalations the person raised or manages, or show one."""
        wanted = ctx.args.strip()
        with ctx.sessions.begin() as session:
            if wanted:
                return _card(ctx, session, wanted)
            rows = session.exec(
                select(Escalation)
                .where(auth.visible_escalations(session, ctx.person))
                .where(col(Escalation.status).in_(escalation_records.OPEN_STATUSES))
                .order_by(col(Escalation.opened_at), col(Escalation.id))
            ).all()
            listed = _listing(ctx, session, list(rows))
        if not listed.sections:
            return Reply(
                text="You have no open escalations. To start one, type escalate and the case reference."
            )
        return listed

    return {"escalate": escalate, "disagree": disagree, "button": escalate_button, "list": escalations}


_GROUPS = {"raiser": "Raised by your team", "challenged": "Raised about your team"}


def _listing(ctx: HandlerContext, session: Session, rows: list[Escalation]) -> Reply:
    """List open escalations raised by the person's teams, then those raised about them, overdue first."""
    now = ctx.clock.now()
    access = auth.access_of(session, ctx.person)

    def group(found: Escalation) -> str:
        sides = rules.escalation_sides(session, access, found)
        if "raiser" in sides or found.raised_by_person_id in access.team_member_ids:
            return "raiser"
        if "challenged" in sides:
            return "challenged"
        return "other"

    def is_overdue(found: Escalation) -> bool:
        return found.level_due_at is not None and found.level_due_at < now

    order = {"raiser": 0, "challenged": 1, "other": 2}
    ranked = sorted(
        rows,
        key=lambda e: (order[group(e)], not is_overdue(e), e.level_due_at or e.opened_at, e.id or 0),
    )
    sections = []
    for found in ranked:
        heading = _GROUPS.get(group(found), "Other")
        due = cards.due_words(found)
        if is_overdue(found) and found.level_due_at is not None:
            due = f"Overdue at level {found.level}: it was due by {moment_in_words(found.level_due_at)}"
        sections.append(
            Section(
                title=f"{heading}: {found.ref}, case {found.case_ref}, level {found.level}",
                text=due,
                buttons=(Button("Show", cards.SHOW, found.ref),),
            )
        )
    counts = []
    for key, words in _GROUPS.items():
        mine = [e for e in rows if group(e) == key]
        if mine:
            late = sum(is_overdue(e) for e in mine)
            counts.append(f"{len(mine)} {words.lower()}" + (f" ({late} overdue)" if late else ""))
    summary = "; ".join(counts) or f"{len(rows)} you can see"
    return Reply(text=f"Your open escalations: {summary}.", sections=tuple(sections))


def _card(ctx: HandlerContext, session: Session, ref: str) -> Reply:
    found = escalation_records.get(session=session, ref=ref)
    auth.check(ctx, session, auth.VIEW_ESCALATION, escalation=found)
    if found.status not in escalation_records.OPEN_STATUSES:
        outcome = f": {found.outcome}" if found.outcome else ""
        return Reply(text=f"{found.ref} (case {found.case_ref}) is {found.status}{outcome}.")
    return cards.level_reply(session, found, viewer=ctx.person)


async def _show(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    with ctx.sessions.begin() as session:
        return _card(ctx, session, msg.action_value or "")


async def _remind(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    with ctx.sessions.begin() as session:
        steps.changeable(ctx, session, msg.action_value or "", "set a reminder on it")
        reminder = escalation_timers.remind_me(
            session=session,
            clock=ctx.clock,
            settings=ctx.settings.reminders,
            ref=msg.action_value or "",
            person_id=ctx.person_id,
        )
    return Reply(text=f"I'll remind you at {moment_in_words(reminder.due_at)}.")


def register(router: Router) -> None:
    """Register escalate, disagree, escalations, the walkthrough's buttons and its flow."""
    built = make_handlers(router)
    router.command(
        "escalate",
        built["escalate"],
        summary="Walk through your partnership's escalation policy when you disagree with another agency.",
        usage="escalate <case ref> [about <item or team>]",
        details=(
            "First I ask whether a child is at immediate risk: if so, call 999 and the front door (or the "
            "emergency duty team out of hours) now. Otherwise I take you through each level of the policy: "
            "who to contact, what to say, by when, and what to record. I remind you, and from level 2 your "
            "manager, when a level's time runs out."
        ),
        examples=(
            "escalate NB-204518",
            "escalate NB-204518 about TI-0042",
            "escalate NB-204518 about front door",
        ),
    )
    router.command(
        "disagree",
        built["disagree"],
        aliases=("challenge",),
        summary="Challenge a decision on an item (e.g. no further action) through the escalation policy.",
        usage="disagree <item ref>",
        details="Works on closed items too: a decision you disagree with is a reason to escalate, not the end.",
        examples=("disagree TI-0042",),
    )
    router.command(
        "escalations",
        built["list"],
        aliases=("escalation",),
        summary="See your open escalations, or one of them.",
        usage="escalations [ES-0007]",
    )
    router.action("escalate", built["button"])
    router.action(risk.RISK_YES, lambda msg, ctx: flow.answer_risk(ctx, True))
    router.action(risk.RISK_NO, lambda msg, ctx: flow.answer_risk(ctx, False))
    router.action(cards.RESOLVED, lambda msg, ctx: flow.follow_up(ctx, msg.action_value, "resolve_outcome"))
    router.action(cards.NEXT, lambda msg, ctx: flow.follow_up(ctx, msg.action_value, "next_tried"))
    router.action(cards.WITHDRAW, lambda msg, ctx: flow.follow_up(ctx, msg.action_value, "withdraw_why"))
    router.action(cards.REMIND, _remind)
    router.action(cards.SHOW, _show)
    router.flow(
        flow.FLOW,
        flow.continue_flow,
        label="the escalation walkthrough",
        actions=(
            risk.RISK_YES,
            risk.RISK_NO,
            cards.RESOLVED,
            cards.NEXT,
            cards.WITHDRAW,
            *steps.SUBMIT.values(),
        ),
        free_text_steps=("resolve_outcome", "resolve_rationale", "next_tried", "next_why", "withdraw_why"),
        resume=flow.resume,
    )
