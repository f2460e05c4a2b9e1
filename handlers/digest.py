"""Manager digests: the `digest daily|weekly|off|preview` command. The job is handlers/digest_send.py."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, col, select

from handlers import auth
from handlers.auth import access_of
from handlers.context import HandlerContext
from handlers.digest_render import day_words, render_digest
from handlers.digest_send import (
    SendReport,
    digest_job,
    digest_wakeup,
    managers,
    next_wakeup,
    send_due_digests,
)
from handlers.digest_upkeep import register_renderers
from handlers.messages import Button, InboundMessage, Reply
from handlers.router import Router
from schedules import digest_content, digests
from schedules.clock import Clock
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
def _describe(schedule: str, clock: Clock, nation: str) -> str:
    if schedule == "off":
        return "Your digest is off. Type digest daily or digest weekly to turn it on."
    next_at = digests.next_due_at(schedule=schedule, now=clock.now(), nation=nation)
    when = f" The next one comes on {day_words(next_at)} at 8:30am." if next_at else ""
    rhythm = "every working day at 8:30am" if schedule == "daily" else "on Mondays at 8:30am"
    return f"You get a digest {rhythm}.{when} Type digest daily, digest weekly or digest off to change it."


async def digest_command(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Show or change when the sender gets their digest, or preview it."""
    words = _arguments(msg)
    with ctx.sessions.begin() as session:
        person = session.get(Person, ctx.person_id)
        assert person is not None
        # Refusals are worded and audited in one place.
        auth.check(ctx, session, auth.RECEIVE_DIGEST)
        if words in ("", "settings", "status"):
            return Reply(text=_describe(person.digest_schedule, ctx.clock, person.nation), buttons=_buttons())
        if words in ("preview", "now", "show"):
            digest = build_for(session=session, person=person, now=ctx.clock.now())
            return render_digest(digest, is_preview=True)
        schedule = _SCHEDULE_WORDS.get(words)
        if schedule is None:
            raise InvalidInput(
                "digest", "I didn't understand that. Choose daily, weekly or off.", example="digest weekly"
            )
        before, person.digest_schedule = person.digest_schedule, schedule
        session.add(person)
        if schedule != before:
            digests.skip_current(
                session=session,
                clock=ctx.clock,
                person_id=ctx.person_id,
                schedule=schedule,
                nation=person.nation,
            )
        audit.record(
            session=session,
            at=ctx.clock.now(),
            actor=ctx.actor,
            action="digest.schedule_changed",
            subject=f"person:{person.handle}",
            data={"from": before, "to": schedule},
        )
        return Reply(text="Done. " + _describe(schedule, ctx.clock, person.nation))


def _arguments(msg: InboundMessage) -> str:
    """Return what follows the command word: "weekly" for "digest weekly", or a button's value."""
    if msg.action:
        return (msg.action_value or "").lower().strip()
    words = " ".join(msg.text.lower().replace("/", " ").split()).strip(" .!?").split(" ")
    while words and (words[0] in ("joinup", "@joinup", "please") or words[0].startswith("digest")):
        words = words[1:]
    return " ".join(words)


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
        summary="Managers: choose when you get your digest (daily, weekly or off), or preview it.",
        usage="digest daily|weekly|off|preview",
    )
    router.action("digest", digest_command)
    router.action("digest_settings", digest_settings)
    register_renderers(router.reminders)
