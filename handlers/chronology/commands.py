"""chronology <case ref>: the timeline of a case in chat, for the people involved and their managers."""

from __future__ import annotations

from handlers.access import auth
from handlers.context import HandlerContext
from handlers.messages import InboundMessage, Reply
from handlers.router import Handler, Router
from schedules.chronology import timeline as chronology
from schedules.chronology.events import Entry
from schedules.time.words import moment_in_words
from storage.errors import InvalidInput

MAX_LINES = 25


def _line(number: int, entry: Entry) -> str:
    gap = ""
    if entry.gap_working_days:
        gap = f" (+{entry.gap_working_days} working day{'s' if entry.gap_working_days != 1 else ''})"
    who = f", {entry.who}" if entry.who else ""
    detail = f" {entry.detail}" if entry.detail else ""
    return (
        f"{number}. {moment_in_words(entry.at, with_year=True)}{gap}: {entry.ref} {entry.event}{who}.{detail}"
    )


def make_chronology(router: Router) -> Handler:
    """Build the chronology handler (it reads its argument through `router`)."""

    async def show(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        """Show the case's timeline, newest last; the full export is `joinup chronology export`."""
        case_ref = (msg.action_value or "") if msg.action else ctx.args.strip()
        if not case_ref or " " in case_ref:
            raise InvalidInput(
                "case_ref", "Tell me one case reference, like NB-204518.", example="chronology NB-204518"
            )
        with ctx.sessions.begin() as session:
            found = chronology.build(session=session, clock=ctx.clock, case_ref=case_ref)  # NotFound first
            auth.check(ctx, session, auth.READ_CHRONOLOGY, case_ref=found.case_ref)
            chronology.record_read(
                session=session, clock=ctx.clock, chronology=found, fmt="chat", actor=ctx.actor
            )
        entries = list(enumerate(found.entries, start=1))
        shown = entries[-MAX_LINES:]
        lines = [_line(number, entry) for number, entry in shown]
        more = (
            f"\nShowing the latest {len(shown)} of {len(entries)} entries."
            if len(shown) < len(entries)
            else ""
        )
        return Reply(
            text=f"Chronology for case {found.case_ref}, oldest first:\n"
            + "\n".join(lines)
            + more
            + f"\nFor the full document, ask an administrator to run: joinup chronology export {found.case_ref}"
        )

    return show


def register(router: Router) -> None:
    """Register the chronology command."""
    show = make_chronology(router)
    router.command(
        "chronology",
        show,
        aliases=("timeline",),
        summary="See everything joinup holds about a case, in time order, for a case review.",
        usage="chronology <case ref>",
        details=(
            "Referrals, contact attempts, acknowledgements, feedback, escalation steps and information-sharing "
            "decisions, oldest first, with the working days between them. For people involved in the case, "
            "their managers and auditors; every read is recorded."
        ),
        examples=("chronology NB-204518",),
    )
