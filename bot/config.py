"""Typed settings. This is the only module that reads the environment."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.pacing import PacingSettings
from schedules.inbox.rows import InboxSettings
from schedules.settings import DomainSettings, Nation, ReminderSettings
from storage.audit import DEVELOPMENT_KEYS, AuditKeys
from storage.references import DEFAULT_REFERENCE_PREFIXES


def default_database_url() -> str:
    """Return the SQLite file under the user's data directory that joinup uses by default."""
    data_dir = Path(platformdirs.user_data_dir("joinup", appauthor=False))
    return f"sqlite:///{data_dir / 'joinup.sqlite3'}"


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the variable to set."""


DEFAULT_LINK_SECRET = "change-me-in-production"
# A link secret signs sessions for directory admins and partnership chairs: 32 characters of
# `secrets.token_urlsafe` carry about 190 bits, far past guessing.
MIN_LINK_SECRET_LENGTH = 32
GENERATE_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


class SlackSettings(BaseModel):
    """Slack app credentials (HTTP mode) and, for local development, a Socket Mode app token."""

    enabled: bool = False
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    api_url: str = "https://slack.com/api/"
    # Reuse Web API connections (one aiohttp session per event loop) instead of one connection per call. Set it
    # for `serve` and `worker` (docs/operations.md); off by default because the session is closed only when the
    # process ends, which short-lived tools and tests would report as an unclosed session.
    keep_alive: bool = False


class TeamsSettings(BaseModel):
    """Microsoft Teams bot registration (Entra ID app) and Graph access."""

    enabled: bool = False
    app_id: str | None = None
    app_password: SecretStr | None = None
    tenant_id: str | None = None
    # Tests only: accept activities without a Bot Framework JWT.
    allow_unauthenticated: bool = False
    graph_url: str = "https://graph.microsoft.com/v1.0"


class ContactSettings(BaseModel):
    """Who someone is and how to reach them, as the privacy notice names them (an organisation or a role)."""

    name: str = ""
    # An e-mail address, phone number or postal address people can use; shown as written.
    contact: str = ""

    @property
    def is_set(self) -> bool:
        """True when both the name and a way to reach them are given."""
        return bool(self.name.strip() and self.contact.strip())


class MetricsSettings(BaseModel):
    """Who may read /metrics, and the backlog that makes /readyz fail (JOINUP_METRICS__…)."""

    # A bearer token for GET /metrics on the main port; without one, /metrics is only on --metrics-port.
    token: SecretStr | None = None
    # /readyz answers 503 when the oldest waiting inbox request or due reminder is older than this.
    inbox_lag_limit_seconds: float = 120.0
    outbox_lag_limit_seconds: float = 900.0


class AuditSettings(BaseModel):
    """The audit chain's keys (outside the database) and where its head is checkpointed."""

    # Key id -> secret, e.g. JOINUP_AUDIT__KEYS='{"2026-12": "<48 random characters>"}'. Keep old keys
    # when rotating: events they sealed are still checked with them.
    keys: dict[str, SecretStr] = {}
    # The key that seals new events; the only key, when there is one.
    key_id: str = ""
    # A file outside the database (another disk, or a mounted bucket) that checkpoints are appended to.
    checkpoint_path: Path | None = None
    checkpoint_every_minutes: int = Field(default=60, ge=1)

    def keyring(self) -> AuditKeys:
        """Return the configured keys (the development keys when none are set).

        Raises:
            ConfigError: key_id names no configured key, or there are several keys and no key_id.
        """
        if not self.keys:
            return DEVELOPMENT_KEYS
        current = self.key_id or (next(iter(self.keys)) if len(self.keys) == 1 else "")
        if current not in self.keys:
            raise ConfigError(
                "JOINUP_AUDIT__KEY_ID must name one of the keys in JOINUP_AUDIT__KEYS "
                f"({', '.join(sorted(self.keys))})."
            )
        return AuditKeys(current, {k: v.get_secret_value().encode() for k, v in self.keys.items()})


class Settings(BaseSettings):
    """Everything joinup can be configured with, from JOINUP_* variables (nested with __)."""

    model_config = SettingsConfigDict(env_prefix="JOINUP_", env_nested_delimiter="__", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    default_nation: Nation = "ENG"
    timezone: str = "Europe/London"
    retention_years: int = Field(default=6, ge=1)
    public_base_url: str = "http://127.0.0.1:8000"
    link_secret: SecretStr = SecretStr(DEFAULT_LINK_SECRET)
    # "development" lets `serve` start with the default link secret; anything else is treated as production.
    env: str = "production"
    slack: SlackSettings = SlackSettings()
    teams: TeamsSettings = TeamsSettings()
    reminders: ReminderSettings = ReminderSettings()
    inbox: InboxSettings = InboxSettings()  # leases and retries of stored platform requests
    audit: AuditSettings = AuditSettings()
    # Named on /privacy and /terms: JOINUP_DATA_CONTROLLER__NAME, JOINUP_DATA_CONTROLLER__CONTACT, and the
    # data protection officer's JOINUP_DPO__NAME and JOINUP_DPO__CONTACT. `serve` warns when they are unset.
    data_controller: ContactSettings = ContactSettings()
    dpo: ContactSettings = ContactSettings()
    pacing: PacingSettings = PacingSettings()  # outgoing platform calls paced to the platforms' limits
    metrics: MetricsSettings = MetricsSettings()  # who may read /metrics; the backlog that fails /readyz
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


def is_development(settings: Settings) -> bool:
    """True when JOINUP_ENV=development: a developer's machine, where production checks are relaxed."""
    return settings.env.strip().lower() == "development"


def privacy_contact_warning(settings: Settings) -> str | None:
    """Return the one line `serve` logs when /privacy would not name who is responsible, else None.

    Only in production: a development machine has no controller to name.
    """
    if is_development(settings):
        return None
    missing = [
        f"{prefix}__{field.upper()}"
        for contact, prefix in (
            (settings.data_controller, "JOINUP_DATA_CONTROLLER"),
            (settings.dpo, "JOINUP_DPO"),
        )
        for field in ("name", "contact")
        if not getattr(contact, field).strip()
    ]
    if not missing:
        return None
    return f"The privacy notice at /privacy can't name who is responsible for people's data: set {', '.join(missing)}."


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


def require_audit_key(settings: Settings) -> None:
    """Refuse to serve without an audit key outside development, naming the variable.

    Without one the chain is sealed with a published development key, and anyone who can edit the database
    could recompute it after changing an event.

    Raises:
        ConfigError: no key, a short key, or a key id that names none.
    """
    keyring = settings.audit.keyring()
    if is_development(settings):
        return
    if keyring is DEVELOPMENT_KEYS:
        raise ConfigError(
            'JOINUP_AUDIT__KEYS is not set: set it to {"<key id>": "<a long random value>"} '
            f"({GENERATE_SECRET} makes one), or set JOINUP_ENV=development on a development machine."
        )
    short = [key_id for key_id, secret in keyring.secrets.items() if len(secret) < MIN_LINK_SECRET_LENGTH]
    if short:
        raise ConfigError(
            f"JOINUP_AUDIT__KEYS: key {short[0]!r} is shorter than {MIN_LINK_SECRET_LENGTH} characters."
        )


def require_link_secret(settings: Settings) -> None:
    """Refuse to serve with the published default or a short link secret, outside development.

    Anyone who has read the README knows the default, so with it they could forge a directory admin's
    session or a partnership chair's sign-in link.

    Raises:
        ConfigError: the secret is the default or shorter than MIN_LINK_SECRET_LENGTH characters.
    """
    if is_development(settings):
        return
    secret = settings.link_secret.get_secret_value()
    if secret == DEFAULT_LINK_SECRET:
        problem = "is the published default"
    elif len(secret) < MIN_LINK_SECRET_LENGTH:
        problem = f"is shorter than {MIN_LINK_SECRET_LENGTH} characters"
    else:
        return
    raise ConfigError(
        f"JOINUP_LINK_SECRET {problem}: set it to a long random value ({GENERATE_SECRET}), "
        "or set JOINUP_ENV=development on a development machine."
    )
