"""The shipped Slack app manifest asks for what the adapter uses, and points everything at /slack/events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.slack.listeners import COMMAND
from bot.slack.routes import EVENTS_PATH

MANIFEST = Path(__file__).resolve().parents[2] / "bot" / "slack" / "manifest.yaml"
README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return loaded


def test_the_manifest_asks_for_exactly_the_scopes_joinup_needs() -> None:
    scopes = _manifest()["oauth_config"]["scopes"]["bot"]
    assert sorted(scopes) == sorted(
        ["commands", "chat:write", "im:history", "im:write", "users:read", "users:read.email"]
    )


def test_the_manifest_subscribes_to_the_events_joinup_listens_for() -> None:
    settings = _manifest()["settings"]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == ["app_home_opened", "message.im"]
    assert settings["interactivity"]["is_enabled"] is True
    assert _manifest()["features"]["app_home"]["home_tab_enabled"] is True


def test_every_url_in_the_manifest_is_the_events_endpoint() -> None:
    manifest = _manifest()
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    urls = [
        command["url"],
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
    ]
    assert all(url.startswith("https://") and url.endswith(EVENTS_PATH) for url in urls)


def test_the_readme_explains_slack_set_up() -> None:
    assert "## Slack set-up" in README
    for needed in (
        "bot/slack/manifest.yaml",
        "JOINUP_SLACK__BOT_TOKEN",
        "JOINUP_SLACK__SIGNING_SECRET",
        "joinup serve",
        "--socket-mode",
        "/slack/events",
    ):
        assert needed in README, needed
