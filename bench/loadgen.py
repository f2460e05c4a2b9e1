"""Loopback load and system-test tooling: a fake Slack/Teams platform server, signed requests, a serve process.

Used by `joinup bench load` and tests/system. The fake platform answers every Slack Web API method
and Bot Framework connector call with success (optionally with injected faults) and counts what it
received, so a run can prove that every reply and reminder arrived exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-token"
TEAMS_APP_ID = "00000000-0000-4000-8000-00000000b0e1"


def free_port() -> int:
    """Return a TCP port nobody is listening on (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def slack_signature(body: bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    """Compute X-Slack-Signature exactly as Slack does (v0, HMAC-SHA256 over v0:ts:body)."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_slack_request(
    form: Mapping[str, str], *, secret: str = SIGNING_SECRET
) -> tuple[bytes, dict[str, str]]:
    """A slash-command style form body with Slack's signature headers."""
    body = urlencode(form).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": slack_signature(body, timestamp, secret),
    }
    return body, headers


def slash_command(user_id: str, text: str, *, response_url: str) -> dict[str, str]:
    """The form fields Slack sends for `/joinup <text>`."""
    return {
        "token": "legacy",
        "team_id": "T0BENCH",
        "team_domain": "northbrook",
        "channel_id": f"D{user_id}",
        "channel_name": "directmessage",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": "/joinup",
        "text": text,
        "api_app_id": "A0BENCH",
        "response_url": response_url,
        "trigger_id": f"{random.randrange(10**9)}.bench",
    }


def teams_message(user_index: int, text: str, *, service_url: str) -> dict[str, Any]:
    """A personal-chat message activity as Bot Framework delivers it."""
    return {
        "type": "message",
        "id": f"act-{random.randrange(10**12)}",
        "timestamp": "2026-11-25T10:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {
            "id": f"29:bench-{user_index}",
            "aadObjectId": f"aad-bench-{user_index}",
            "name": "Bench User",
        },
        "conversation": {
            "id": f"a:bench-{user_index}",
            "conversationType": "personal",
            "tenantId": "bench-tenant",
        },
        "recipient": {"id": f"28:{TEAMS_APP_ID}", "name": "joinup"},
        "text": text,
        "channelData": {"tenant": {"id": "bench-tenant"}},
    }


@dataclass
class Faults:
    """Fault injection for the fake platform: each call fails with this probability, in one of these ways."""

    rate: float = 0.0
    kinds: tuple[str, ...] = ("429", "500", "502", "503")
    retry_after_seconds: int = 1
    rng: random.Random = field(default_factory=lambda: random.Random(1))

    def pick(self) -> str | None:
        """Return the fault to inject for this call, or None to answer normally."""
        return self.rng.choice(self.kinds) if self.rate and self.rng.random() < self.rate else None


@dataclass
class FakePlatform:
    """A fake Slack Web API (under /slack/api/) and Bot Framework connector (under /teams/), on one port."""

    faults: Faults = field(default_factory=Faults)
    calls: Counter[str] = field(default_factory=Counter)
    posted: list[dict[str, Any]] = field(default_factory=list)
    emails: dict[str, str] = field(default_factory=dict)  # Slack user id → e-mail for users.info
    _serial: Iterator[int] = field(default_factory=itertools.count)

    def app(self) -> Starlette:
        """The ASGI app serving both fakes."""
        return Starlette(
            routes=[
                Route("/slack/api/{method}", self._slack, methods=["POST", "GET"]),
                Route("/slack/response/{key}", self._response_url, methods=["POST"]),
                Route("/teams/{path:path}", self._teams, methods=["POST", "PUT", "GET"]),
                Route("/stats", self._stats, methods=["GET"]),
            ]
        )

    def _fault(self) -> Response | None:
        kind = self.faults.pick()
        if kind is None:
            return None
        self.calls[f"fault:{kind}"] += 1
        if kind == "429":
            return JSONResponse(
                {"ok": False, "error": "ratelimited"},
                status_code=429,
                headers={"Retry-After": str(self.faults.retry_after_seconds)},
            )
        return JSONResponse({"ok": False, "error": "fatal_error"}, status_code=int(kind))

    async def _form_or_json(self, request: Request) -> dict[str, Any]:
        body = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            parsed: dict[str, Any] = json.loads(body or b"{}")
            return parsed
        return {key: values[-1] for key, values in parse_qs(body.decode()).items()}

    async def _slack(self, request: Request) -> Response:
        method = request.path_params["method"]
        if (fault := self._fault()) is not None:
            return fault
        self.calls[f"slack:{method}"] += 1
        payload = await self._form_or_json(request)
        if method == "users.info":
            user = str(payload.get("user", "U0"))
            email = self.emails.get(user, f"{user.lower()}@example.org")
            return JSONResponse({"ok": True, "user": {"id": user, "profile": {"email": email}}})
        if method == "conversations.open":
            # slack_sdk sends `users` in the query string for this method.
            users = str(payload.get("users") or request.query_params.get("users") or "U0")
            return JSONResponse({"ok": True, "channel": {"id": f"D{users}"}})
        if method in {"chat.postMessage", "chat.update", "chat.postEphemeral"}:
            # A unique ts per post, so each can be matched to the row that recorded it.
            ts = str(payload.get("ts") or f"{int(time.time())}.{next(self._serial):06d}")
            self.posted.append({"platform": "slack", "method": method, **payload, "ts": ts})
            return JSONResponse({"ok": True, "channel": payload.get("channel", "D0"), "ts": ts})
        return JSONResponse({"ok": True})

    async def _response_url(self, request: Request) -> Response:
        self.calls["slack:response_url"] += 1
        payload = await self._form_or_json(request)
        self.posted.append(
            {"platform": "slack", "method": "response_url", "_user": request.path_params["key"], **payload}
        )
        return JSONResponse({"ok": True})

    async def _teams(self, request: Request) -> Response:
        path = request.path_params["path"]
        if path.endswith("token"):  # the fake token endpoint for outbound Bot Framework calls
            return JSONResponse(
                {"token_type": "Bearer", "expires_in": 3600, "access_token": "fake-bench-token"}
            )
        if (fault := self._fault()) is not None:
            return fault
        self.calls["teams:" + path.split("/")[-1]] += 1
        if request.method != "GET":
            self.posted.append({"platform": "teams", "path": path, **await self._form_or_json(request)})
        return JSONResponse({"id": f"activity-{random.randrange(10**9)}"})

    async def _stats(self, _request: Request) -> Response:
        return JSONResponse(dict(self.calls))


@contextlib.asynccontextmanager
async def running(app: Any, port: int) -> AsyncIterator[None]:
    """Serve an ASGI app on 127.0.0.1:port inside the current event loop."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn.Server has only a flag, no event)
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await task


def platform_env(
    *, fake_url: str, database_url: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Environment for a `joinup serve` process that talks to the fake platform."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("JOINUP_")}
    env.update(
        {
            "JOINUP_DATABASE_URL": database_url,
            "JOINUP_ENV": "development",  # loopback only: the default web link secret is fine here
            "JOINUP_SLACK__ENABLED": "true",
            "JOINUP_SLACK__BOT_TOKEN": BOT_TOKEN,
            "JOINUP_SLACK__SIGNING_SECRET": SIGNING_SECRET,
            "JOINUP_SLACK__API_URL": f"{fake_url}/slack/api/",
            "JOINUP_TEAMS__ENABLED": "true",
            "JOINUP_TEAMS__APP_ID": TEAMS_APP_ID,
            "JOINUP_TEAMS__TENANT_ID": "bench-tenant",
            "JOINUP_TEAMS__ALLOW_UNAUTHENTICATED": "true",
            **(extra or {}),
        }
    )
    return env


@dataclass
class ServeProcess:
    """One `joinup serve` child process on its own port."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        """Base URL of this replica."""
        return f"http://127.0.0.1:{self.port}"

    def rss_kib(self) -> int:
        """Resident memory of the process in KiB (0 when it has exited)."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except FileNotFoundError:
            return 0
        line = next((line for line in status.splitlines() if line.startswith("VmRSS:")), "VmRSS: 0 kB")
        return int(line.split()[1])

    def kill(self) -> None:
        """kill -9, as a crashed machine would."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        """Stop gracefully."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def start_serve(
    env: Mapping[str, str], *, log_dir: Path, scheduler: bool = True, port: int | None = None
) -> ServeProcess:
    """Start `joinup serve` in a child process (not yet known to be ready: see wait_ready)."""
    port = port or free_port()
    log = log_dir / f"serve-{port}.log"
    args = [sys.executable, "-c", "from bot.cli import main; main()", "serve", "--port", str(port)]
    if not scheduler:
        args.append("--no-scheduler")
    with log.open("ab") as sink:
        process = subprocess.Popen(args, env=dict(env), stdout=sink, stderr=subprocess.STDOUT)
    return ServeProcess(port=port, process=process, log=log)


async def wait_ready(replica: ServeProcess, *, within_seconds: float = 60.0) -> None:
    """Wait until /readyz answers 200, or raise with the tail of the replica's log."""
    deadline = time.monotonic() + within_seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if replica.process.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{replica.url}/readyz", timeout=2)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    tail = replica.log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"joinup serve on port {replica.port} did not become ready:\n{tail}")


@dataclass
class DroppingProxy:
    """A TCP proxy that resets a share of new connections before any byte is forwarded (a connection-reset fault).

    A reset before the request reaches the platform can't cause a duplicate; the sender must retry it.
    """

    target_port: int
    rate: float
    rng: random.Random = field(default_factory=lambda: random.Random(3))
    dropped: int = 0
    forwarded: int = 0

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.rng.random() < self.rate:
            self.dropped += 1
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST, not FIN
            writer.transport.abort()
            return
        self.forwarded += 1
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))

    @contextlib.asynccontextmanager
    async def running(self, port: int) -> AsyncIterator[None]:
        """Listen on 127.0.0.1:port until the block ends."""
        server = await asyncio.start_server(self._handle, "127.0.0.1", port)
        try:
            yield
        finally:
            server.close()
            await server.wait_closed()
