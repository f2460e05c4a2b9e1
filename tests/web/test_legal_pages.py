"""The privacy notice and terms of use: public pages naming the controller and DPO from settings, linked from
the Teams manifest, and a start-up warning when nobody is named."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from bot.cli import serve as serve_module
from bot.config import ContactSettings, Settings, privacy_contact_warning
from bot.runtime import build_runtime
from bot.teams.package import MANIFEST_DIR, build_manifest
from bot.web import build_web_app
from handlers.messages import RecordingNotifier
from schedules.time.clock import FakeClock
from tests.insight_fixture import NOW

CONTROLLER = ContactSettings(name="Northbrook Safeguarding Partnership", contact="nscp@example.org")
DPO = ContactSettings(name="Northbrook Council data protection officer", contact="0161 496 0999")
APP_ID = "5f2a9c1e-0b7d-4c3a-9e61-2d8f4b7a1c00"


async def _client(engine: Engine, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    runtime = build_runtime(
        settings=settings, clock=FakeClock(NOW), notifier=RecordingNotifier(), engine=engine
    )
    transport = httpx.ASGITransport(app=build_web_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def client(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url="sqlite://", data_controller=CONTROLLER, dpo=DPO)
    async for client in _client(engine, settings):
        yield client


@pytest.fixture
async def unnamed(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(engine, Settings(database_url="sqlite://")):
        yield client


async def test_the_privacy_notice_names_the_controller_and_dpo_without_sign_in(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/privacy")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert '<h1 class="govuk-heading-l">Privacy notice</h1>' in text
    assert "Northbrook Safeguarding Partnership" in text and "nscp@example.org" in text
    assert "Northbrook Council data protection officer" in text and "0161 496 0999" in text
    assert "case reference" in text and "6 years" in text  # what is kept, and for how long
    assert "not yet named" not in text


async def test_the_terms_say_how_to_use_joinup_and_link_the_privacy_notice(client: httpx.AsyncClient) -> None:
    page = await client.get("/terms")

    assert page.status_code == 200
    assert '<h1 class="govuk-heading-l">Terms of use</h1>' in page.text
    assert 'href="/privacy"' in page.text and "Northbrook Safeguarding Partnership" in page.text
    assert "call 999" in page.text


async def test_unset_contacts_say_who_to_ask_instead_of_leaving_a_blank(unnamed: httpx.AsyncClient) -> None:
    page = await unnamed.get("/privacy")

    assert page.status_code == 200
    assert "the data controller (not yet named here: ask your safeguarding partnership)" in page.text
    assert "the data protection officer (not yet named here" in page.text


@pytest.mark.parametrize("path", ["/privacy", "/terms"])
async def test_the_pages_carry_the_security_headers_and_no_inline_script(
    client: httpx.AsyncClient, path: str
) -> None:
    page = await client.get(path)

    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) == []
    assert " style=" not in page.text and "<style" not in page.text
    for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        assert (await client.get(src)).status_code == 200, src


async def test_the_teams_manifest_links_point_at_pages_joinup_serves(client: httpx.AsyncClient) -> None:
    template = (MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8")
    manifest = build_manifest(
        template, app_id=APP_ID, base_url="https://joinup.example.org", version="1.0.0", commands=[]
    )

    for key in ("privacyUrl", "termsOfUseUrl"):
        url = urlsplit(manifest["developer"][key])
        assert url.scheme == "https" and url.hostname == "joinup.example.org"
        assert (await client.get(url.path)).status_code == 200, key


def test_the_warning_names_each_unset_variable_in_production_only() -> None:
    half = ContactSettings(name="Northbrook Safeguarding Partnership")

    warning = privacy_contact_warning(Settings(data_controller=half))

    assert warning is not None and "/privacy" in warning
    assert "JOINUP_DATA_CONTROLLER__CONTACT" in warning and "JOINUP_DATA_CONTROLLER__NAME" not in warning
    assert "JOINUP_DPO__NAME" in warning and "JOINUP_DPO__CONTACT" in warning
    assert privacy_contact_warning(Settings(env="development")) is None
    assert privacy_contact_warning(Settings(data_controller=CONTROLLER, dpo=DPO)) is None


def test_serve_logs_one_warning_line_at_start_up_when_nobody_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    started: list[object] = []
    # The server itself is not started: only what serve does before it is under test here.
    monkeypatch.setattr(serve_module.uvicorn, "run", lambda app, **options: started.append(app))
    env = {
        "JOINUP_DATABASE_URL": f"sqlite:///{tmp_path / 'joinup.sqlite3'}",
        "JOINUP_LINK_SECRET": "x" * 48,
        "JOINUP_AUDIT__KEYS": '{"k1": "' + "y" * 48 + '"}',
        "JOINUP_ENV": "production",
    }
    for name in ("JOINUP_DATA_CONTROLLER__NAME", "JOINUP_DATA_CONTROLLER__CONTACT", "JOINUP_DPO__NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JOINUP_DPO__CONTACT", "dpo@example.org")

    with caplog.at_level(logging.WARNING, logger="bot.cli.serve"):
        result = CliRunner().invoke(serve_module.serve, ["--port", "0", "--in-process-worker"], env=env)

    assert result.exit_code == 0, result.output
    assert len(started) == 1
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.cli.serve"]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert "JOINUP_DPO__NAME" in warnings[0] and "JOINUP_DPO__CONTACT" not in warnings[0]
