"""The case chronology: everything joinup holds about a case, in time order."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.router import Router


def register(router: Router) -> None:
    """Register chronology."""
    # Imported here, not at the top of the package, so that importing one module of it (its words, its
    # renderers) neither loads the whole domain nor forms an import cycle with the router.
    from handlers.chronology import commands

    commands.register(router)
