"""The immediate-risk guard: a child in immediate danger needs 999 and the front door (or EDT) now,
not the escalation process. Numbers come from the directory, open-now aware."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from directory.index import RouteInfo, TeamInfo
from directory.search import SearchResult, search
from handlers.messages import Button, Reply

log = logging.getLogger(__name__)

RISK_YES = "escalate_risk_yes"
RISK_NO = "escalate_risk_no"
UNSURE_ADVICE = (
    "If you think a child might be in danger right now, treat it as yes: call 999, then the front door. "
    "You can escalate the disagreement once the child is safe."
)
# How a practitioner would describe it: the children's front door and EDT handle it.
FRONT_DOOR_QUERY = "child at risk of harm"


def risk_question(case_ref: str) -> Reply:
    """Ask the first question of every escalation."""
    return Reply(
        text=(
            f"Before we start on case {case_ref}: is a child at immediate risk of harm right now?\n"
            "Type yes or no, or press a button."
        ),
        buttons=(
            Button("Yes, a child is at immediate risk", RISK_YES, case_ref, "danger"),
            Button("No", RISK_NO, case_ref, "primary"),
        ),
    )


def _phone(team: TeamInfo) -> RouteInfo | None:
    phones = sorted((r for r in team.routes if r.kind == "phone"), key=lambda r: r.priority)
    return phones[0] if phones else (min(team.routes, key=lambda r: r.priority) if team.routes else None)


def _is_police_line(team: TeamInfo) -> bool:
    return any(r.value.replace(" ", "") == "999" for r in team.routes)


def _front_door(results: list[SearchResult]) -> SearchResult | None:
    for result in results:
        if result.team.is_immediate_danger and not _is_police_line(result.team):
            return result
    return None


def _reach(team: TeamInfo) -> str:
    route = _phone(team)
    return f"{team.name} on {route.value}" if route else team.name


def emergency_contacts(*, session: Session, at: datetime) -> str:
    """Return who to call after 999: the children's front door if it is open now, else its out-of-hours team."""
    try:
        result = _front_door(search(session, FRONT_DOOR_QUERY, at=at, limit=8))
    except Exception:  # the directory is unavailable: the 999 advice must still go out
        log.exception("directory search failed during the immediate-risk guard")
        result = None
    if result is None:
        return "then your children's front door, or the emergency duty team out of hours."
    if result.open_now:
        return f"then the {_reach(result.team)} (open now)."
    if result.fallback is not None:
        return f"then the {_reach(result.fallback.team)}: the {result.team.name} is closed now."
    return f"then the {_reach(result.team)}."


def immediate_risk_reply(*, session: Session, at: datetime, case_ref: str) -> Reply:
    """Tell the person to act now, and stop the walkthrough."""
    return Reply(
        text=(
            f"Call 999 now, {emergency_contacts(session=session, at=at)}\n"
            "A child at immediate risk is not a disagreement to escalate: act now, and keep the child safe "
            f"while you do. I've noted this against case {case_ref} and stopped here. When the child is "
            f"safe, you can type escalate {case_ref} if you still disagree with a decision."
        )
    )
