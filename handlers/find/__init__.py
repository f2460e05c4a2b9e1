"""Finding the right contact: find, its button, its natural phrasings and the free-text search."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.router import Router


def register(router: Router) -> None:
    """Register find, its button, its phrasings and the free-text fallback."""
    # Imported here, not at the top of the package, so that importing one module of it (its words, its
    # renderers) neither loads the whole domain nor forms an import cycle with the router.
    from handlers.find import commands

    commands.register(router)
