"""A fake Bot Framework: a connector service that records every outgoing activity, and the OpenID/JWKS
endpoints that sign and verify inbound activities with a test key.

It is a real HTTP server on 127.0.0.1, port 0. A createConversation (POST /v3/conversations, the bot
opening a 1:1 chat) is recorded in `created` and answered with the personal chat's id `personal_activity` uses. Give `fake.service_url` as an activity's `serviceUrl` and
the SDK sends its replies here; give `fake.cloud()` to the bot and it fetches its signing keys here.
Failures are scripted: `fake.fail(status=429, retry_after=2)` answers the next connector call with them.
`fake.enforce_limits(...)` makes it throttle like Teams: a send over a published limit is answered 429.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from microsoft_teams.api.auth.cloud_environment import PUBLIC, CloudEnvironment, with_overrides

APP_ID = "5f2a9c1e-0b7d-4c3a-9e61-2d8f4b7a1c00"
TENANT_ID = "9d3e7b52-1f4a-4e8c-b6d0-7a2c5e9f8b11"
BOT_ID = f"28:{APP_ID}"
CHANNEL_ID = "19:safeguarding-general@thread.tacv2"  # a team channel the bot was added to
_ACTIVITIES = re.compile(r"^/v3/conversations/(?P<conversation>[^/]+)/activities(?:/(?P<activity>[^/]+))?$")


@dataclass
class Sent:
    """One activity the bot sent (POST, with the id the connector gave it) or updated (PUT, by its id)."""

    method: str
    conversation_id: str
    activity_id: str | None
    activity: dict[str, Any]
    headers: dict[str, str]

    @property
    def card(self) -> dict[str, Any]:
        """Return the first Adaptive Card attached to the activity."""
        for attachment in self.activity.get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                content: dict[str, Any] = attachment["content"]
                return content
        raise AssertionError(f"no Adaptive Card in {self.activity}")

    @property
    def text(self) -> str:
        """Return the card's fallback text (the plain-text version of the reply)."""
        return str(self.card.get("fallbackText", ""))


@dataclass
class Limits:
    """Teams' published send limits, checked on the fake connector's own clock: (count, window seconds) pairs
    per conversation and per tenant. A send that would make any window hold more than its count gets a 429."""

    now: Callable[[], float]
    tenant_of: Callable[[str], str]
    per_conversation: tuple[tuple[int, float], ...] = ((7, 1), (8, 2), (60, 30), (1800, 3600))
    per_tenant: tuple[tuple[int, float], ...] = ((30, 1),)
    seen: dict[str, deque[float]] = field(default_factory=dict)

    def admit(self, conversation: str) -> bool:
        """Record a send at the current time if every window has room; False (and nothing recorded) if not."""
        at = self.now()
        checks = (
            (f"c:{conversation}", self.per_conversation),
            (f"t:{self.tenant_of(conversation)}", self.per_tenant),
        )
        for key, limits in checks:
            times = self.seen.setdefault(key, deque())
            for count, window in limits:
                if sum(1 for t in times if t > at - window) >= count:
                    return False
        for key, limits in checks:
            times = self.seen[key]
            times.append(at)
            longest = max(window for _, window in limits)
            while times and times[0] <= at - longest:
                times.popleft()
        return True


@dataclass
class ScriptedFailure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class FakeBotFramework:
    """The fake connector and token-signing service."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.created: list[dict[str, Any]] = []  # createConversation bodies, in order
        self.attempts = 0  # every connector call, failed ones included
        self.key_fetches = 0
        self._failures: deque[ScriptedFailure] = deque()
        self.limits: Limits | None = None
        self.throttled = 0  # sends answered 429 because they were over a limit
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = uuid.uuid4().hex
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> FakeBotFramework:
        """Listen on 127.0.0.1 on a free port, in a background thread."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._serve(self, "POST")

            def do_PUT(self) -> None:
                fake._serve(self, "PUT")

            def do_GET(self) -> None:
                fake._serve(self, "GET")

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        """Return the base URL."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def service_url(self) -> str:
        """Return the serviceUrl to put in activities: the connector lives here."""
        return f"{self.url}/teams/"

    def cloud(self) -> CloudEnvironment:
        """Return the public cloud with its Bot Framework OpenID metadata (and so the JWKS) served here."""
        return with_overrides(PUBLIC, openid_metadata_url=f"{self.url}/v1/.well-known/openidconfiguration")

    # --- scripting ----------------------------------------------------------------------------
    def fail(self, *, status: int, retry_after: float | None = None, times: int = 1) -> None:
        """Answer the next `times` connector calls with `status` (and a Retry-After header)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self._lock:
            self._failures.extend(ScriptedFailure(status, headers) for _ in range(times))

    def enforce_limits(self, limits: Limits) -> None:
        """Throttle sends over Teams' limits from now on (answered 429 with Retry-After: 1)."""
        self.limits = limits

    def sign(self, *, service_url: str, audience: str = APP_ID, **claims: Any) -> str:
        """Return a Bot Framework-style token for an inbound activity, signed with the test key."""
        now = int(time.time())
        payload = {
            "iss": PUBLIC.token_issuer,
            "aud": audience,
            "serviceurl": service_url,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            **claims,
        }
        return jwt.encode(payload, self._key, algorithm="RS256", headers={"kid": self._kid})

    def to(self, conversation_id: str) -> list[Sent]:
        """Return what was sent to one conversation."""
        return [sent for sent in self.sent if sent.conversation_id == conversation_id]

    # --- serving ------------------------------------------------------------------------------
    def _serve(self, request: BaseHTTPRequestHandler, method: str) -> None:
        path = request.path.split("?")[0]
        if method == "GET" and path.endswith("/openidconfiguration"):
            self._answer(
                request, 200, {"issuer": PUBLIC.token_issuer, "jwks_uri": f"{self.url}/v1/.well-known/keys"}
            )
            return
        if method == "GET" and path.endswith("/keys"):
            with self._lock:
                self.key_fetches += 1
            jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
            self._answer(request, 200, {"keys": [{**jwk, "kid": self._kid, "use": "sig", "alg": "RS256"}]})
            return
        if method == "POST" and path.removeprefix("/teams").rstrip("/") == "/v3/conversations":
            self._create_conversation(request)
            return
        match = _ACTIVITIES.match(path.removeprefix("/teams"))
        if match is None or method == "GET":
            self._answer(request, 404, {"error": {"code": "NotFound", "message": path}})
            return
        length = int(request.headers.get("Content-Length") or 0)
        body = json.loads(request.rfile.read(length) or b"{}")
        with self._lock:
            self.attempts += 1
            failure = self._failures.popleft() if self._failures else None
            if failure is None and self.limits is not None and not self.limits.admit(match["conversation"]):
                self.throttled += 1
                failure = ScriptedFailure(429, {"Retry-After": "1"})
            if failure is None:
                activity_id = match["activity"] or f"1:{next(self._ids)}"
                self.sent.append(
                    Sent(method, match["conversation"], activity_id, body, dict(request.headers))
                )
        if failure is not None:
            self._answer(request, failure.status, {"error": {"code": "Throttled"}}, failure.headers)
            return
        self._answer(request, 200 if method == "PUT" else 201, {"id": activity_id})

    def _create_conversation(self, request: BaseHTTPRequestHandler) -> None:
        """Open a 1:1 chat: Teams gives back the one conversation a bot has with a user, however often asked."""
        length = int(request.headers.get("Content-Length") or 0)
        body = json.loads(request.rfile.read(length) or b"{}")
        with self._lock:
            self.attempts += 1
            self.created.append(body)
        members = body.get("members") or [{}]
        user = str(members[0].get("aadObjectId") or members[0].get("id") or "").removeprefix("29:")
        self._answer(request, 201, {"id": conversation_id(user)})

    @staticmethod
    def _answer(
        request: BaseHTTPRequestHandler,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)


def personal_activity(
    fake: FakeBotFramework,
    *,
    user: str,
    type: str = "message",
    activity_id: str | None = None,
    sender_name: str = "Amy Hughes",
    **fields: Any,
) -> dict[str, Any]:
    """Build an activity as Teams sends it from a personal chat with the bot."""
    return {
        "type": type,
        "id": activity_id or f"f:{uuid.uuid4().hex}",
        "timestamp": "2026-11-25T10:00:00.000Z",
        "serviceUrl": fake.service_url,
        "channelId": "msteams",
        "from": {"id": f"29:{user}", "name": sender_name, "aadObjectId": user},
        "conversation": {"id": f"a:personal-{user}", "conversationType": "personal", "tenantId": TENANT_ID},
        "recipient": {"id": BOT_ID, "name": "joinup"},
        "channelData": {"tenant": {"id": TENANT_ID}},
        "locale": "en-GB",
        **fields,
    }


def conversation_id(user: str) -> str:
    """Return the personal conversation id `personal_activity` uses for a user."""
    return f"a:personal-{user}"


def channel_activity(
    fake: FakeBotFramework, *, user: str, text: str, sender_name: str = "Amy Hughes", **fields: Any
) -> dict[str, Any]:
    """Build a message as Teams sends it from a team channel the bot is in (the bot @mentioned)."""
    return {
        **personal_activity(fake, user=user, text=f"<at>joinup</at> {text}", sender_name=sender_name),
        "conversation": {
            "id": CHANNEL_ID,
            "conversationType": "channel",
            "isGroup": True,
            "tenantId": TENANT_ID,
        },
        "channelData": {
            "tenant": {"id": TENANT_ID},
            "team": {"id": "19:team-northbrook@thread.tacv2"},
            "channel": {"id": CHANNEL_ID},
        },
        **fields,
    }
