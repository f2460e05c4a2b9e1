"""The conversation layer's commands, registered together: find, role, due, share?, setup and cancel.

help is registered first on its own (it lists every command); then these, in the order help shows them.
"""

from __future__ import annotations

from handlers import flow, onboarding
from handlers.find import commands as find
from handlers.guidance import role, share
from handlers.guidance import timescales as due
from handlers.router import Router

MODULES = (find, role, due, share, onboarding, flow)


def register(router: Router) -> None:
    """Register find (and free-text search), role, due, share?, onboarding and cancel."""
    for module in MODULES:
        module.register(router)
