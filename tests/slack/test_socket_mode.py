"""joinup serve --socket-mode: refused with one clear line unless Slack and an app token are configured."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import Engine

from bot.config import ConfigError, Settings, SlackSettings
from bot.runtime import build_runtime
from bot.slack.routes import with_socket_mode
from handlers.messages import RecordingNotifier
from schedules.time.clock import FakeClock


def _runtime(slack: SlackSettings, engine: Engine, clock: FakeClock):  # type: ignore[no-untyped-def]
    settings = Settings(database_url="sqlite://", slack=slack)
    return build_runtime(settings=settings, clock=clock, notifier=RecordingNotifier(), engine=engine)


def test_socket_mode_needs_slack_switched_on(engine: Engine, clock: FakeClock) -> None:
    with pytest.raises(ConfigError, match="JOINUP_SLACK__ENABLED"):
        with_socket_mode(FastAPI(), _runtime(SlackSettings(), engine, clock))


def test_socket_mode_needs_an_app_token(engine: Engine, clock: FakeClock) -> None:
    slack = SlackSettings(enabled=True, bot_token=SecretStr("xoxb-1"), signing_secret=SecretStr("s"))
    with pytest.raises(ConfigError, match="JOINUP_SLACK__APP_TOKEN"):
        with_socket_mode(FastAPI(), _runtime(slack, engine, clock))


def test_socket_mode_joins_the_servers_lifespan(engine: Engine, clock: FakeClock) -> None:
    slack = SlackSettings(enabled=True, bot_token=SecretStr("xoxb-1"), app_token=SecretStr("xapp-1"))
    app = FastAPI()
    before = app.router.lifespan_context
    assert with_socket_mode(app, _runtime(slack, engine, clock)) is app
    assert app.router.lifespan_context is not before
