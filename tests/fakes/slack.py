"""A fake Slack Web API: a real HTTP server on port 0 that records every call and answers like Slack.

Point `AsyncWebClient(base_url=fake.api_url)` at it (JOINUP_SLACK__API_URL in settings). Response URLs for
slash commands and buttons come from `fake.response_url()`, so `respond()` lands here too. Failures are
scripted per method: `fake.fail("chat.postMessage", status=429, retry_after=1)`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_USER_ID = "UJOINUPBOT"
TEAM_ID = "T0NORTHBRK"
JSON_FIELDS = ("blocks", "view", "attachments")


@dataclass
class Call:
    """One request the fake received: the API method (or response URL path) and its decoded arguments."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    response: dict[str, Any] | None = None  # what the fake answered (None for response URLs and failures)


@dataclass
class ScriptedFailure:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    """The fake Web API server. Start it with `start()`, stop it with `stop()` (or use it as a fixture)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}  # user id → users.info "user" object
        self._failures: dict[str, deque[ScriptedFailure]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        """Listen on 127.0.0.1 on a free port, in a background thread."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._serve(self)

            def do_GET(self) -> None:
                fake._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        """Return http://127.0.0.1:<port>."""
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """Return the Web API base URL for AsyncWebClient(base_url=...)."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "1") -> str:
        """Return a response_url to put in a slash command or block_actions payload."""
        return f"{self.base_url}/response/{name}"

    # --- scripting ----------------------------------------------------------------------------
    def add_user(self, user_id: str, *, email: str | None, name: str = "Test User") -> None:
        """Make users.info know a user (with or without an e-mail address)."""
        profile: dict[str, Any] = {"real_name": name, "display_name": name.split()[0]}
        if email:
            profile["email"] = email
        self.users[user_id] = {"id": user_id, "team_id": TEAM_ID, "real_name": name, "profile": profile}

    def fail(
        self, method: str, *, status: int, times: int = 1, error: str = "", retry_after: int | None = None
    ) -> None:
        """Answer the next `times` calls to `method` with an error status (429 carries Retry-After)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        code = error or ("ratelimited" if status == 429 else "internal_error")
        for _ in range(times):
            self._failures[method].append(ScriptedFailure(status, {"ok": False, "error": code}, headers))

    # --- inspection ---------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        """Return every call to `method` (a Web API method, or "response" for response URLs)."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def last(self, method: str) -> dict[str, Any]:
        """Return the arguments of the latest call to `method`."""
        calls = self.calls_to(method)
        assert calls, f"no call to {method}; got {[c.method for c in self.calls]}"
        return calls[-1].args

    async def wait_for(self, method: str, *, count: int = 1, within_seconds: float = 10.0) -> list[Call]:
        """Wait until `method` has been called at least `count` times (listeners run after the ack)."""
        try:
            async with asyncio.timeout(within_seconds):
                # Calls arrive on the server thread, so poll rather than wait on an asyncio.Event.
                while len(self.calls_to(method)) < count:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
        except TimeoutError:
            seen = [c.method for c in self.calls]
            raise AssertionError(f"expected {count} call(s) to {method}; got {seen}") from None
        return self.calls_to(method)

    # --- serving ------------------------------------------------------------------------------
    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length).decode("utf-8") if length else ""
        args: dict[str, Any] = dict(parse_qsl(url.query))
        if raw:
            if (request.headers.get("Content-Type") or "").startswith("application/json"):
                args.update(json.loads(raw))
            else:
                args.update(parse_qsl(raw, keep_blank_values=True))
        for name in JSON_FIELDS:
            if isinstance(args.get(name), str):
                args[name] = json.loads(args[name])
        method = "response" if url.path.startswith("/response/") else url.path.removeprefix("/api/")
        call = Call(method, args, {k.lower(): v for k, v in request.headers.items()})
        with self._lock:
            failure = self._failures[method].popleft() if self._failures[method] else None
            if failure is None and method != "response":
                call.response = self._answer(method, args)
            self.calls.append(call)
        if failure is not None:
            self._send(request, failure.status, failure.body, failure.headers)
        else:
            self._send(request, 200, call.response)

    def _send(
        self,
        request: BaseHTTPRequestHandler,
        status: int,
        body: dict[str, Any] | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = b"ok" if body is None else json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "text/plain" if body is None else "application/json")
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ok: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            return {
                **ok,
                "url": "https://northbrook.example.org/",
                "team": "Northbrook",
                "user": "joinup",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": "BJOINUP",
            }
        if method == "users.info":
            user = self.users.get(str(args.get("user")))
            return {**ok, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "conversations.open":
            users = str(args.get("users", ""))
            return {**ok, "channel": {"id": f"D{users.removeprefix('U')}"}}
        if method in ("chat.postMessage", "chat.update"):
            ts = str(args.get("ts") or f"1764064800.{next(self._ts):06d}")
            message = {
                "type": "message",
                "user": BOT_USER_ID,
                "ts": ts,
                "text": args.get("text", ""),
                "blocks": args.get("blocks", []),
            }
            return {**ok, "channel": args.get("channel"), "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            return {**ok, "message_ts": f"1764064800.{next(self._ts):06d}"}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            view = dict(args.get("view") or {})
            return {**ok, "view": {**view, "id": f"V{next(self._ts):08d}"}}
        return ok
