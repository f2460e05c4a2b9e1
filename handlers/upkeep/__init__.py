"""Directory upkeep in chat: verify and stale, the review nudges to owners and managers, and feed pulls."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.router import Router


def register(router: Router) -> None:
    """Register verify and stale, and how the review nudges read."""
    # Imported here, not at the top of the package, so that importing one module of it (its words, its
    # renderers) neither loads the whole domain nor forms an import cycle with the router.
    from handlers.upkeep import commands, nudges, source_pulls

    commands.register(router)
    nudges.register_renderers(router.reminders)
    source_pulls.register_renderers(router.reminders)
