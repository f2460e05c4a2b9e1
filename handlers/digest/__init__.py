"""Manager digests: the digest command, its buttons and settings (the job lives in send.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.router import Router


def register(router: Router) -> None:
    """Register digest and its buttons."""
    # Imported here, not at the top of the package, so that importing one module of it (its words, its
    # renderers) neither loads the whole domain nor forms an import cycle with the router.
    from handlers.digest import commands

    commands.register(router)
