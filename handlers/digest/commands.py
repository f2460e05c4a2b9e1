"""Manager digests: the `digest daily|weekly|off|preview` command. The job is handlers/digest/send.py."""

from __future__ import annotations

import logging
import re
from datetime import datetime, time

from sqlmodel import Session, col, select

from handlers.access import auth
from handlers.access.auth import access_of
from handlers.context import HandlerContext
from handlers.digest.render import render_digest
from handlers.digest.send import (
    SendReport,
    digest_job,
    digest_wakeup,
    managers,
    next_wakeup,
    send_due_digests,
)
from handlers.messages import Button, InboundMessage, Reply
from handlers.router import Router
from schedules.digest import content as digest_content
from schedules.digest import schedule as digests
from schedules.time.calendar import LONDON
from schedules.time.clock import Clock
from schedules.time.words import moment_in_words, time_in_words
from storage import audit
from storage.errors import InvalidInput
from storage.models import DigestRun, Person

log = logging.getLogger(__name__)

__all__ = [
    "SendReport",
    "build_for",
    "digest_command",
    "digest_job",
    "digest_wakeup",
    "managers",
    "next_wakeup",
    "register",
    "send_due_digests",
]

_AT = re.compile(r"(?:^|\s)at\s+(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$")
_SCHEDULE_WORDS = {
    "daily": "daily",
    "day": "daily",
    "every day": "daily",
    "weekly": "weekly",
    "week": "weekly",
    "monday": "weekly",
    "mondays": "weekly",
    "off": "off",
    "none": "off",
    "stop": "off",
    "never": "off",
}


def build_for(
    *, session: Session, person: Person, now: datetime, period: digests.Period | None = None
) -> digest_content.Digest:
    """Build the digest `person` gets now (or for `period`), compared with their last one sent."""
    assert person.id is not None
    access = access_of(session, person)
    key = period.key if period else ""
    since = period.previous_due_at if period else _last_sent_at(session, person.id) or now
    return digest_content.build(
        session=session,
        now=now,
        handle=person.handle,
        team_ids=sorted(access.managed_team_ids),
        since=since,
        nation=person.nation,
        previous_counts=digests.previous_counts(session=session, person_id=person.id, before_period=key),
    )


def _last_sent_at(session: Session, person_id: int) -> datetime | None:
    return session.exec(
        select(DigestRun.sent_at)
        .where(col(DigestRun.recipient_person_id) == person_id, col(DigestRun.status) == digests.SENT)
        .order_by(col(DigestRun.sent_at).desc())
        .limit(1)
    ).first()


# --- chat ----------------------------------------------------------------------------------------
def _describe(person: Person, clock: Clock) -> str:
    if person.digest_schedule == "off":
        return "Your digest is off. Type digest daily or digest weekly to turn it on."
    at = digests.digest_time_of(person.digest_time)
    next_at = digests.next_due_at(
        schedule=person.digest_schedule, now=clock.now(), nation=person.nation, at=at
    )
    clock_words = time_in_words(datetime.combine(clock.now().date(), at, tzinfo=LONDON))
    when = f" The next one comes at {moment_in_words(next_at)}." if next_at else ""
    rhythm = "every working day" if person.digest_schedule == "daily" else "on Mondays"
    return (
        f"You get a digest {rhythm} at {clock_words}.{when} Type digest daily, digest weekly or digest off to "
        "change it, or choose the time: digest at 9am."
    )


def split_time(words: str) -> tuple[str, time | None]:
    """Take "at 9", "at 7:45am" or "at 2pm" off the end of the digest words; return the rest and the time.

    A bare hour before 7 means the afternoon ("at 4" is 4pm). Digests go out in working hours.

    Raises:
        InvalidInput: not a time, or outside 7am to 4pm.
    """
    match = _AT.search(words)
    if match is None:
        return words, None
    hour, minute, half = int(match[1]), int(match[2] or 0), match[3]
    if half == "pm" and hour < 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    elif half is None and 1 <= hour < 7:
        hour += 12
    if hour > 23 or minute > 59 or not (digests.EARLIEST <= time(hour, minute) <= digests.LATEST):
        raise InvalidInput(
            "time",
            "Choose a time between 7am and 4pm, when digests can be read at work.",
            example="digest at 9am",
        )
    return words[: match.start()].strip(), time(hour, minute)


async def digest_command(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Show or change when the sender gets their digest, or preview it."""
    words = _arguments(msg, ctx)
    with ctx.sessions.begin() as session:
        person = session.get(Person, ctx.person_id)
        assert person is not None
        # Refusals are worded and audited in one place.
        auth.check(ctx, session, auth.RECEIVE_DIGEST)
        words, at = split_time(words)
        if words in ("", "settings", "status") and at is None:
            return Reply(text=_describe(person, ctx.clock), buttons=_buttons())
        if words in ("preview", "now", "show"):
            digest = build_for(session=session, person=person, now=ctx.clock.now())
            return render_digest(digest, is_preview=True)
        schedule = _SCHEDULE_WORDS.get(words) if words else person.digest_schedule
        if schedule is None:
            raise InvalidInput(
                "digest",
                "I didn't understand that. Choose daily, weekly or off, and a time if you like.",
                example="digest weekly at 9am",
            )
        before = (person.digest_schedule, person.digest_time)
        person.digest_schedule = schedule
        if at is not None:
            person.digest_time = f"{at:%H:%M}"
        session.add(person)
        if (person.digest_schedule, person.digest_time) != before:
            # A digest already due under the new settings isn't sent as a late catch-up: the next one is.
            digests.skip_current(
                session=session,
                clock=ctx.clock,
                person_id=ctx.person_id,
                schedule=schedule,
                nation=person.nation,
                at=digests.digest_time_of(person.digest_time),
            )
        audit.record(
            session=session,
            at=ctx.clock.now(),
            actor=ctx.actor,
            action="digest.schedule_changed",
            subject=f"person:{person.handle}",
            data={"from": before[0], "to": schedule}
            | (
                {"time_from": before[1], "time_to": person.digest_time}
                if person.digest_time != before[1]
                else {}
            ),
        )
        return Reply(text="Done. " + _describe(person, ctx.clock))


def _arguments(msg: InboundMessage, ctx: HandlerContext) -> str:
    """Return what follows the command word: "weekly" for "digest weekly", or a button's value."""
    if msg.action:
        return (msg.action_value or "").lower().strip()
    return " ".join(ctx.args.lower().replace("/", " ").split()).strip(" .!?")


def _buttons() -> tuple[Button, ...]:
    return (
        Button("Daily", "digest", "daily"),
        Button("Weekly", "digest", "weekly"),
        Button("Off", "digest", "off"),
        Button("Preview", "digest", "preview"),
    )


async def digest_settings(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Show the digest settings with buttons (the button on every digest)."""
    return await digest_command(InboundMessage(platform=msg.platform, sender_key=msg.sender_key), ctx)


def register(router: Router) -> None:
    """Register the digest command and its buttons."""
    router.command(
        "digest",
        digest_command,
        aliases=("digests",),
        summary="Managers: choose when you get your digest (daily, weekly or off, and the time), or preview it.",
        usage="digest daily|weekly|off [at 9am] | preview",
        examples=("digest weekly", "digest daily at 8am", "digest preview"),
    )
    router.action("digest", digest_command)
    router.action("digest_settings", digest_settings)
