"""Guidance: explain a role (role), work out a deadline (due) and think through sharing (share?)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.router import Router


def register(router: Router) -> None:
    """Register role, due and share?, in the order help lists them."""
    # Imported here, not at the top of the package, so that importing one module of it (its words, its
    # renderers) neither loads the whole domain nor forms an import cycle with the router.
    from handlers.guidance import role, share, timescales

    for module in (role, timescales, share):
        module.register(router)
