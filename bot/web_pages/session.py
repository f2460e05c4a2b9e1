"""Signing in to the web pages: a signed link from chat becomes a signed session cookie.

`GET /web/enter?t=...` checks the link (15 minutes, signed, not used yet), sets a state cookie in this browser
and shows a Continue button; the button's POST must come back with that cookie (so another site can't sign a
victim into the attacker's session), claims the link's nonce once (so a forwarded or previewed link can't be
reused), audits its use, sets an HttpOnly cookie that lasts an hour, and redirects to the page the link was
for. Every page reads the cookie and the person's roles again, so a role removed in the meantime takes effect
at once. An expired or tampered link or cookie gets one clear page that says to ask the bot for a new link;
it is counted, not audited (anyone can send junk tokens, and the audit log is permanent). Forms carry a CSRF
token tied to the session. `POST /web/sign-out` ends the session for good.
"""

from __future__ import annotations

import hmac
import secrets
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
    SESSION_LIFETIME,
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
STATE_COOKIE = "joinup_state"
LINK_KEY_PREFIX = "web-link:"
SIGNED_OUT_PREFIX = "web-signed-out:"
HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_FILES = {
    "govuk": frozenset({"govuk-frontend.min.css", "govuk-frontend.min.js"}),
    "joinup": frozenset({"joinup.css", "body-classes.js", "start.js"}),
}
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
    elif reason == "browser":
        heading = "Open the link again — ask the bot for a new one"
        lines = [
            "This sign-in didn't start in this browser, so it can't be finished here.",
            "Open the link from chat and press Continue in the same browser.",
        ]
    elif reason == "signed-out":
        heading, lines = "You have signed out", ["To come back, ask the bot for a new link."]
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
        is_signed_out = bool(claims.nonce) and (
            session.get(ProcessedEvent, SIGNED_OUT_PREFIX + claims.nonce) is not None
        )
    if person is None:
        raise SignInNeeded("invalid", purpose)
    if is_signed_out:
        raise SignInNeeded("signed-out", purpose)
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


def state_value(runtime: Runtime, browser_state: str, claims: LinkClaims) -> str:
    """Return the form value that binds a link's Continue button to the browser holding `browser_state`."""
    key = runtime.settings.link_secret.get_secret_value().encode()
    return hmac.new(key, f"state:{browser_state}:{claims.nonce}".encode(), sha256).hexdigest()


def _count(request: Request, reason: str) -> None:
    refusals = getattr(request.app.state, "refusals", None)
    if refusals is not None:
        refusals.add(reason)


def session_routes(runtime: Runtime) -> APIRouter:
    """GET and POST /web/enter (use a link from chat), POST /web/sign-out, and the static files."""
    router = APIRouter()

    def _check(request: Request, token: str) -> LinkClaims:
        """The link's claims, or LinkRefused if it is tampered with, too old or used already.

        Junk and expired tokens are only counted; a used link is audited, since a genuine link opened twice
        may have been forwarded or intercepted.
        """
        now = runtime.clock.now()
        try:
            claims = read_link_token(secret=runtime.settings.link_secret, token=token[:2000], now=now)
            with runtime.sessions() as session:
                if (
                    not claims.nonce
                    or session.get(ProcessedEvent, LINK_KEY_PREFIX + claims.nonce) is not None
                ):
                    raise LinkRefused("used" if claims.nonce else "invalid")
        except LinkRefused as refused:
            _count(request, f"sign-in link {refused.reason}")
            if refused.reason == "used":
                with runtime.sessions.begin() as session:
                    audit.record(
                        session=session, at=now, actor="web:anonymous", action="web.link_refused",
                        subject="web:link", data={"reason": refused.reason},
                    )  # fmt: skip
            raise
        return claims

    @router.get("/web/enter", include_in_schema=False)
    async def enter(request: Request, t: str = "") -> Response:
        # Only a page with a button: chat apps and mail scanners open links to preview them, and a GET
        # that signed in would use the link up before its person clicked it.
        try:
            claims = _check(request, t)
        except LinkRefused as refused:
            return refused_page(refused.reason, "insight")
        what = "the insight dashboard" if claims.purpose == "insight" else "the directory editor"
        browser_state = request.cookies.get(STATE_COOKIE) or secrets.token_urlsafe(24)
        response = render(
            "enter.html", title=f"Open {what}", heading=f"Open {what}", token=t, nav=[],
            state=state_value(runtime, browser_state, claims),
            lines=["This link works once and only for you. Nobody else should use it."],
        )  # fmt: skip
        # Strict: never sent with a form posted from another site, which is what login CSRF needs.
        response.set_cookie(
            STATE_COOKIE, browser_state, max_age=int(LINK_LIFETIME.total_seconds()), httponly=True,
            secure=_secure(runtime), samesite="strict", path="/web/enter",
        )  # fmt: skip
        return response

    @router.post("/web/enter", include_in_schema=False)
    async def use(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
        try:
            claims = _check(request, form.get("t", ""))
        except LinkRefused as refused:
            return refused_page(refused.reason, "insight")
        browser_state = request.cookies.get(STATE_COOKIE, "")
        if not browser_state or not hmac.compare_digest(
            state_value(runtime, browser_state, claims), form.get("state", "")
        ):
            _count(request, "sign-in from another browser")
            return refused_page("browser", claims.purpose)
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
        response.delete_cookie(STATE_COOKIE, path="/web/enter")
        return response

    @router.post("/web/sign-out", include_in_schema=False)
    async def sign_out(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
        try:
            v = visitor(request, runtime, "insight")
            check_csrf(runtime, request, form.get("csrf", ""), "insight")
        except SignInNeeded as needed:
            return refused_page(needed.reason, needed.purpose)
        now = runtime.clock.now()
        if v.claims.nonce:  # remembered until the session would have ended anyway
            claim_once(
                sessions=runtime.sessions, key=SIGNED_OUT_PREFIX + v.claims.nonce, at=now,
                prefix=SIGNED_OUT_PREFIX, forget_before=now - SESSION_LIFETIME,
            )  # fmt: skip
        with runtime.sessions.begin() as session:
            audit.record(
                session=session, at=now, actor=v.person.handle, action="web.signed_out",
                subject=f"web:{v.claims.purpose}",
            )  # fmt: skip
        response = refused_page("signed-out", v.claims.purpose)
        response.status_code = 200
        response.delete_cookie(COOKIE, path="/")
        return response

    @router.get("/static/{folder}/{name}", include_in_schema=False)
    async def static_file(folder: str, name: str) -> Response:
        if name not in STATIC_FILES.get(folder, frozenset()):
            return Response(status_code=404)
        return FileResponse(STATIC / folder / name, headers={"Cache-Control": "public, max-age=3600"})

    return router
