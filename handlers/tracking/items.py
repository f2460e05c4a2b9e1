"""mine, snooze, pause, resume and close: looking after the items you're waiting on."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlmodel import Session

from handlers.context import HandlerContext
from handlers.intents.guard import Typed, typed
from handlers.intents.items import (
    Close,
    Pause,
    Resume,
    Snooze,
    close_from_text,
    pause_from_text,
    resume_from_text,
    snooze_from_text,
)
from handlers.messages import Button, InboundMessage, Reply, Section
from handlers.router import Router
from handlers.tracking.callbacks import owing_buttons, waiting_buttons
from handlers.tracking.replies import load_item
from handlers.tracking.requests import asker_buttons, receiver_buttons
from handlers.tracking.words import KIND_WORDS, WAITING_ON_OTHERS, WAITING_ON_YOU, due_words, owed_words
from schedules.time import calendars
from schedules.time.calendar import WorkingCalendar
from schedules.time.words import day_in_words, moment_in_words
from schedules.tracking.lifecycle import (
    MAX_SNOOZE_WORKING_DAYS,
    close,
    pause,
    resume,
    sent_by,
    sent_by_my_reports,
    snooze,
    waiting_on_my_team,
)
from storage.errors import InvalidInput
from storage.models import Person, Team, TrackedItem

MINE_LIMIT = 15
SNOOZE_USAGE = "snooze <item> [1wd | 3 working days | until 30/11/2026]"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAYS = re.compile(r"^(\d{1,2})\s*(?:wd|working\s+days?|days?|d)?$", re.IGNORECASE)


def _person_calendar(ctx: HandlerContext) -> WorkingCalendar:
    return calendars.calendar_for_person(person=ctx.person, settings=ctx.settings.reminders)


def _next_clock(item: TrackedItem) -> tuple[str, datetime | None]:
    if item.status == "paused":
        return "paused", None
    if item.kind == "callback":
        return "call back", item.ack_due_at
    if item.kind == "information_request":
        return "information", item.feedback_due_at  # received or not, it's the information that's due
    if item.acknowledged_at is None:
        return "acknowledgement", item.ack_due_at
    return "feedback", item.feedback_due_at


def _kind_buttons(item: TrackedItem, side: str) -> tuple[Button, ...] | None:
    """The buttons to act on a callback or an information request, for the side looking; None for a referral."""
    if item.kind == "callback":
        return waiting_buttons(item.ref) if side == "sent" else owing_buttons(item.ref)
    if item.kind == "information_request":
        if side == "sent":
            return (Button("I tried again", "tried", item.ref), *asker_buttons(item.ref))
        owed = receiver_buttons(item.ref)
        return owed if item.acknowledged_at is None else owed[1:]
    return None


def _sort_key(item: TrackedItem, now: datetime) -> tuple[int, datetime]:
    _, due_at = _next_clock(item)
    if due_at is None:
        return 2, now
    return (0 if due_at < now else 1), due_at


def _section(
    session: Session, item: TrackedItem, *, now: datetime, calendar: WorkingCalendar, side: str
) -> Section:
    """One item in `mine`; `side` is "sent" (mine), "reports" (my team's, as their manager) or "owed"."""
    team = session.get(Team, item.to_team_id)
    clock_name, due_at = _next_clock(item)
    if due_at is None:
        status = f"Paused{': ' + item.pause_reason if item.pause_reason else ''}. Type resume {item.ref} to restart."
    else:
        status = f"{clock_name.capitalize()} {due_words(due_at, now=now, calendar=calendar)}"
    buttons: tuple[Button, ...]
    what = KIND_WORDS.get(item.kind, "")
    if item.kind == "information_request" and item.about:
        what = f"{what}: {item.about}"
    if side == "reports":
        referrer = session.get(Person, item.from_person_id)
        who = referrer.display_name if referrer else "someone"
        title = f"{item.ref} · {item.case_ref} sent by {who} → {team.name if team else 'another team'}"
        buttons = (Button("I tried again", "tried", item.ref), Button("Add feedback", "feedback", item.ref))
    elif side == "sent":
        title = f"{item.ref} · {item.case_ref} → {team.name if team else 'another team'}"
        buttons = (
            Button("I tried again", "tried", item.ref),
            Button(
                "Resume" if item.status == "paused" else "Snooze",
                "resume" if item.status == "paused" else "snooze",
                item.ref,
            ),
            Button("Add feedback", "feedback", item.ref),
        )
    else:
        referrer = session.get(Person, item.from_person_id)
        who = referrer.display_name if referrer else "someone"
        title = f"{item.ref} · {item.case_ref} from {who} → {team.name if team else 'your team'}"
        buttons = (Button("Acknowledge", "ack", item.ref),) if item.acknowledged_at is None else ()
        buttons += (Button("Add feedback", "feedback", item.ref),)
    buttons = _kind_buttons(item, side) or buttons
    if what:
        title += f" ({what})"
    return Section(title=title, text=f"{status}. Sent {day_in_words(item.sent_at)}.", buttons=buttons)


async def mine(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """List my open items, those my team (as its manager) is waiting on, and those waiting on a team I
    answer for; overdue first in each."""
    now, calendar = ctx.clock.now(), _person_calendar(ctx)

    def by_urgency(items: list[TrackedItem]) -> list[TrackedItem]:
        return sorted(items, key=lambda i: _sort_key(i, now))

    with ctx.sessions() as session:
        sent = by_urgency(sent_by(session=session, person=ctx.person))
        reports = by_urgency(sent_by_my_reports(session=session, person=ctx.person))
        shown = {item.id for item in reports}
        waiting = by_urgency(
            [i for i in waiting_on_my_team(session=session, person=ctx.person) if i.id not in shown]
        )
        if not sent and not reports and not waiting:
            return Reply(
                text="You have no open items. When you refer or call another team, tell me, so I can track the "
                "reply: refer front door case NB-204518 by phone."
            )
        rows = (
            [(i, "sent") for i in sent] + [(i, "reports") for i in reports] + [(i, "owed") for i in waiting]
        )
        sections = tuple(
            _section(session, item, now=now, calendar=calendar, side=side) for item, side in rows[:MINE_LIMIT]
        )
        if (sent or reports) and waiting:
            # Two lists: each under its heading, overdue first within it.
            cut = min(len(sent) + len(reports), MINE_LIMIT)
            sections = (
                Section(title=WAITING_ON_OTHERS),
                *sections[:cut],
                Section(title=WAITING_ON_YOU),
                *sections[cut:],
            )
    overdue = sum(1 for item, _ in rows if _sort_key(item, now)[0] == 0)
    parts = [f"You're waiting on {len(sent)} item{'s' if len(sent) != 1 else ''}"]
    if reports:
        parts.append(f"the people you manage on {len(reports)}")
    if waiting:
        parts.append(f"your team has {len(waiting)} to answer ({owed_words(waiting)})")
    text = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    text += f"; {overdue} overdue." if overdue else "."
    if len(rows) > MINE_LIMIT:
        text += f" Showing the first {MINE_LIMIT}."
    return Reply(text=text, sections=sections)


def parse_snooze_until(text: str, *, now: datetime, calendar: WorkingCalendar) -> datetime:
    """Turn "1wd", "3 working days", "tomorrow", "until monday" or "until 30/11/2026" into a moment.

    Raises:
        InvalidInput: none of those.
    """
    words = " ".join(text.lower().replace("until", " ").replace("for", " ").split())
    today = calendar.local(now).date()
    day: date | None = None
    match = _DAYS.match(words)
    if not words:
        day = calendar.add_working_days_to_date(today, 1)
    elif match:
        day = calendar.add_working_days_to_date(today, int(match.group(1)))
    elif words == "tomorrow":
        day = calendar.next_working_day(today + timedelta(days=1))
    elif words in _WEEKDAYS:
        ahead = (_WEEKDAYS.index(words) - today.weekday()) % 7 or 7
        day = today + timedelta(days=ahead)
    else:
        for form in ("%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y"):
            try:
                day = datetime.strptime(words, form).date()  # noqa: DTZ007 (a date, not a moment)
                break
            except ValueError:
                continue
    if day is None:
        raise InvalidInput("until", "Say how long to snooze for.", example="snooze TI-0042 2wd")
    return calendar.start_of_day(calendar.next_working_day(day))


async def snooze_item(intent: Snooze, ctx: HandlerContext) -> Reply:
    """Put off my reminders about an item: snooze <item> [1wd | until <date>]."""
    ref = intent.item
    calendar = _person_calendar(ctx)
    until = parse_snooze_until(intent.until, now=ctx.clock.now(), calendar=calendar)
    with ctx.sessions.begin() as session:
        load_item(ctx, session, ref)
        next_at = snooze(
            session=session,
            clock=ctx.clock,
            settings=ctx.settings.reminders,
            ref=ref,
            person=ctx.person,
            until=until,
        )
    return Reply(
        text=f"Snoozed. I'll remind you about {ref} again at {moment_in_words(next_at)}. "
        f"You can snooze for up to {MAX_SNOOZE_WORKING_DAYS} working days."
    )


async def pause_item(intent: Pause, ctx: HandlerContext) -> Reply:
    """Stop an item's clocks: pause <item> [reason]."""
    ref, reason = intent.item, intent.reason
    with ctx.sessions.begin() as session:
        load_item(ctx, session, ref)
        item = pause(
            session=session,
            clock=ctx.clock,
            settings=ctx.settings.reminders,
            ref=ref,
            person=ctx.person,
            reason=reason,
        )
    return Reply(
        text=f"Paused {item.ref} ({item.case_ref}). Both clocks have stopped and keep the working time they had left; "
        f"no reminders until you resume it.",
        buttons=(Button("Resume", "resume", item.ref),),
    )


async def resume_item(intent: Resume, ctx: HandlerContext) -> Reply:
    """Restart a paused item's clocks: resume <item>."""
    ref = intent.item
    settings = ctx.settings.reminders
    with ctx.sessions.begin() as session:
        load_item(ctx, session, ref)
        item = resume(session=session, clock=ctx.clock, settings=settings, ref=ref, person=ctx.person)
        team = session.get(Team, item.to_team_id)
        assert team is not None
        clock_name, due_at = _next_clock(item)
        due = f" The {clock_name} is now due by {moment_in_words(due_at)}." if due_at else ""
    return Reply(text=f"Resumed {item.ref} ({item.case_ref}).{due} I'll remind you if nothing comes back.")


async def close_item(intent: Close, ctx: HandlerContext) -> Reply:
    """Close an item without an outcome: close <item> [reason]."""
    ref, reason = intent.item, intent.reason
    with ctx.sessions.begin() as session:
        load_item(ctx, session, ref)
        item = close(session=session, clock=ctx.clock, ref=ref, person=ctx.person, reason=reason)
    return Reply(
        text=f"Closed {item.ref} ({item.case_ref}) and cancelled its reminders. Type mine to see what's left."
    )


SNOOZE = Typed("snooze", Snooze, snooze_from_text, snooze_item)
PAUSE = Typed("pause", Pause, pause_from_text, pause_item)
RESUME = Typed("resume", Resume, resume_from_text, resume_item)
CLOSE = Typed("close", Close, close_from_text, close_item)


def register(router: Router) -> None:
    """Register mine, snooze, pause, resume and close."""
    router.command(
        "mine",
        mine,
        aliases=("items",),
        summary="See the referrals and calls you're waiting on, overdue first.",
        usage="mine",
    )
    router.action("mine", mine)
    router.command(
        "snooze",
        typed(SNOOZE),
        summary="Put off your reminders about an item.",
        usage=SNOOZE_USAGE,
    )
    router.action("snooze", typed(SNOOZE))
    router.command(
        "pause",
        typed(PAUSE),
        summary="Stop an item's clocks, e.g. waiting for the family.",
        usage="pause <item> [reason]",
    )
    router.action("pause", typed(PAUSE))
    router.command("resume", typed(RESUME), summary="Restart a paused item's clocks.", usage="resume <item>")
    router.action("resume", typed(RESUME))
    router.command(
        "close",
        typed(CLOSE),
        summary="Close an item logged by mistake (no outcome).",
        usage="close <item> [reason]",
    )
