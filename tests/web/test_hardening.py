"""The web surface under attack: secrets, body limits, slow clients, headers, junk tokens, sign-out, login CSRF."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import func, select

from bot.cli.serve import log_config
from bot.config import ConfigError, Settings, TeamsSettings, require_link_secret
from bot.runtime import build_runtime
from bot.web import build_web_app
from bot.web_guard import (
    AccessLogTokenFilter,
    HeaderTimeoutProtocol,
    RefusalCounts,
    RequestGuard,
    json_depth,
    strip_tokens,
)
from handlers.messages import RecordingNotifier
from schedules.time.clock import FakeClock
from storage.models import AuditEvent
from storage.redaction import RedactingFilter
from tests.insight_fixture import NOW
from tests.teams.conftest import SDK_WARNINGS
from tests.web.conftest import WebWorld, make_world

FORM = {"content-type": "application/x-www-form-urlencoded"}
METRICS_TOKEN = "metrics-token-for-tests"


@pytest.fixture
async def client(world: WebWorld) -> AsyncIterator[httpx.AsyncClient]:
    world.runtime.settings.metrics.token = SecretStr(METRICS_TOKEN)
    transport = httpx.ASGITransport(app=build_web_app(world.runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _audit_count(world: WebWorld) -> int:
    with world.runtime.sessions() as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


async def _open(client: httpx.AsyncClient, link: str) -> tuple[str, str]:
    """GET a sign-in link as a browser does; return its token and the page's state value."""
    page = await client.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200
    state = re.search(r'name="state" value="([^"]+)"', page.text)
    assert state is not None
    return link.partition("?t=")[2], state.group(1)


# Secrets


@pytest.mark.parametrize("secret", ["change-me-in-production", "short-but-not-default"])
def test_serve_refuses_a_default_or_short_link_secret(secret: str) -> None:
    with pytest.raises(ConfigError, match="JOINUP_LINK_SECRET") as refused:
        require_link_secret(Settings(link_secret=SecretStr(secret)))
    assert "secrets.token_urlsafe" in str(refused.value) and "JOINUP_ENV=development" in str(refused.value)
    require_link_secret(Settings(link_secret=SecretStr(secret), env="development"))
    require_link_secret(Settings(link_secret=SecretStr("x" * 48)))


def test_the_serve_command_stops_with_one_line_naming_the_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINUP_")}
    env["JOINUP_DATABASE_URL"] = f"sqlite:///{tmp_path / 'joinup.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", "serve", "--port", "0"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "JOINUP_LINK_SECRET is the published default" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "joinup.sqlite3").exists()  # refused before touching the database


# Request limits


async def test_a_huge_body_is_refused_from_its_length_without_being_read() -> None:
    reads = 0
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the route must not run")

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    async def send(message: Any) -> None:
        sent.append(message)

    counts = RefusalCounts()
    guard = RequestGuard(app, is_https=False, counts=counts)
    scope = {"type": "http", "method": "POST", "path": "/slack/events",
             "headers": [(b"content-length", b"200000000")]}  # fmt: skip
    await guard(scope, receive, send)
    assert reads == 0 and sent[0]["status"] == 413
    assert b"1 MB" in sent[1]["body"]
    # Without a length (chunked), reading stops as soon as the count passes 1 MB.
    await guard({"type": "http", "method": "POST", "path": "/", "headers": []}, receive, send)
    assert sent[2]["status"] == 413 and reads == 1_000_000 // 65536 + 1
    assert counts.counts["body too large"] == 2


async def test_a_body_sent_too_slowly_gets_a_408() -> None:
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the route must not run")

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(message: Any) -> None:
        sent.append(message)

    guard = RequestGuard(app, is_https=False, counts=RefusalCounts(), body_timeout_seconds=0.05)
    await guard({"type": "http", "method": "POST", "path": "/", "headers": []}, receive, send)
    assert sent[0]["status"] == 408


async def test_headers_sent_a_byte_at_a_time_are_cut_off() -> None:
    class QuickTimeout(HeaderTimeoutProtocol):
        header_timeout_seconds = 0.3

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, http=QuickTimeout, lifespan="off", log_level="error"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn.Server has only a flag)
        await asyncio.sleep(0.02)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and then nothing more
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), timeout=5) == b""  # closed by the server
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)  # a normal request still works
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), timeout=5)
        assert answer.startswith(b"HTTP/1.1 200") and b"ok" in answer
        writer.close()
    finally:
        server.should_exit = True
        await task


def test_json_depth_ignores_brackets_in_strings() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[[{{{"}]}') == 3
    assert json_depth(b'"\\"[[["') == 0
    assert json_depth(b"[" * 100 + b"]" * 100) == 100


@pytest.mark.filterwarnings(SDK_WARNINGS[0])
async def test_deep_json_to_the_teams_endpoint_is_a_400_before_the_token_check(engine: Engine) -> None:
    settings = Settings(
        database_url="sqlite://",
        teams=TeamsSettings(enabled=True, app_id="00000000-0000-0000-0000-000000000001", tenant_id="t"),
    )
    runtime = build_runtime(
        settings=settings, clock=FakeClock(NOW), notifier=RecordingNotifier(), engine=engine
    )
    transport = httpx.ASGITransport(app=build_web_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        body = b'{"type": "message", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        response = await http.post(
            "/api/messages", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400 and response.json() == {
            "error": "The JSON body is nested too deeply."
        }
        shallow = await http.post("/api/messages", json={"type": "message"})
        assert (
            shallow.status_code == 400 and shallow.json() != response.json()
        )  # reaches the route's own checks


async def test_an_over_long_body_to_any_route_is_a_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/web/enter", content=b"t=" + b"x" * 1_100_000, headers=FORM)
    assert response.status_code == 413 and response.json()["error"]


async def test_unknown_paths_and_methods_are_short_json_errors(client: httpx.AsyncClient) -> None:
    missing = await client.get("/no/such/page")
    assert missing.status_code == 404 and missing.json() == {"error": "Not Found"}
    wrong = await client.delete("/web/enter")
    assert wrong.status_code == 405 and "error" in wrong.json()
    assert (await client.get("/openapi.json")).status_code == 404


# Headers and logs


async def test_every_response_carries_the_security_headers(
    client: httpx.AsyncClient, world: WebWorld
) -> None:
    for path in ("/insight", "/healthz", "/directory/services", world.link("nscp.lead", "insight")):
        response = await client.get(path.removeprefix("http://testserver"))
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in response.headers  # plain http: HSTS would be ignored


async def test_hsts_when_the_public_url_is_https(engine: Engine) -> None:
    world = make_world(engine, base_url="https://joinup.example.org")
    transport = httpx.ASGITransport(app=build_web_app(world.runtime))
    async with httpx.AsyncClient(transport=transport, base_url="https://joinup.example.org") as http:
        response = await http.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_pages_have_no_inline_script_or_style(client: httpx.AsyncClient, world: WebWorld) -> None:
    token, state = await _open(client, world.link("nscp.lead", "insight"))
    await client.post("/web/enter", content=urlencode({"t": token, "state": state}), headers=FORM)
    page = await client.get("/insight")
    assert page.status_code == 200 and "<svg" in page.text
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) == []
    assert " style=" not in page.text and "<style" not in page.text
    for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        assert (await client.get(src)).status_code == 200, src


def test_sign_in_tokens_are_stripped_from_the_access_log() -> None:
    assert strip_tokens("/web/enter?t=abc.def-ghi&x=1") == "/web/enter?t=[token]&x=1"
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/web/enter?t=eyJwIjoxfQ.secret", "1.1", 200), None,
    )  # fmt: skip
    assert AccessLogTokenFilter().filter(record)
    assert "secret" not in record.getMessage() and "/web/enter?t=[token]" in record.getMessage()


# Junk tokens, sign-out, login CSRF


async def test_junk_sign_in_tokens_are_counted_not_audited(
    client: httpx.AsyncClient, world: WebWorld
) -> None:
    before = _audit_count(world)
    for n in range(200):
        response = await client.get("/web/enter", params={"t": f"junk-{n}"})
        assert response.status_code == 403
    assert _audit_count(world) == before
    metrics = (await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})).text
    assert 'joinup_requests_refused_total{reason="sign-in link invalid"} 200' in metrics


async def test_sign_out_ends_the_session_for_good(client: httpx.AsyncClient, world: WebWorld) -> None:
    token, state = await _open(client, world.link("nscp.lead", "insight"))
    await client.post("/web/enter", content=urlencode({"t": token, "state": state}), headers=FORM)
    page = await client.get("/insight")
    assert 'id="sign-out"' in page.text
    stolen = client.cookies["joinup_web"]
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    assert (
        await client.post("/web/sign-out", content=urlencode({"csrf": "wrong"}), headers=FORM)
    ).status_code == 403
    response = await client.post("/web/sign-out", content=urlencode({"csrf": csrf.group(1)}), headers=FORM)
    assert response.status_code == 200 and "You have signed out" in response.text
    assert "joinup_web" not in client.cookies
    client.cookies.set("joinup_web", stolen)  # the old cookie, replayed, no longer works
    again = await client.get("/insight")
    assert again.status_code == 403 and "You have signed out" in again.text
    with world.runtime.sessions() as session:
        assert session.exec(select(AuditEvent.action).where(AuditEvent.action == "web.signed_out")).all()


async def test_another_site_cannot_sign_a_victim_into_the_attackers_session(world: WebWorld) -> None:
    app = build_web_app(world.runtime)
    attacker = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    victim = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    async with attacker, victim:
        token, state = await _open(attacker, world.link("nscp.lead", "insight"))
        # The attacker's page posts the attacker's link, and even its state value, from the victim's browser.
        forged = await victim.post(
            "/web/enter", content=urlencode({"t": token, "state": state}), headers=FORM
        )
        assert forged.status_code == 403 and "start in this browser" in forged.text
        assert "joinup_web" not in victim.cookies
        # The victim has opened some other sign-in page before: its state cookie doesn't match either.
        await _open(victim, world.link("hv.manager", "insight"))
        forged = await victim.post(
            "/web/enter", content=urlencode({"t": token, "state": state}), headers=FORM
        )
        assert forged.status_code == 403 and "joinup_web" not in victim.cookies
        # The link itself is still good in the browser that opened it.
        own = await attacker.post("/web/enter", content=urlencode({"t": token, "state": state}), headers=FORM)
        assert own.status_code == 303


def test_serve_logs_requests_through_the_token_filter() -> None:
    config = log_config()
    names = config["handlers"]["access"]["filters"]
    # Tokens are stripped first, then the line is redacted like every other log line.
    assert [config["filters"][name]["()"] for name in names] == [AccessLogTokenFilter, RedactingFilter]
    assert config["loggers"]["uvicorn.access"]["handlers"] == ["access"]
