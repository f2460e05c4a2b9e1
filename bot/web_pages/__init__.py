"""The web pages `joinup serve` shows people: the insight dashboard, the directory editor, and the public
privacy notice and terms of use.

Server-rendered with Jinja2 templates and styled with GOV.UK Frontend, vendored under static/govuk (no CDN).
Sign-in is by a short-lived signed link the bot sends in chat (see session.py).
"""

from __future__ import annotations

from fastapi import APIRouter

from bot.runtime import Runtime
from bot.web_pages.dashboard import dashboard_routes
from bot.web_pages.directory_pages import directory_routes
from bot.web_pages.legal_pages import legal_routes
from bot.web_pages.session import session_routes


def web_page_routes(runtime: Runtime) -> APIRouter:
    """Return every web page route: sign-in, static files, the dashboard, the directory editor, /privacy, /terms."""
    router = APIRouter()
    for factory in (session_routes, dashboard_routes, directory_routes, legal_routes):
        router.include_router(factory(runtime))
    return router
