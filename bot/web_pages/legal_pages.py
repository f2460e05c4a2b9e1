"""The privacy notice (/privacy) and terms of use (/terms): public pages, in plain English, that the Teams app
manifest links to. They say what docs/data-protection.md says, and name the data controller and data
protection officer from settings (JOINUP_DATA_CONTROLLER__…, JOINUP_DPO__…)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from bot.runtime import Runtime
from bot.web_pages.session import render

HOME = "/privacy"
NAV = (("/privacy", "Privacy"), ("/terms", "Terms of use"))


def _nav(active: str) -> list[dict[str, object]]:
    return [{"href": href, "label": label, "active": href == active} for href, label in NAV]


def legal_routes(runtime: Runtime) -> APIRouter:
    """GET /privacy and GET /terms: no sign-in, nothing personal, the same for everyone."""
    router = APIRouter()
    settings = runtime.settings

    def _page(template: str, path: str, title: str) -> HTMLResponse:
        return render(
            template,
            title=title,
            home=HOME,
            nav=_nav(path),
            controller=settings.data_controller,
            dpo=settings.dpo,
            retention_years=settings.retention_years,
        )

    @router.get(HOME, response_class=HTMLResponse)
    async def privacy() -> HTMLResponse:
        return _page("privacy.html", "/privacy", "Privacy notice")

    @router.get("/terms", response_class=HTMLResponse)
    async def terms() -> HTMLResponse:
        return _page("terms.html", "/terms", "Terms of use")

    return router
