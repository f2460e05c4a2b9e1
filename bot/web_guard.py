"""What every request to `joinup serve` passes before any route sees it, and what every response carries.

An ASGI middleware (not a FastAPI dependency) so it runs before Slack's, Teams' or FastAPI's own body
parsing: a body over the limit is refused with 413 from its Content-Length, or as soon as the running count
passes the limit, without ever being held whole; a client that stops sending mid-body gets 408; JSON nested
deeper than any platform sends is refused with 400 before a parser recurses into it. Refusals are short JSON
errors, counted (see `RefusalCounts`), never audited: unauthenticated noise must not grow the permanent
audit log. Every response gets the security headers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 1_000_000
BODY_TIMEOUT_SECONDS = 15.0
HEADER_TIMEOUT_SECONDS = 10.0
# Slack and Teams payloads nest fewer than 15 levels (an Adaptive Card inside an activity included).
MAX_JSON_DEPTH = 64

# No inline script or style anywhere: the pages load GOV.UK Frontend and joinup's own files from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


@dataclass
class RefusalCounts:
    """How many requests were refused before reaching a route, by reason; shown at GET /metrics."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, reason: str) -> None:
        """Count one refusal."""
        self.counts[reason] += 1


def json_depth(body: bytes) -> int:
    """Return how deeply `body`'s arrays and objects nest (brackets inside strings don't count)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub(b"", body)):
        if match.group(0) in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class _Refused(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(reason)
        self.status, self.reason, self.message = status, reason, message


class RequestGuard:
    """Limit body size, body read time and JSON depth; add security headers to every response."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        is_https: bool,
        counts: RefusalCounts,
        max_body_bytes: int = MAX_BODY_BYTES,
        body_timeout_seconds: float = BODY_TIMEOUT_SECONDS,
        max_json_depth: int = MAX_JSON_DEPTH,
    ) -> None:
        self.app = app
        self.headers = _SECURITY_HEADERS + ((HSTS,) if is_https else ())
        self.counts = counts
        self.max_body_bytes = max_body_bytes
        self.body_timeout_seconds = body_timeout_seconds
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.headers if name not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            body = await self._read_body(scope, receive)
        except _Refused as refused:
            self.counts.add(refused.reason)
            log.info("refused a request", extra={"status": refused.status, "reason": refused.reason})
            await _json_error(send_with_headers, refused.status, refused.message)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_with_headers)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                raise _Refused(400, "bad content-length", "Content-Length is not a number.")
            if int(declared) > self.max_body_bytes:
                raise _Refused(413, "body too large", "The request body is over the 1 MB limit.")
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), timeout=self.body_timeout_seconds)
            except TimeoutError:
                raise _Refused(408, "body too slow", "The request body did not arrive in time.") from None
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _Refused(413, "body too large", "The request body is over the 1 MB limit.")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = headers.get(b"content-type", b"").lower()
        if b"json" in content_type and json_depth(body) > self.max_json_depth:
            raise _Refused(400, "json too deep", "The JSON body is nested too deeply.")
        return body


async def _json_error(send: Send, status: int, message: str) -> None:
    payload = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request line and headers take too long.

    uvicorn times out idle keep-alive connections but not a client that sends its headers a byte at a time;
    this closes such a connection after HEADER_TIMEOUT_SECONDS. Pass it as `uvicorn.run(..., http=...)`.
    """

    header_timeout_seconds = HEADER_TIMEOUT_SECONDS
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:  # still waiting for (the rest of) a request's headers
            if self._header_timer is None:
                self._arm_header_timer()
        elif self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        self._header_timer = self.loop.call_later(self.header_timeout_seconds, self._headers_too_slow)

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            log.info("closed a connection whose headers were too slow")
            self.transport.close()


_TOKEN_PARAM = re.compile(r"([?&](?:t|token|state)=)[^&\s]*")


def strip_tokens(path: str) -> str:
    """Replace the values of sign-in token parameters in a logged path with "[token]"."""
    return _TOKEN_PARAM.sub(r"\1[token]", path)


class AccessLogTokenFilter(logging.Filter):
    """Keep sign-in link tokens out of uvicorn's access log (it logs each request's path and query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Strip tokens from the record's path argument and let it through."""
        if isinstance(record.args, tuple):
            record.args = tuple(strip_tokens(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = strip_tokens(record.msg)
        return True
