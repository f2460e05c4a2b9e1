"""Escalation policies as data: a YAML ladder, validated, stored as immutable numbered versions."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlmodel import Session, col, select

from schedules.time.clock import Clock
from storage import audit
from storage.errors import InvalidInput, NotFound
from storage.models import PolicyVersion

SHIPPED_DIR = Path(__file__).resolve().parent / "policies"


class PolicyError(ValueError):
    """A policy file can't be used; `problems` lists each thing to fix, in plain words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class PolicyLevel(BaseModel):
    """One rung of the ladder: who acts, who to contact, how long it has, what to say."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=120)
    actor: str = ""
    contact: str = ""  # who to contact when the directory names no escalation contact
    working_days: int | None = Field(default=None, ge=1, le=60)
    partnership: bool = False  # this level hands the disagreement to the safeguarding partnership
    guidance: str = ""

    @field_validator("name", "actor", "contact", "guidance")
    @classmethod
    def _strip(cls, value: str) -> str:
        return " ".join(value.split())


class Policy(BaseModel):
    """A whole escalation ladder, as loaded from YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")
    name: str = Field(min_length=1, max_length=200)
    default: bool = False
    summary: str = ""
    record: list[str] = Field(default_factory=list)
    levels: list[PolicyLevel] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_ladder(self) -> Policy:
        problems: list[str] = []
        seen: set[int] = set()
        for item in self.levels:
            if item.level in seen:
                problems.append(f"level {item.level} appears more than once: give each level its own number")
            seen.add(item.level)
            if not item.actor:
                problems.append(f"level {item.level} has no actor: say who acts, e.g. manager to manager")
            if item.working_days is None and not item.partnership:
                problems.append(
                    f"level {item.level} has no timescale: add working_days (how many working days it has)"
                )
        if not problems and sorted(seen) != list(range(1, len(self.levels) + 1)):
            problems.append("levels must be numbered 1, 2, 3 … with no gaps")
        for item in self.levels[:-1]:
            if item.partnership and item.level != max(seen):
                problems.append(f"level {item.level} is marked partnership: only the last level can be")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def last_level(self) -> int:
        """Return the number of the top level."""
        return max(item.level for item in self.levels)

    def level(self, number: int) -> PolicyLevel:
        """Return level `number`.

        Raises:
            InvalidInput: the ladder has no such level.
        """
        for item in self.levels:
            if item.level == number:
                return item
        raise InvalidInput("level", f"This escalation policy has no level {number}.")


def _problems_from(error: ValidationError) -> list[str]:
    problems: list[str] = []
    for detail in error.errors():
        message = str(detail["msg"]).removeprefix("Value error, ")
        where = ".".join(str(p) for p in detail["loc"])
        if detail["type"] == "value_error":
            problems += message.splitlines()
        elif detail["type"] == "missing":
            problems.append(f"{where} is missing")
        elif detail["type"] == "extra_forbidden":
            problems.append(f"{where} is not a field a policy can have")
        else:
            problems.append(f"{where}: {message}")
    return problems


def parse_policy(text: str) -> Policy:
    """Parse and validate a YAML policy.

    Raises:
        PolicyError: the YAML is malformed or the ladder is incomplete; every problem is listed.
    """
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" on line {mark.line + 1}" if mark is not None else ""
        raise PolicyError([f"the file is not valid YAML{where}"]) from None
    if not isinstance(raw, dict):
        raise PolicyError(["the file must be a YAML mapping with key, name and levels"])
    try:
        return Policy.model_validate(raw)
    except ValidationError as error:
        raise PolicyError(_problems_from(error)) from None


def policy_of(version: PolicyVersion) -> Policy:
    """Return the ladder stored in a version (validated when it was loaded)."""
    return Policy.model_validate(version.body)


def _canonical(policy: Policy) -> tuple[dict[str, Any], str]:
    body = policy.model_dump(mode="json")
    digest = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    return body, digest


def latest_version(*, session: Session, key: str) -> PolicyVersion | None:
    """Return the newest version of the policy called `key`."""
    return session.exec(
        select(PolicyVersion).where(col(PolicyVersion.key) == key).order_by(col(PolicyVersion.version).desc())
    ).first()


def load_policy(
    *, session: Session, clock: Clock, policy: Policy, loaded_by: str = "system"
) -> tuple[PolicyVersion, bool]:
    """Store `policy` as a new immutable version unless the newest version has the same content.

    Returns the version and whether it is new.
    """
    body, digest = _canonical(policy)
    latest = latest_version(session=session, key=policy.key)
    if latest is not None and latest.sha256 == digest:
        return latest, False
    version = PolicyVersion(
        key=policy.key,
        version=(latest.version + 1) if latest else 1,
        name=policy.name,
        body=body,
        sha256=digest,
        is_default=policy.default,
        loaded_at=clock.now(),
        loaded_by=loaded_by[:80],
    )
    session.add(version)
    session.flush()
    audit.record(
        session=session,
        at=clock.now(),
        actor=loaded_by,
        action="policy.loaded",
        subject=f"policy:{policy.key}:v{version.version}",
        data={"sha256": digest, "levels": len(policy.levels), "is_default": policy.default},
    )
    return version, True


def load_policy_file(
    *, session: Session, clock: Clock, path: Path, loaded_by: str = "system"
) -> tuple[PolicyVersion, bool]:
    """Validate and load a YAML policy file.

    Raises:
        PolicyError: the file can't be read or the policy is invalid; nothing is stored.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError([f"can't read {path.name}: {error.__class__.__name__}"]) from None
    policy = parse_policy(text)
    return load_policy(session=session, clock=clock, policy=policy, loaded_by=loaded_by)


def ensure_default_policies(*, session: Session, clock: Clock) -> list[PolicyVersion]:
    """Load the shipped policies; running it again adds nothing unless a shipped file changed."""
    loaded = []
    for path in sorted(SHIPPED_DIR.glob("*.yaml")):
        version, _ = load_policy_file(session=session, clock=clock, path=path)
        loaded.append(version)
    return loaded


def seed(session: Session, clock: Clock) -> None:
    """Demo seeder: load the shipped policies (idempotent)."""
    ensure_default_policies(session=session, clock=clock)


def default_version(*, session: Session) -> PolicyVersion:
    """Return the version new escalations start on: the most recently loaded policy marked default.

    Raises:
        NotFound: no default policy has been loaded.
    """
    seen: set[str] = set()
    for version in session.exec(select(PolicyVersion).order_by(col(PolicyVersion.id).desc())):
        if version.key in seen:
            continue  # an older version of a policy already considered
        seen.add(version.key)
        if version.is_default:
            return version
    raise NotFound(
        "escalation policy",
        "(default)",
        hint="Ask a directory admin to load one with joinup policy load.",
    )


def list_versions(*, session: Session) -> list[PolicyVersion]:
    """Return every stored version, by key then version."""
    return list(
        session.exec(select(PolicyVersion).order_by(col(PolicyVersion.key), col(PolicyVersion.version)))
    )
