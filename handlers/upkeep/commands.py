"""verify <team> [every N days] and stale: directory owners and admins keep entries up to date in chat."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import col, select

from directory.search import resolve_team
from directory.upkeep import stale_entries, verify_team
from handlers.access import auth
from handlers.context import HandlerContext
from handlers.messages import Button, InboundMessage, Reply
from handlers.router import Router
from schedules.time.calendar import LONDON
from schedules.time.words import date_in_words
from storage.errors import InvalidInput
from storage.models import Team

_EVERY = re.compile(r"\s+every\s+(-?\d+)\s*(?:days?)?\s*$", re.IGNORECASE)
VERIFY_EXAMPLE = "verify front door every 90 days"


async def verify(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Record that the sender checked a team's entry (its owner or a directory admin)."""
    text = (ctx.args or msg.action_value or "").strip()
    interval = None
    match = _EVERY.search(text)
    if match:
        interval = int(match.group(1))
        text = text[: match.start()].strip()
    if not text:
        raise InvalidInput("team", "say which team's entry you checked", example=VERIFY_EXAMPLE)
    with ctx.sessions.begin() as session:
        team = resolve_team(session=session, text=text)
        auth.check(ctx, session, auth.REVIEW_DIRECTORY, team_id=team.id)
        verify_team(session=session, clock=ctx.clock, team=team, actor=ctx.person.handle,
                    review_interval_days=interval)  # fmt: skip
        name, days = team.name, team.review_interval_days
        assert team.last_verified_at is not None
        due = (team.last_verified_at + timedelta(days=days)).astimezone(LONDON)
    return Reply(
        text=f"Thanks: {name} is marked as checked today. The next review is due by {date_in_words(due, with_year=True, with_weekday=False)} (every {days} days)."
    )


async def stale(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """List the overdue entries the sender may review, with a button to mark each checked."""
    now = ctx.clock.now()
    with ctx.sessions() as session:
        entries = stale_entries(session=session, at=now)
        ids = dict(
            session.exec(
                select(Team.key, Team.id).where(col(Team.key).in_([e.team_key for e in entries]))
            ).all()
        )
        mine = [
            e
            for e in entries
            if auth.can(session, ctx.person, auth.REVIEW_DIRECTORY, team_id=ids[e.team_key])
        ]
    if not mine:
        return Reply(text="Nothing you look after in the directory is overdue for review.")
    lines = []
    for entry in mine[:10]:
        when = "never checked" if entry.last_verified_at is None else f"{entry.days_overdue} days overdue"
        lines.append(f"• {entry.team_name} ({entry.agency_name}): {when}")
    more = f"\n…and {len(mine) - 10} more; `joinup directory stale` lists them all." if len(mine) > 10 else ""
    buttons = tuple(Button(f"Mark {e.team_key} checked", "verify", e.team_key) for e in mine[:3])
    return Reply(
        text=f"{len(mine)} directory entr{'y needs' if len(mine) == 1 else 'ies need'} review:\n" + "\n".join(lines)
        + more + f"\nCheck each entry is still right, then type: verify <team>. Example: {VERIFY_EXAMPLE}",
        buttons=buttons,
    )  # fmt: skip


def register(router: Router) -> None:
    """Register verify and stale."""
    router.command(
        "verify",
        verify,
        aliases=("verified", "checked"),
        summary="Mark a directory entry as checked and still right (its owner or a directory admin).",
        usage="verify <team> [every <days> days]",
        examples=("verify front door", VERIFY_EXAMPLE),
        needs_onboarding=True,
    )
    router.action("verify", verify, needs_onboarding=True)
    router.command(
        "stale",
        stale,
        aliases=("overdue",),
        summary="List the directory entries you look after that are overdue for review.",
        usage="stale",
        needs_onboarding=True,
    )
