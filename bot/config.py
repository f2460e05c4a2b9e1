"""Typed settings. This is the only module that reads the environment."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from schedules.settings import DomainSettings, Nation, ReminderSettings
from storage.references import DEFAULT_REFERENCE_PREFIXES


def default_database_url() -> str:
    """Return the SQLite file under the user's data directory that joinup uses by default."""
    data_dir = Path(platformdirs.user_data_dir("joinup", appauthor=False))
    return f"sqlite:///{data_dir / 'joinup.sqlite3'}"


class SlackSettings(BaseModel):
    """Slack app credentials (HTTP mode) and, for local development, a Socket Mode app token."""

    enabled: bool = False
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    api_url: str = "https://slack.com/api/"


class TeamsSettings(BaseModel):
    """Microsoft Teams bot registration (Entra ID app) and Graph access."""

    enabled: bool = False
    app_id: str | None = None
    app_password: SecretStr | None = None
    tenant_id: str | None = None
    # Tests only: accept activities without a Bot Framework JWT.
    allow_unauthenticated: bool = False
    graph_url: str = "https://graph.microsoft.com/v1.0"


class Settings(BaseSettings):
    """Everything joinup can be configured with, from JOINUP_* variables (nested with __)."""

    model_config = SettingsConfigDict(env_prefix="JOINUP_", env_nested_delimiter="__", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    default_nation: Nation = "ENG"
    timezone: str = "Europe/London"
    retention_years: int = Field(default=6, ge=1)
    public_base_url: str = "http://127.0.0.1:8000"
    link_secret: SecretStr = SecretStr("change-me-in-production")
    slack: SlackSettings = SlackSettings()
    teams: TeamsSettings = TeamsSettings()
    reminders: ReminderSettings = ReminderSettings()
    # The area's case-reference prefixes, never taken for a name: JOINUP_REFERENCE_PREFIXES='["NB","MASH"]'.
    reference_prefixes: tuple[str, ...] = DEFAULT_REFERENCE_PREFIXES
    # System tests only: read the time from this file (schedules.time.clock.FileClock) instead of the wall clock.
    clock_file: Path | None = None

    def domain(self) -> DomainSettings:
        """Return the part of the settings that handlers and jobs see."""
        return DomainSettings(
            default_nation=self.default_nation,
            timezone=self.timezone,
            retention_years=self.retention_years,
            public_base_url=self.public_base_url,
            reminders=self.reminders,
            link_secret=self.link_secret,
            reference_prefixes=self.reference_prefixes,
        )


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the variable to set."""


def require_platform_secrets(settings: Settings) -> None:
    """Fail at start-up, naming the variable, when an enabled platform lacks a secret.

    Raises:
        ConfigError: the first missing variable.
    """
    if settings.slack.enabled:
        if settings.slack.bot_token is None:
            raise ConfigError("Slack is enabled but JOINUP_SLACK__BOT_TOKEN is not set.")
        if settings.slack.signing_secret is None:
            raise ConfigError("Slack is enabled but JOINUP_SLACK__SIGNING_SECRET is not set.")
    if settings.teams.enabled and not settings.teams.allow_unauthenticated:
        if not settings.teams.app_id:
            raise ConfigError("Teams is enabled but JOINUP_TEAMS__APP_ID is not set.")
        if settings.teams.app_password is None:
            raise ConfigError("Teams is enabled but JOINUP_TEAMS__APP_PASSWORD is not set.")
        if not settings.teams.tenant_id:
            raise ConfigError("Teams is enabled but JOINUP_TEAMS__TENANT_ID is not set.")
