"""callback: say you're waiting for a call back from a team (or a joinup user) about a case, by a time.

`callback [from] <team | @person> case <ref> [by <time>]`; `callback <item> [by <time>]` (or the "Expect a
call back by …" button after `tried … left message`) expects one on a tracked item, by the route's own
promise unless a time is given. The receiving side gets **Called back** / **Can't today, by …**; the person
waiting gets **They called back** / **Still waiting**. A bare clock time means its next occurrence within
the receiving team's hours, and the reply says so.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from directory.search import resolve_team
from handlers.access import auth
from handlers.context import HandlerContext
from handlers.dates import parse_day
from handlers.intents.callbacks import (
    CALLBACK_EXAMPLE,
    CALLBACK_USAGE,
    Callback,
    callback_from_text,
    split_by,
)
from handlers.intents.guard import Typed, typed
from handlers.messages import Button, Field, InboundMessage, Reply
from handlers.router import Router
from handlers.state import clear_state, get_state, set_state
from handlers.tracking.attempts import escalate_button
from handlers.tracking.chasing import how_to_chase
from schedules.time import calendars
from schedules.time.words import moment_in_words
from schedules.tracking import callbacks
from schedules.tracking.callback_chasing import owed_by
from schedules.tracking.items import get_item, require_open
from storage.errors import InvalidInput, NotFound
from storage.models import ContactRoute, Person, Team, TrackedItem
from storage.references import parse_case_ref

CALLED_BACK = "called_back"  # either side: the call back came
STILL_WAITING = "still_waiting"  # the person waiting: no call yet, what next
LATER = "callback_later"  # the receiving side: can't today, by …
FLOW = "callback_later"


def waiting_buttons(ref: str) -> tuple[Button, ...]:
    """The person waiting's buttons on a callback."""
    return (
        Button("They called back", CALLED_BACK, ref, style="primary"),
        Button("Still waiting", STILL_WAITING, ref),
    )


def owing_buttons(ref: str) -> tuple[Button, ...]:
    """The receiving side's buttons on a callback."""
    return (
        Button("Called back", CALLED_BACK, ref, style="primary"),
        Button("Can't today, by …", LATER, ref),
    )


def due_for(ctx: HandlerContext, team: Team, by: str, route: ContactRoute | None) -> callbacks.Due:
    """When the call back is due: `by` read on the team's hours, else the route's promise.

    Raises:
        InvalidInput: a time or date that can't be read or has passed.
    """
    now = ctx.clock.now()
    calendar = calendars.calendar_for_team(team=team, settings=ctx.settings.reminders)
    at, rest = split_by(by) if by else (None, "")
    day = parse_day(rest, today=calendar.local(now).date()) if rest else None
    return callbacks.callback_due(
        calendar=calendar, now=now, at=at, day=day, route=route, settings=ctx.settings.reminders
    )


def _named_person(session: Session, named: str) -> Person:
    key = named.removeprefix("slack:")
    person = session.exec(
        select(Person).where((col(Person.handle) == key) | (col(Person.slack_user_id) == key))
    ).first()
    if person is None or person.team_id is None:
        raise NotFound(
            "person on joinup", "@" + key, hint="Name their team instead, like " + CALLBACK_EXAMPLE + "."
        )
    return person


def _team(session: Session, intent: Callback) -> tuple[Team, Person | None]:
    if intent.person:
        person = _named_person(session, intent.person)
        team = session.get(Team, person.team_id)
        assert team is not None
        return team, person
    try:
        return resolve_team(session=session, text=intent.team), None
    except NotFound:
        # Not a team in the directory: maybe a person's name, which joinup never stores.
        raise InvalidInput(
            "team",
            f"I can't find a team called {intent.team!r}, so nothing was saved. Name a team from the "
            "directory, or someone on joinup by their @handle (joinup doesn't keep people's names).",
            example=CALLBACK_EXAMPLE,
        ) from None


def expected_reply(session: Session, ctx: HandlerContext, item: TrackedItem, team: Team, note: str) -> Reply:
    """What the person waiting is told: logged, by when, who was told (or how to chase when nobody can be)."""
    assert item.ack_due_at is not None
    owed = owed_by(session=session, item=item, team=team)
    whom = team.name
    if item.to_person_id is not None and owed:
        whom = f"{owed[0].display_name} at {team.name}"
    text = (
        f"Logged {item.ref}: you're waiting for a call back from {whom} about {item.case_ref} "
        f"by {moment_in_words(item.ack_due_at)}."
    )
    if note:
        text += f"\n{note}"
    fields: tuple[Field, ...] = ()
    others = [p for p in owed if p.id != item.from_person_id]
    if others:
        text += f"\nI've told {', '.join(p.display_name for p in others)}, and I'll check with you both if the time passes."
    else:
        text += (
            f"\nNobody at {team.name} is on joinup, so I can't ask them myself. If the time passes, chase them "
            "this way; I'll remind you."
        )
        fields = how_to_chase(session, item, team, at=ctx.clock.now())
    return Reply(text=text, fields=fields, buttons=waiting_buttons(item.ref))


async def callback_intent(intent: Callback, ctx: HandlerContext) -> Reply:
    """Record a call back expected from a team or a joinup user, by a time or the route's promise."""
    settings = ctx.settings.reminders
    with ctx.sessions.begin() as session:
        auth.check(ctx, session, auth.CREATE_ITEM)
        after: TrackedItem | None = None
        to_person: Person | None = None
        if intent.item:
            after = get_item(session=session, ref=intent.item)
            auth.check(ctx, session, auth.CHANGE_ITEM, item=after)
            require_open(after, "expect a call back on it")
            found = session.get(Team, after.to_team_id)
            assert found is not None
            team, case_ref = found, after.case_ref
        else:
            team, to_person = _team(session, intent)
            case_ref = parse_case_ref(
                intent.case_ref,
                prefixes=ctx.settings.reference_prefixes,
                reserved_words=ctx.words,
                example=CALLBACK_EXAMPLE,
            )
        route = callbacks.phone_route(session=session, team=team)
        due = due_for(ctx, team, intent.by, route)
        item = callbacks.expect_callback(
            session=session,
            clock=ctx.clock,
            settings=settings,
            person=ctx.person,
            team=team,
            case_ref=case_ref,
            due_at=due.at,
            to_person=to_person,
            item=after,
        )
        return expected_reply(session, ctx, item, team, due.note)


CALLBACK = Typed("callback", Callback, callback_from_text, callback_intent)


async def called_back(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Either side's "Called back": the callback closes, the other side hears."""
    with ctx.sessions.begin() as session:
        item = callbacks.called_back(
            session=session,
            clock=ctx.clock,
            settings=ctx.settings.reminders,
            ref=msg.action_value or ctx.args,
            person=ctx.person,
        )
        team = session.get(Team, item.to_team_id)
        assert team is not None and item.ack_due_at is not None and item.feedback_at is not None
        late = "" if item.feedback_at <= item.ack_due_at else " (later than expected)"
        return Reply(
            text=f"Recorded: {team.name} called back about {item.case_ref} ({item.ref}){late}. Closed."
        )


async def still_waiting(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """The person waiting has had no call: the next step is another route from the directory, then escalating."""
    with ctx.sessions() as session:
        item = get_item(session=session, ref=msg.action_value or ctx.args)
        auth.check(ctx, session, auth.CHANGE_ITEM, item=item)
        require_open(item, "chase it")
        team = session.get(Team, item.to_team_id)
        assert team is not None
        return next_step(session, item, team)


def next_step(session: Session, item: TrackedItem, team: Team) -> Reply:
    """Another way to reach the team than the one already tried, from the directory, then escalating."""
    routes = list(
        session.exec(
            select(ContactRoute)
            .where(col(ContactRoute.team_id) == team.id, col(ContactRoute.id) != item.route_id)
            .order_by(col(ContactRoute.priority))
        )
    )
    fields = tuple(Field(r.label or r.kind.replace("_", " ").capitalize(), r.value) for r in routes[:2])
    if fields:
        text = (
            f"Still no call back from {team.name} about {item.case_ref} ({item.ref}). Try another way to reach "
            "them; if that doesn't work, escalate."
        )
    else:
        text = f"Still no call back from {team.name} about {item.case_ref} ({item.ref}). Consider escalating."
    return Reply(
        text=text,
        fields=fields,
        buttons=(
            Button("I tried again", "tried", item.ref),
            Button("They called back", CALLED_BACK, item.ref, style="primary"),
            escalate_button(item.ref),
        ),
    )


async def later(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """The receiving side's "Can't today, by …": ask when they can call back."""
    ref = msg.action_value or ""
    with ctx.sessions.begin() as session:
        item = get_item(session=session, ref=ref)
        auth.check(ctx, session, auth.CHANGE_ITEM, item=item)
        require_open(item, "move the call back")
        set_state(
            session=session,
            clock=ctx.clock,
            person_id=ctx.person_id,
            flow=FLOW,
            step="by",
            data={"item": item.ref},
        )
    return Reply(
        text=f"By when can you call back about {item.case_ref} ({item.ref})? Type a time, like 10am tomorrow.\nType cancel to stop."
    )


async def later_answer(msg: InboundMessage, ctx: HandlerContext, step: str) -> Reply:
    """Take the new time for a call back, read on the receiving team's hours."""
    with ctx.sessions() as session:
        state = get_state(session=session, person_id=ctx.person_id)
        ref = str(state.data.get("item", "")) if state is not None else ""
        item = get_item(session=session, ref=ref)
        team = session.get(Team, item.to_team_id)
        assert team is not None
    if not ctx.args.strip():
        return Reply(text="Type a time, like 10am tomorrow, or cancel to stop.")
    try:
        due = due_for(ctx, team, ctx.args, None)
    except InvalidInput as refused:
        return Reply(text=f"{refused.problem} Type cancel to stop.")
    with ctx.sessions.begin() as session:
        clear_state(session=session, person_id=ctx.person_id)
        moved = callbacks.move_callback(
            session=session,
            clock=ctx.clock,
            settings=ctx.settings.reminders,
            ref=ref,
            person=ctx.person,
            due_at=due.at,
        )
        when: datetime | None = moved.ack_due_at
    assert when is not None
    text = f"OK: you'll call back about {moved.case_ref} ({moved.ref}) by {moment_in_words(when)}. I've told them."
    if due.note:
        text += f"\n{due.note}"
    return Reply(text=text, buttons=(Button("Called back", CALLED_BACK, moved.ref, style="primary"),))


def register(router: Router) -> None:
    """Register callback and its buttons."""
    router.command(
        "callback",
        typed(CALLBACK),
        aliases=("call-back",),
        summary="Say you're waiting for a call back from a team or someone on joinup, so I can chase it.",
        usage=CALLBACK_USAGE,
        needs_onboarding=True,
        examples=(CALLBACK_EXAMPLE, "callback @sw.sam case NB-204519 by 10am tomorrow"),
    )
    router.action("callback", typed(CALLBACK), needs_onboarding=True)
    router.action(CALLED_BACK, called_back)
    router.action(STILL_WAITING, still_waiting)
    router.action(LATER, later)
    router.flow(FLOW, later_answer, label="the call back time")
