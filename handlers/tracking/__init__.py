"""Tracking referrals and calls: refer, tried, ack, feedback, mine, snooze, pause, resume, close, and the chases."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.router import Router


def register(router: Router) -> None:
    """Register every tracking command and button, in the order help lists them, and how chases read."""
    # Imported here, not at the top of the package, so that importing one module of it (its words, its
    # renderers) neither loads the whole domain nor forms an import cycle with the router.
    from handlers.intents import saving
    from handlers.tracking import (
        attempts,
        callback_messages,
        callbacks,
        chasing,
        commands,
        items,
        replies,
        request_messages,
        requests,
    )

    for module in (
        commands,
        callbacks,
        requests,
        attempts,
        replies,
        items,
        chasing,
        callback_messages,
        request_messages,
    ):
        module.register(router)
    saving.register(router)  # "Save without it" after a privacy refusal of a typed intent's note
