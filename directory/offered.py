"""Which teams lists offer and people may refer to: the partnership's own, and a named neighbour's routes.

Lists that offer teams to pick (the dashboard, the Slack team picker, onboarding's "which team are you in",
insight's team lookup) show only the partnership's own teams. Naming a team (refer, tried, escalate,
verify) finds any own team by its id, name or a close spelling; a neighbour's professional route only by
its exact id or name (it is a contact outside the partnership, so it is never guessed from a spelling);
and never a public service pulled from a feed, which is for signposting and is not a team one refers to.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col

from directory.cards import PUBLIC
from storage.models import Team


def offered() -> Any:
    """The SQL condition for teams a list may offer: the partnership's own (not pulled from a feed)."""
    return col(Team.source) == ""


def referable_by_exact_name() -> Any:
    """The SQL condition for teams someone may name exactly: anything but a public service from a feed."""
    return col(Team.source_kind) != PUBLIC


def public_service_note(team: Team) -> str:
    """Why a public service can't be referred to, in one line."""
    return (
        f"{team.name} is a public service from the {team.source} feed, for signposting; it isn't a team "
        "you refer to or track."
    )
