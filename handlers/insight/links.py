"""Short-lived signed web links: the bot sends one in chat, the web pages accept it once.

A link carries who it is for, what it opens, when it stops working and a random nonce, signed with the
deployment's link secret (itsdangerous, HMAC-SHA1 by default). A tampered link fails the signature, an old one
is past its expiry, and a used one finds its nonce already claimed (bot/web_pages/session.py). What the person
may see is worked out again from their roles on every page.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import SecretStr

Purpose = Literal["insight", "directory"]
LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=1)
_LINK_SALT = "joinup.web-link"
_SESSION_SALT = "joinup.web-session"
PATHS: dict[Purpose, str] = {"insight": "/insight", "directory": "/directory/edit"}


class LinkRefused(Exception):
    """A link or session can't be used: `reason` is "expired", "invalid" or "used"."""

    def __init__(self, reason: Literal["expired", "invalid", "used"]) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class LinkClaims:
    """What a valid link or session says: whose it is, what it opens, and until when."""

    person_id: int
    purpose: Purpose
    expires_at: datetime
    nonce: str = ""  # links only: makes each link different, so each can be used once


def _serializer(secret: SecretStr, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret.get_secret_value(), salt=salt)


def _sign(secret: SecretStr, salt: str, claims: LinkClaims) -> str:
    payload: dict[str, object] = {
        "p": claims.person_id,
        "u": claims.purpose,
        "x": int(claims.expires_at.timestamp()),
    }
    if claims.nonce:
        payload["n"] = claims.nonce
    return str(_serializer(secret, salt).dumps(payload))


def _read(secret: SecretStr, salt: str, token: str, *, now: datetime) -> LinkClaims:
    try:
        payload = _serializer(secret, salt).loads(token)
        claims = LinkClaims(
            person_id=int(payload["p"]),
            purpose=payload["u"] if payload["u"] in PATHS else "insight",
            expires_at=datetime.fromtimestamp(int(payload["x"]), tz=UTC),
            nonce=str(payload.get("n", ""))[:40],
        )
    except (BadSignature, KeyError, TypeError, ValueError):
        raise LinkRefused("invalid") from None
    if now >= claims.expires_at:
        raise LinkRefused("expired")
    return claims


def make_link_token(*, secret: SecretStr, person_id: int, purpose: Purpose, now: datetime) -> str:
    """Return a signed token for a link that works once, within LINK_LIFETIME from `now`."""
    return _sign(
        secret, _LINK_SALT, LinkClaims(person_id, purpose, now + LINK_LIFETIME, secrets.token_urlsafe(12))
    )


def make_link(*, base_url: str, secret: SecretStr, person_id: int, purpose: Purpose, now: datetime) -> str:
    """Return the full sign-in link the bot sends in chat."""
    token = make_link_token(secret=secret, person_id=person_id, purpose=purpose, now=now)
    return f"{base_url.rstrip('/')}/web/enter?t={token}"


def read_link_token(*, secret: SecretStr, token: str, now: datetime) -> LinkClaims:
    """Return the claims of a link token.

    Raises:
        LinkRefused: the token was tampered with ("invalid") or is too old ("expired").
    """
    return _read(secret, _LINK_SALT, token, now=now)


def make_session_token(*, secret: SecretStr, claims: LinkClaims, now: datetime) -> str:
    """Return the signed session cookie value set when a link is used; it lasts SESSION_LIFETIME.

    It keeps the link's nonce, so signing out can end this one session for good.
    """
    return _sign(
        secret,
        _SESSION_SALT,
        LinkClaims(claims.person_id, claims.purpose, now + SESSION_LIFETIME, claims.nonce),
    )


def read_session_token(*, secret: SecretStr, token: str, now: datetime) -> LinkClaims:
    """Return the claims of a session cookie.

    Raises:
        LinkRefused: tampered with or expired.
    """
    return _read(secret, _SESSION_SALT, token, now=now)
