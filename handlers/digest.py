"""Manager digests: the `digest daily|weekly|off` command, previews, and the job that sends them.

The job (`send_due_digests`) runs on every scheduler tick in every replica. For each manager whose current
period is due and unsettled it claims the (manager, period) run in its own committed transaction, builds and
sends the digest outside any transaction, then records the outcome (schedules/digests.py explains why this is
exactly once).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import or_
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from handlers.auth import RECEIVE_DIGEST, access_of, can
from handlers.context import HandlerContext
from handlers.digest_render import day_words, render_digest
from handlers.digest_upkeep import register_renderers, schedule_upkeep_nudges
from handlers.messages import Button, DeliveryFailed, InboundMessage, Notifier, Reply
from handlers.router import Router
from schedules import digest_content, digests
from schedules.clock import Clock
from storage import audit
from storage.errors import InvalidInput
from storage.models import Person, RoleGrant

log = logging.getLogger(__name__)

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


@dataclass(frozen=True, slots=True)
class SendReport:
    """What one run of the digest job did."""

    sent: int = 0
    failed: int = 0
    late: int = 0


def managers(*, session: Session) -> list[Person]:
    """Return everyone who manages a team and wants digests, in id order."""
    granted = select(RoleGrant.person_id).where(col(RoleGrant.role) == "manager")
    return list(
        session.exec(
            select(Person)
            .where(or_(col(Person.id).in_(granted), col(Person.role) == "manager"))
            .where(col(Person.digest_schedule) != "off")
            .order_by(col(Person.id))
        )
    )


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
    from storage.models import DigestRun

    return session.exec(
        select(DigestRun.sent_at)
        .where(col(DigestRun.recipient_person_id) == person_id, col(DigestRun.status) == digests.SENT)
        .order_by(col(DigestRun.sent_at).desc())
        .limit(1)
    ).first()


async def _send_one(
    *,
    sessions: sessionmaker[Session],
    clock: Clock,
    notifier: Notifier,
    person: Person,
    period: digests.Period,
) -> str | None:
    assert person.id is not None
    with sessions.begin() as session:
        run = digests.claim(session=session, clock=clock, person_id=person.id, period=period)
        if run is None:
            return None
        run_id, is_late = run.id, run.is_late
    assert run_id is not None
    with sessions() as session:
        digest = build_for(session=session, person=person, now=clock.now(), period=period)
    reply = render_digest(digest, is_late=is_late, schedule=person.digest_schedule)
    try:
        await notifier.notify(person_id=person.id, reply=reply)
        status = digests.SENT
    except DeliveryFailed as error:
        status = digests.FAILED if error.is_retryable else digests.UNDELIVERABLE
        log.warning("digest not delivered", extra={"person_id": person.id, "period": period.key})
    with sessions.begin() as session:
        digests.record_outcome(
            session=session, clock=clock, run_id=run_id, status=status, counts=digest.counts
        )
        audit.record(
            session=session,
            at=clock.now(),
            actor="system",
            action=f"digest.{status}",
            subject=f"person:{person.handle}",
            data={"period": period.key, "is_late": is_late, **digest.counts},
        )
    return status


async def send_due_digests(
    *, sessions: sessionmaker[Session], clock: Clock, notifier: Notifier
) -> SendReport:
    """Send every manager's digest that is due and not yet sent; safe to run in many replicas at once."""
    now = clock.now()
    with sessions() as session:
        due: list[tuple[Person, digests.Period]] = []
        for person in managers(session=session):
            if not digests.is_sending_time(now=now, nation=person.nation):
                continue
            period = digests.latest_period(schedule=person.digest_schedule, now=now, nation=person.nation)
            if period is None or person.id is None:
                continue
            if digests.is_settled(session=session, person_id=person.id, period=period):
                continue
            due.append((person, period))
    sent = failed = late = 0
    for person, period in due:
        try:
            status = await _send_one(
                sessions=sessions, clock=clock, notifier=notifier, person=person, period=period
            )
        except Exception:  # one manager's failure must not stop the others' digests
            log.exception("digest failed", extra={"person_id": person.id, "period": period.key})
            failed += 1
            continue
        sent += status == digests.SENT
        failed += status in (digests.FAILED, digests.UNDELIVERABLE)
        late += status == digests.SENT and period.is_late_at(now)
    return SendReport(sent=sent, failed=failed, late=late)


def next_wakeup(*, sessions: sessionmaker[Session], clock: Clock) -> datetime | None:
    """Return when the next digest falls due for anyone (so a fake clock stops there)."""
    now = clock.now()
    with sessions() as session:
        people = managers(session=session)
    times = [
        at
        for person in people
        if (at := digests.next_due_at(schedule=person.digest_schedule, now=now, nation=person.nation))
    ]
    return min(times, default=None)


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
        if not can(session, person, RECEIVE_DIGEST):
            return Reply(
                text="Digests are for managers of a team. Type mine to see your own open items.",
            )
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


class Running(Protocol):
    """What the scheduled jobs need from bot.runtime.Runtime."""

    sessions: sessionmaker[Session]
    clock: Clock
    notifier: Notifier


async def digest_job(runtime: Running) -> None:
    """The scheduled job: send due digests, and schedule directory review nudges (the sweep sends those)."""
    schedule_upkeep_nudges(sessions=runtime.sessions, clock=runtime.clock)
    await send_due_digests(sessions=runtime.sessions, clock=runtime.clock, notifier=runtime.notifier)


def digest_wakeup(runtime: Running) -> datetime | None:
    """When the next digest falls due, so `joinup chat --clock` stops there."""
    return next_wakeup(sessions=runtime.sessions, clock=runtime.clock)
