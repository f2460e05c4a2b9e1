"""Escalation: the walkthrough (escalate, disagree, escalations), its forms and its reminders."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.router import Router


def register(router: Router) -> None:
    """Register the escalation commands, the walkthrough's forms and how its reminders read."""
    # Imported here, not at the top of the package, so that importing one module of it (its words, its
    # renderers) neither loads the whole domain nor forms an import cycle with the router.
    from handlers.escalation import commands, response, steps, timers

    for module in (commands, steps, response, timers):
        module.register(router)
