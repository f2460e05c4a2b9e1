"""Directory search results as platform-neutral sections: how, when, leaving a message, what to expect.

Each team says how to reach it (in order of preference), what each route is for, how to leave a message,
when to expect an acknowledgement and a response, whether it is open now (or when it next opens), the
out-of-hours alternative, and when the entry was last checked, with a warning when it is overdue.
"""

from __future__ import annotations

from datetime import datetime

from directory.index import RouteInfo, TeamInfo
from directory.search import Fallback, SearchResult, expectation_text
from handlers.messages import Button, Field, Section
from schedules.time.calendar import LONDON
from schedules.time.calendars import counts_plain_hours
from schedules.time.words import day_in_words, moment_in_words, time_in_words

IMMEDIATE_DANGER = "If a child is in immediate danger, call 999."
NOT_VERIFIED = "not verified by your partnership"
PUBLIC_SERVICES = "Public services (for signposting, not a safeguarding route):"
_KIND_NAMES = {
    "phone": "Phone",
    "secure_email": "Secure email",
    "email": "Email",
    "portal": "Online form",
    "chat": "Chat",
}


def promise_text(route: RouteInfo, team: TeamInfo) -> str:
    """Say what response to expect from a route, in the hours the team's clocks count in.

    A team that never closes (24/7, or out of hours through the night) counts plain hours, so its promise is
    "within 4 hours", not "within 4 working hours".
    """
    expect = expectation_text(route)
    return expect.replace("working hour", "hour") if counts_plain_hours(team) else expect


def route_field(route: RouteInfo, team: TeamInfo) -> Field:
    """One route: how to reach it, when to use it, leaving a message, what to expect."""
    how = f"{_KIND_NAMES.get(route.kind, route.kind.replace('_', ' ').capitalize())}: {route.value}"
    label = f"{route.label} ({how})" if route.label else how
    when = route.when_to_use.strip().rstrip(".")
    message = route.how_to_leave_message.strip().rstrip(".")
    expect = promise_text(route, team)
    lines = [
        f"{when}." if when else "",
        f"Leaving a message: {message}." if message else "",
        f"Expect it {expect}." if expect else "",
    ]
    return Field(label, " ".join(line for line in lines if line) or "Use it whenever the team is open.")


def source_name(team: TeamInfo) -> str:
    """A pulled service's source as people read it: 'millbridge' → 'Millbridge'."""
    return team.source.replace("-", " ").title()


def source_line(team: TeamInfo) -> str:
    """Where a pulled service came from, when it was last pulled, and that nobody here verified it."""
    pulled = (
        f", last pulled {moment_in_words(team.source_pulled_at)}" if team.source_pulled_at is not None else ""
    )
    return f"From the {source_name(team)} feed{pulled}; {NOT_VERIFIED}."


def open_status(result: SearchResult, at: datetime) -> str:
    """Say whether the team is open at `at`, until when, or when it next opens."""
    if not result.team.hours_published:
        return "Opening hours not published."
    if result.open_now:
        if result.closes_at is None:
            return "Open now."
        same_day = result.closes_at.astimezone(LONDON).date() == at.astimezone(LONDON).date()
        until = time_in_words(result.closes_at) if same_day else moment_in_words(result.closes_at)
        return f"Open now, until {until}."
    if result.opens_at is None:
        return "Closed now."
    return f"Closed now. Opens at {moment_in_words(result.opens_at)}."


def fallback_line(fallback: Fallback, at: datetime) -> str:
    """Say who to contact instead while a team is closed."""
    team = fallback.team
    first = next(iter(team.routes), None)
    how = f" on {first.value}" if first is not None else ""
    if fallback.open_now:
        return f"Out of hours, contact {team.name}{how} (open now)."
    when = f" (opens at {moment_in_words(fallback.opens_at)})" if fallback.opens_at is not None else ""
    return f"Out of hours, contact {team.name}{how}{when}."


def verified(team: TeamInfo, *, is_stale: bool) -> Field:
    """When the entry was last checked, with a warning when its review is overdue."""
    if team.is_pulled:
        return Field("Source", source_line(team))
    if team.last_verified_at is None:
        return Field("Last checked", "Never checked: confirm these details before you rely on them.")
    when = day_in_words(team.last_verified_at, with_year=True)
    if is_stale:
        return Field(
            "Last checked", f"{when}. Overdue for review: confirm these details before you rely on them."
        )
    return Field("Last checked", when)


def result_section(result: SearchResult, *, at: datetime) -> Section:
    """Render one search result."""
    team = result.team
    lines = [team.purpose.strip()] if team.purpose.strip() else []
    if team.not_for.strip():
        lines.append(f"Not for: {team.not_for.strip()}")
    lines.append(open_status(result, at))
    if result.fallback is not None and not result.open_now:
        lines.append(fallback_line(result.fallback, at))
    if team.is_immediate_danger:
        lines.append(IMMEDIATE_DANGER)
    fields = (
        *(route_field(route, team) for route in team.routes),
        Field("Hours", result.hours_text),
        verified(team, is_stale=result.is_stale),
    )
    if team.is_public_service:
        # A public service is for signposting: nobody refers a child to it or tracks it.
        lines.insert(0, PUBLIC_SERVICES.removesuffix(":") + ".")
        buttons: tuple[Button, ...] = ()
    else:
        buttons = (Button("Log a referral", "refer", team.key, style="primary"),)
    return Section(
        title=f"{team.name} ({team.agency_name})", text="\n".join(lines), fields=fields, buttons=buttons
    )
