"""Plain settings models for the domain; bot.config.Settings composes them from the environment."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr

from storage.references import DEFAULT_REFERENCE_PREFIXES

Nation = Literal["ENG", "WLS", "SCT", "NIR"]


class ReminderSettings(BaseModel):
    """How tracking clocks, chases and the reminder outbox behave."""

    sweep_interval_seconds: int = Field(default=30, ge=1)
    batch_size: int = Field(default=100, ge=1)
    lease_seconds: int = Field(default=120, ge=5)
    max_attempts: int = Field(default=8, ge=1)
    ack_working_days: int = Field(default=1, ge=0)
    feedback_working_days: int = Field(default=3, ge=0)
    max_chases: int = Field(default=3, ge=0)
    escalation_prompt_contacts: int = Field(default=3, ge=2)  # contacts about one case and team
    # Sends the sweep records per database write: 1 (the default) means a crash can resend at most one
    # message; more is faster but a crash can resend up to that many.
    record_every: int = Field(default=1, ge=1, le=1000)
    # Reminders one sweeper sends at once (never two to the same person at once): a platform call takes
    # 100-300 ms, so sending one at a time caps a replica at a few a second. Each is recorded as soon as
    # it is sent, so a crash can resend at most this many.
    send_concurrency: int = Field(default=8, ge=1, le=64)
    working_day_starts: str = "09:00"
    working_day_ends: str = "17:00"
    # Directory upkeep: an entry's owner is reminded when it is past review; their manager this many working days later.
    directory_review_grace_working_days: int = Field(default=10, ge=0)


class DomainSettings(BaseModel):
    """What handlers and jobs need to know about the deployment."""

    default_nation: Nation = "ENG"
    timezone: str = "Europe/London"
    retention_years: int = Field(default=6, ge=1)
    public_base_url: str = "http://127.0.0.1:8000"
    reminders: ReminderSettings = ReminderSettings()
    # Signs the short-lived web links the bot sends (insight dashboard, directory editor).
    link_secret: SecretStr = SecretStr("change-me-in-production")
    # The area's own case-reference prefixes (MASH-2026-0042): never taken for a name.
    reference_prefixes: tuple[str, ...] = DEFAULT_REFERENCE_PREFIXES
