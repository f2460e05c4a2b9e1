"""The first screen of a directory answer: the one thing to do now, in about 700 characters at most.

It says any duty that decides who must be told, then the recommended contact (open now or when it opens,
the one route to use now, what response to expect), why it was chosen, at most two alternatives as one
line each, and a More button for today's full detail. Safety lines are never cut: every first screen
about a child ends with the 999 line, and a closed team always comes with its out-of-hours team.
"""

from __future__ import annotations

from datetime import datetime

from directory.answer import Answer
from directory.cards import RouteInfo, TeamInfo
from directory.concerns import NATION_NAMES, Duty
from directory.search import SearchResult
from handlers.find.render import (
    IMMEDIATE_DANGER,
    PUBLIC_SERVICES,
    fallback_line,
    open_status,
    promise_text,
    source_line,
)
from handlers.messages import Button, Reply

ADULT_DANGER = "If an adult is in immediate danger, call 999."
MORE = "find_more"  # the More button's action: today's full detail for the same search
SCREEN_LIMIT = 700
_KIND_WORDS = {"phone": "call", "secure_email": "secure email", "email": "email", "portal": "online form"}


def first_route(team: TeamInfo, duties: tuple[Duty, ...] = ()) -> RouteInfo | None:
    """Return the route to use now: one a duty names (FGM: the police on 101), else the team's first."""
    for duty in duties:
        for route in team.routes:
            if route.kind == "phone" and f" {route.value}" in f" {duty.who} {duty.line}":
                return route
    return next(iter(team.routes), None)


def _how(route: RouteInfo | None) -> str:
    if route is None:
        return ""
    return f"{_KIND_WORDS.get(route.kind, route.kind.replace('_', ' '))} {route.value}"


def duty_line(duty: Duty, nation: str) -> str:
    """Say a duty in one line, with who, its scope and where it applies; caveats when not verified."""
    places = " and ".join(NATION_NAMES.get(n, n) for n in duty.nations)
    if nation not in duty.nations:
        elsewhere = duty.elsewhere or "Check your local procedures."
        return f"Duty ({places} only): {duty.line} {elsewhere}"
    line = f"Duty ({places}; {duty.source}): {duty.line}"
    return line + (" Check your local procedures." if duty.unverified else "")


def _status(result: SearchResult, at: datetime) -> str:
    # "Open now, until 5pm." → "open now until 5pm"; "Closed now. Opens Thursday ..." → "closed now; opens ..."
    status = open_status(result, at).rstrip(".")
    if not result.team.hours_published:
        return status[0].lower() + status[1:]
    return status.replace("Open now, until", "open now until").replace(
        "Closed now. Opens", "closed now; opens"
    )


def _recommended(result: SearchResult, at: datetime, duties: tuple[Duty, ...] = ()) -> str:
    route = first_route(result.team, duties)
    how = _how(route)
    line = f"{result.team.name}: {_status(result, at)}"
    line += f". {how[0].upper()}{how[1:]}" if how else ""
    expect = promise_text(route, result.team) if route is not None else ""
    return line + (f". Expect it {expect.split(';')[0]}." if expect else ".")


def _alternative(result: SearchResult, at: datetime, duties: tuple[Duty, ...] = ()) -> str:
    how = _how(first_route(result.team, duties))
    state = (
        "opening hours not published"
        if not result.team.hours_published
        else "open now"
        if result.open_now
        else "closed now"
    )
    return f"Or: {result.team.name}, {how} ({state})." if how else f"Or: {result.team.name} ({state})."


def _danger(answer: Answer, *, any_closed: bool) -> str:
    if answer.about == "child":
        return IMMEDIATE_DANGER
    return ADULT_DANGER if any_closed else ""


def _source_lines(results: tuple[SearchResult, ...]) -> list[str]:
    """Say where each pulled result came from, once per source."""
    seen: dict[str, str] = {}
    for result in results:
        if result.team.is_pulled and result.team.source not in seen:
            seen[result.team.source] = source_line(result.team)
    return list(seen.values())


def public_lines(answer: Answer) -> list[str]:
    """Public family services from feeds, labelled as signposting: one line each, with their source."""
    if not answer.public:
        return []
    lines = [PUBLIC_SERVICES]
    for result in answer.public:
        how = _how(first_route(result.team))
        lines.append(f"Public: {result.team.name}{', ' + how if how else ''}. {source_line(result.team)}")
    return lines


def _buttons(answer: Answer, search_text: str) -> tuple[Button, ...]:
    buttons = [Button("More", MORE, search_text[:200])]
    if answer.results and not answer.is_safe_default and not answer.results[0].team.is_public_service:
        buttons.append(Button("Log a referral", "refer", answer.results[0].team.key, style="primary"))
    return tuple(buttons)


def first_screen(answer: Answer, *, what: str, search_text: str, at: datetime, nation: str) -> Reply:
    """Render the short first reply to a search."""
    lines = [duty_line(duty, nation) for duty in answer.duties]
    if answer.is_safe_default:
        lines += _safe_default_lines(answer, what=what, at=at)
    else:
        best, *others = answer.results
        lines.append(_recommended(best, at, answer.duties))
        if answer.reason:
            lines.append(f"Why: {answer.reason}.")
        if best.fallback is not None and not best.open_now:
            lines.append(fallback_line(best.fallback, at))
        lines += [_alternative(other, at, answer.duties) for other in others[:2]]
        lines += _source_lines(answer.results)
    lines += public_lines(answer)
    closed = any(not r.open_now for r in answer.results)
    danger = _danger(answer, any_closed=closed)
    lines.append(danger)
    text = _fit("\n".join(line for line in lines if line), keep=danger)
    return Reply(text=text, buttons=_buttons(answer, search_text))


def _safe_default_lines(answer: Answer, *, what: str, at: datetime) -> list[str]:
    who = "an adult" if answer.about == "adult" else "a child"
    said = f"'{what[:60]}'" if what.strip(" ?!.,;:'\"") else "that"
    lines = [f"I'm not sure who handles {said}. If you're worried about {who}, start here:"]
    if not answer.results:
        return [*lines, "Contact your local front door."]
    door = answer.results[0]
    lines.append(_recommended(door, at))
    consult = next((r for r in door.team.routes[1:] if "consult" in f"{r.label} {r.key}".lower()), None)
    if consult is not None:
        lines.append(f"To talk it through with a social worker first: {_how(consult)}.")
    if door.fallback is not None and not door.open_now:
        lines.append(fallback_line(door.fallback, at))
    lines.append("Or try other words, like worried about a baby, private fostering or county lines.")
    return lines


def _fit(text: str, *, keep: str) -> str:
    """Keep the screen near the limit without ever cutting the safety line at its end."""
    if len(text) <= SCREEN_LIMIT:
        return text
    body = text.removesuffix(keep).rstrip()
    room = SCREEN_LIMIT - len(keep) - 2
    lines: list[str] = []
    used = 0
    for line in body.split("\n"):
        # The duty and the recommended contact come first and always stay; alternatives go first.
        if used + len(line) > room and lines and line.startswith(("Or:", "Public: ")):
            continue
        lines.append(line)
        used += len(line) + 1
    # A public-services heading whose services were all dropped goes too.
    lines = [
        line
        for n, line in enumerate(lines)
        if line != PUBLIC_SERVICES or (n + 1 < len(lines) and lines[n + 1].startswith("Public: "))
    ]
    return "\n".join([*lines, keep]) if keep else "\n".join(lines)
