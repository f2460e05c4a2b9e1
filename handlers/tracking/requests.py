"""ask: ask another team for information about a case (a health report) by a date or a meeting.

`ask <team> case <ref> for <what> by <date | meeting on <date>>`. A conference's reports are due the number
of working days before it that the area's policy file sets ("check your local procedures" until the area
sets it); another meeting's, the working day before. The receiving side gets **Received** / **Sent**; the
person asking gets **They sent it** / **Withdraw**. Both are warned the working day before the meeting if
nothing has come back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from directory.search import resolve_team
from handlers.access import auth
from handlers.context import HandlerContext
from handlers.dates import parse_day
from handlers.guidance.timescales import find_event
from handlers.intents.guard import Typed, typed
from handlers.intents.requests import ASK_EXAMPLE, ASK_USAGE, Ask, ask_from_text
from handlers.messages import Button, Field, InboundMessage, Reply
from handlers.router import Router
from handlers.tracking.chasing import how_to_chase
from schedules.guidance.timescales import nation_policy
from schedules.time import calendars
from schedules.time.words import date_in_words, moment_in_words
from schedules.tracking import chasing, requests
from storage.errors import InvalidInput, NotFound
from storage.models import Team, TrackedItem
from storage.references import parse_case_ref

RECEIVED = "request_received"
SENT = "request_sent"
WITHDRAW = "request_withdraw"
CHECK_LOCAL = "check your local procedures: your partnership hasn't set this in joinup yet"


def asker_buttons(ref: str) -> tuple[Button, ...]:
    """The person asking's buttons on a request."""
    return (Button("They sent it", SENT, ref, style="primary"), Button("Withdraw", WITHDRAW, ref))


def receiver_buttons(ref: str) -> tuple[Button, ...]:
    """The receiving side's buttons on a request."""
    return (Button("Received", RECEIVED, ref), Button("Sent", SENT, ref, style="primary"))


def meeting_words(words: str) -> str:
    """The meeting as joinup writes it: "ICPC", "strategy discussion"."""
    words = " ".join(w for w in words.lower().split() if w not in ("the", "a", "an"))
    return words.upper() if " " not in words and len(words) <= 4 else words


def when_due(ctx: HandlerContext, team: Team, intent: Ask) -> tuple[datetime, str, datetime | None, str]:
    """Return (due, how it was worked out, the meeting's start if any, the meeting's words).

    Raises:
        InvalidInput: a date that can't be read, or a meeting joinup doesn't know.
    """
    calendar = calendars.calendar_for_team(team=team, settings=ctx.settings.reminders)
    today = calendar.local(ctx.clock.now()).date()
    if not intent.meeting:
        day = parse_day(intent.by, today=today)
        return calendar.end_of_day(day), "", None, ""
    day = parse_day(intent.meeting_on, today=today)
    meeting_at = calendar.start_of_day(day)
    shown = meeting_words(intent.meeting)
    policy = nation_policy(team.nation)
    key = " ".join(w for w in intent.meeting.lower().split() if w not in ("the", "a", "an"))
    reports = None
    if key not in policy.starts:  # a strategy discussion has no reports rule: the working day before it
        event = find_event(intent.meeting, team.nation)
        reports = policy.reports_for(event)
        timescale = policy.timescale(event)
        shown = timescale.short if timescale is not None else shown
    on = date_in_words(day, with_year=True)
    if reports is not None and reports.working_days_before > 0:
        due_day = requests.working_days_before(calendar, day, reports.working_days_before)
        plural = "" if reports.working_days_before == 1 else "s"
        how = f"{reports.working_days_before} working day{plural} before the {shown} on {on}"
        if not reports.verified:
            how += f" ({CHECK_LOCAL})"
    else:
        due_day = requests.working_days_before(calendar, day - timedelta(days=1), 0)
        how = f"the working day before the {shown} on {on}"
    return calendar.end_of_day(due_day), how, meeting_at, shown


def _team(session: Session, words: str) -> Team:
    try:
        return resolve_team(session=session, text=words)
    except NotFound:
        raise InvalidInput(
            "team",
            f"I can't find a team called {words!r}, so nothing was saved. Name a team from the directory.",
            example=ASK_EXAMPLE,
        ) from None


async def ask_intent(intent: Ask, ctx: HandlerContext) -> Reply:
    """Record an information request and tell the receiving side (or how to send it, if nobody is on joinup)."""
    with ctx.sessions.begin() as session:
        auth.check(ctx, session, auth.CREATE_ITEM)
        team = _team(session, intent.team)
        case_ref = parse_case_ref(
            intent.case_ref,
            prefixes=ctx.settings.reference_prefixes,
            reserved_words=ctx.words,
            example=ASK_EXAMPLE,
        )
        due_at, how, meeting_at, meeting = when_due(ctx, team, intent)
        item = requests.ask(
            session=session,
            clock=ctx.clock,
            settings=ctx.settings.reminders,
            person=ctx.person,
            team=team,
            case_ref=case_ref,
            what=intent.what,
            due_at=due_at,
            meeting=meeting,
            meeting_at=meeting_at,
        )
        text = (
            f"Logged {item.ref}: you asked {team.name} for {item.about} about {item.case_ref}, "
            f"due by {moment_in_words(due_at, with_year=True)}" + (f": {how}." if how else ".")
        )
        if meeting:
            text += f"\nIf nothing has come back, I'll warn you both the working day before the {meeting}."
        receivers = [p for p in chasing.receiving_people(session=session, team=team) if p.id != ctx.person_id]
        fields: tuple[Field, ...] = ()
        if receivers:
            text += f"\nI've told {', '.join(p.display_name for p in receivers)}."
        else:
            text += (
                f"\nNobody at {team.name} is on joinup, so I can't ask them myself. Send it to them this way."
            )
            fields = how_to_chase(session, item, team, at=ctx.clock.now())
        return Reply(text=text, fields=fields, buttons=asker_buttons(item.ref))


ASK = Typed("ask", Ask, ask_from_text, ask_intent)


def _done(action: str) -> object:
    async def press(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        change = {RECEIVED: requests.received, SENT: requests.sent, WITHDRAW: requests.withdraw}[action]
        with ctx.sessions.begin() as session:
            item: TrackedItem = change(
                session=session,
                clock=ctx.clock,
                settings=ctx.settings.reminders,
                ref=msg.action_value or ctx.args,
                person=ctx.person,
            )
            said = {
                RECEIVED: "marked as received",
                SENT: "marked as sent. Closed",
                WITHDRAW: "withdrawn. Closed",
            }[action]
            return Reply(text=f"{item.ref} ({item.about} about {item.case_ref}) {said}.")

    return press


def register(router: Router) -> None:
    """Register ask and its buttons."""
    router.command(
        "ask",
        typed(ASK),
        summary="Log that you asked another team for information (a report), so I can chase it.",
        usage=ASK_USAGE,
        needs_onboarding=True,
        examples=(ASK_EXAMPLE, "ask GP safeguarding case NB-204519 for a health report by 14/01/2027"),
    )
    for action in (RECEIVED, SENT, WITHDRAW):
        router.action(action, _done(action))  # type: ignore[arg-type]
