"""The outbox seen from the conversation: how reminder kinds render, and notices of undeliverable ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.router import Router


def register(router: Router) -> None:
    """Register the notice sent when a reminder cannot be delivered."""
    # Imported here, not at the top of the package, so that importing one module of it (its words, its
    # renderers) neither loads the whole domain nor forms an import cycle with the router.
    from handlers.outbox import delivery_failures

    delivery_failures.register(router)
