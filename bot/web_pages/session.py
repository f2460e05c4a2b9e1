"""Signing in to the web pages: a signed link from chat becomes a signed session cookie.

`GET /web/enter?t=...` checks the link (15 minutes, signed, not used yet) and shows a Continue button; the
button's POST claims the link's nonce once (so a forwarded or previewed link can't be reused), audits its use,
sets an HttpOnly cookie that lasts an hour, and redirects to the page the link was for. Every page reads the cookie and the person's roles again,
so a role removed in the meantime takes effect at once. An expired or tampered link or cookie gets one clear
page that says to ask the bot for a new link. Forms carry a CSRF token tied to the session.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.runtime import Runtime
from handlers.insight.links import (
    LINK_LIFETIME,
    PATHS,
    LinkClaims,
    LinkRefused,
    Purpose,
    make_session_token,
    read_link_token,
    read_session_token,
)
from schedules.time.words import time_in_words
from storage import audit
from storage.claims import claim_once
from storage.models import Person, ProcessedEvent

COOKIE = "joinup_web"
LINK_KEY_PREFIX = "web-link:"
HERE = Path(__file__).parent
STATIC = HERE / "static" / "govuk"
STATIC_FILES = frozenset({"govuk-frontend.min.css", "govuk-frontend.min.js"})
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


class SignInNeeded(Exception):
    """The request has no usable session: `reason` is "expired", "invalid" or "missing"."""

    def __init__(self, reason: str, purpose: Purpose = "insight") -> None:
        super().__init__(reason)
        self.reason = reason
        self.purpose = purpose


@dataclass(frozen=True, slots=True)
class Visitor:
    """The signed-in person and their session."""

    person: Person
    claims: LinkClaims
    csrf: str


def render(template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page template."""
    context.setdefault("home", "/insight")
    html = TEMPLATES.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def refused_page(reason: str, purpose: Purpose) -> HTMLResponse:
    """The one page for an expired, tampered or missing link or session."""
    command = "edit directory" if purpose == "directory" else "insight"
    if reason == "missing":
        heading, lines = "Sign in from chat", ["These pages open from a link the joinup bot sends you."]
    elif reason == "used":
        heading = "Link already used — ask the bot for a new one"
        lines = ["Each link works once. If you didn't open it yourself, tell your manager."]
    else:
        heading = "Link expired — ask the bot for a new one"
        lines = ["This link has expired or is not valid, so it can't be used to sign in."]
    return render(
        "refused.html", status_code=403, title=heading, heading=heading, lines=lines, command=command, nav=[]
    )


def _secure(runtime: Runtime) -> bool:
    return runtime.settings.public_base_url.startswith("https://")


def csrf_token(runtime: Runtime, session_token: str) -> str:
    """Return the form token that goes with a session cookie."""
    key = runtime.settings.link_secret.get_secret_value().encode()
    return hmac.new(key, b"csrf:" + session_token.encode(), sha256).hexdigest()


def visitor(request: Request, runtime: Runtime, purpose: Purpose) -> Visitor:
    """Return the signed-in person.

    Raises:
        SignInNeeded: no cookie, or it is expired or tampered with, or the person no longer exists.
    """
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInNeeded("missing", purpose)
    try:
        claims = read_session_token(secret=runtime.settings.link_secret, token=token, now=runtime.clock.now())
    except LinkRefused as refused:
        raise SignInNeeded(refused.reason, purpose) from None
    with runtime.sessions() as session:
        person = session.get(Person, claims.person_id)
    if person is None:
        raise SignInNeeded("invalid", purpose)
    return Visitor(person=person, claims=claims, csrf=csrf_token(runtime, token))


def check_csrf(runtime: Runtime, request: Request, form_token: str, purpose: Purpose) -> None:
    """Refuse a form that did not come from our own page.

    Raises:
        SignInNeeded: the token is missing or wrong.
    """
    cookie = request.cookies.get(COOKIE, "")
    if not cookie or not hmac.compare_digest(csrf_token(runtime, cookie), form_token):
        raise SignInNeeded("invalid", purpose)


def page_context(v: Visitor, *, active: str, can_edit: bool, can_see_insight: bool) -> dict[str, Any]:
    """Return what every signed-in page shows: navigation, who is signed in and until when."""
    nav = []
    if can_see_insight:
        nav.append({"label": "Insight", "href": "/insight", "active": active == "insight"})
    if can_edit:
        nav.append({"label": "Directory", "href": "/directory/edit", "active": active == "directory"})
    return {
        "nav": nav,
        "signed_in_as": v.person.display_name,
        "session_ends": time_in_words(v.claims.expires_at),
        "csrf": v.csrf,
        "home": nav[0]["href"] if nav else "/insight",
    }


def session_routes(runtime: Runtime) -> APIRouter:
    """GET /web/enter (use a link from chat) and the vendored GOV.UK Frontend files."""
    router = APIRouter()

    def _check(token: str) -> LinkClaims:
        """The link's claims, or LinkRefused (audited) if it is tampered with, too old or used already."""
        now = runtime.clock.now()
        try:
            claims = read_link_token(secret=runtime.settings.link_secret, token=token, now=now)
            with runtime.sessions() as session:
                if (
                    not claims.nonce
                    or session.get(ProcessedEvent, LINK_KEY_PREFIX + claims.nonce) is not None
                ):
                    raise LinkRefused("used" if claims.nonce else "invalid")
        except LinkRefused as refused:
            with runtime.sessions.begin() as session:
                audit.record(
                    session=session, at=now, actor="web:anonymous", action="web.link_refused",
                    subject="web:link", data={"reason": refused.reason},
                )  # fmt: skip
            raise
        return claims

    @router.get("/web/enter", include_in_schema=False)
    async def enter(t: str = "") -> Response:
        # Only a page with a button: chat apps and mail scanners open links to preview them, and a GET
        # that signed in would use the link up before its person clicked it.
        try:
            claims = _check(t)
        except LinkRefused as refused:
            return refused_page(refused.reason, "insight")
        what = "the insight dashboard" if claims.purpose == "insight" else "the directory editor"
        return render(
            "enter.html", title=f"Open {what}", heading=f"Open {what}", token=t, nav=[],
            lines=["This link works once and only for you. Nobody else should use it."],
        )  # fmt: skip

    @router.post("/web/enter", include_in_schema=False)
    async def use(request: Request) -> Response:
        body = (await request.body()).decode("utf-8", errors="replace")
        try:
            claims = _check(dict(parse_qsl(body)).get("t", ""))
        except LinkRefused as refused:
            return refused_page(refused.reason, "insight")
        now = runtime.clock.now()
        # A used link's record matters only while the link could still be used (15 minutes).
        claimed = claim_once(
            sessions=runtime.sessions,
            key=LINK_KEY_PREFIX + claims.nonce,
            at=now,
            prefix=LINK_KEY_PREFIX,
            forget_before=now - 2 * LINK_LIFETIME,
        )
        if not claimed:
            return refused_page("used", claims.purpose)  # two clicks at once: the other one won
        with runtime.sessions.begin() as session:
            person = session.get(Person, claims.person_id)
            if person is None:
                return refused_page("invalid", claims.purpose)
            audit.record(
                session=session, at=now, actor=person.handle, action="web.link_used",
                subject=f"web:{claims.purpose}", data={"expires_at": claims.expires_at.isoformat()},
            )  # fmt: skip
        response = RedirectResponse(PATHS[claims.purpose], status_code=303)
        response.set_cookie(
            COOKIE,
            make_session_token(secret=runtime.settings.link_secret, claims=claims, now=now),
            httponly=True,
            secure=_secure(runtime),
            samesite="lax",
            path="/",
        )
        return response

    @router.get("/static/govuk/{name}", include_in_schema=False)
    async def static_file(name: str) -> Response:
        if name not in STATIC_FILES:
            return Response(status_code=404)
        return FileResponse(STATIC / name, headers={"Cache-Control": "public, max-age=3600"})

    return router
