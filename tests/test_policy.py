"""Escalation policies: validated YAML, friendly problems, immutable numbered versions, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel, select

from bot.cli import cli
from schedules.escalation.policy import (
    SHIPPED_DIR,
    PolicyError,
    default_version,
    ensure_default_policies,
    list_versions,
    load_policy,
    parse_policy,
    policy_of,
)
from schedules.time.clock import FakeClock
from storage.db import make_engine
from storage.models import AuditEvent, PolicyVersion
from storage.models.escalation import PolicyVersionImmutable

FOUR_LEVEL = (SHIPPED_DIR / "northbrook-four-level.yaml").read_text(encoding="utf-8")
GOOD = """
key: test-ladder
name: Test ladder
default: true
record: [date and time, outcome]
levels:
  - {level: 1, name: Practitioners, actor: You and them, working_days: 2}
  - {level: 2, name: Partnership, actor: The partnership, partnership: true}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    return caught.value.problems


def test_the_shipped_ladders_are_the_four_level_and_the_three_stage() -> None:
    four = parse_policy(FOUR_LEVEL)
    three = parse_policy((SHIPPED_DIR / "three-stage.yaml").read_text(encoding="utf-8"))
    assert [(lvl.working_days, lvl.partnership) for lvl in four.levels] == [
        (2, False),
        (5, False),
        (5, False),
        (None, True),
    ]
    assert [lvl.working_days for lvl in three.levels] == [2, 3, 2] and three.levels[-1].partnership
    assert four.default and not three.default
    assert all(lvl.actor and lvl.guidance for lvl in [*four.levels, *three.levels])


def test_a_missing_timescale_and_a_level_with_no_actor_are_named_in_plain_words() -> None:
    text = GOOD.replace("working_days: 2", "").replace("actor: The partnership, ", "")
    assert problems(text) == [
        "level 1 has no timescale: add working_days (how many working days it has)",
        "level 2 has no actor: say who acts, e.g. manager to manager",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("key: x\n  name: [", "the file is not valid YAML on line 2"),
        ("- just\n- a list", "the file must be a YAML mapping with key, name and levels"),
        (GOOD.replace("name: Test ladder\n", ""), "name is missing"),
        (GOOD.replace("default: true", "colour: blue"), "colour is not a field a policy can have"),
        (GOOD.replace("level: 2,", "level: 3,"), "levels must be numbered 1, 2, 3 … with no gaps"),
        (
            GOOD.replace("level: 2,", "level: 1,"),
            "level 1 appears more than once: give each level its own number",
        ),
        (
            GOOD.replace("working_days: 2", "working_days: 0"),
            "levels.0.working_days: Input should be greater than or equal to 1",
        ),
        (
            GOOD.replace("key: test-ladder", "key: Test Ladder!"),
            "key: String should match pattern '^[a-z0-9][a-z0-9-]{1,79}$'",
        ),
    ],
)
def test_every_problem_is_reported_in_words_an_admin_can_act_on(text: str, expected: str) -> None:
    assert expected in problems(text)


def test_partnership_can_only_be_the_last_level() -> None:
    text = GOOD.replace("working_days: 2}", "working_days: 2, partnership: true}")
    assert "level 1 is marked partnership: only the last level can be" in problems(text)


def test_versions_are_numbered_content_addressed_and_the_newest_default_wins(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    with sessions.begin() as session:
        shipped = ensure_default_policies(session=session, clock=clock)
        assert [v.key for v in shipped] == ["northbrook-four-level", "three-stage"]
        assert ensure_default_policies(session=session, clock=clock)[0].id == shipped[0].id  # nothing new
        first, is_new = load_policy(
            session=session, clock=clock, policy=parse_policy(GOOD), loaded_by="admin.nadia"
        )
        assert is_new and first.version == 1 and default_version(session=session).id == first.id
        same, is_new = load_policy(session=session, clock=clock, policy=parse_policy(GOOD))
        assert not is_new and same.id == first.id
        second, is_new = load_policy(
            session=session,
            clock=clock,
            policy=parse_policy(GOOD.replace("working_days: 2", "working_days: 4")),
        )
        assert is_new and second.version == 2 and policy_of(first).levels[0].working_days == 2
        assert [(v.key, v.version) for v in list_versions(session=session)] == [
            ("northbrook-four-level", 1),
            ("test-ladder", 1),
            ("test-ladder", 2),
            ("three-stage", 1),
        ]
        loaded = session.exec(select(AuditEvent.subject).where(AuditEvent.action == "policy.loaded")).all()
        assert loaded[-2:] == ["policy:test-ladder:v1", "policy:test-ladder:v2"]


def test_a_stored_version_can_never_be_changed(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    with sessions.begin() as session:
        ensure_default_policies(session=session, clock=clock)
    with pytest.raises(PolicyVersionImmutable), sessions.begin() as session:
        version = session.exec(select(PolicyVersion)).first()
        assert version is not None
        version.body = {**version.body, "levels": []}
    with sessions() as session:
        version = session.exec(select(PolicyVersion)).first()
        assert version is not None and len(version.body["levels"]) == 4


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/joinup.db"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return url


def test_cli_load_refuses_an_invalid_file_with_every_problem_and_stores_nothing(
    tmp_path: Path, db_url: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("working_days: 2", "").replace("actor: You and them, ", ""), encoding="utf-8")
    result = CliRunner().invoke(cli, ["policy", "load", str(bad), "--db", db_url])
    assert result.exit_code == 1
    assert "bad.yaml can't be loaded. Fix these and try again (nothing was stored):" in result.output
    assert "level 1 has no actor" in result.output and "level 1 has no timescale" in result.output
    assert "Traceback" not in result.output
    listed = CliRunner().invoke(cli, ["policy", "list", "--db", db_url])
    assert "No escalation policies are loaded" in listed.output


def test_cli_load_and_list(tmp_path: Path, db_url: str) -> None:
    good = tmp_path / "ladder.yaml"
    good.write_text(GOOD, encoding="utf-8")
    checked = CliRunner().invoke(cli, ["policy", "load", str(good), "--check", "--db", db_url])
    assert checked.exit_code == 0 and "ladder.yaml is a valid policy: Test ladder." in checked.output
    loaded = CliRunner().invoke(cli, ["policy", "load", str(good), "--db", db_url])
    assert loaded.exit_code == 0, loaded.output
    assert loaded.output.startswith(
        "Loaded test-ladder version 1: Test ladder. Levels: 1. Practitioners (2 working days); 2. Partnership."
    )
    again = CliRunner().invoke(cli, ["policy", "load", str(good), "--db", db_url])
    assert "already has this content; nothing changed" in again.output
    refused = CliRunner().invoke(cli, ["policy", "load", str(good), "--by", "nobody", "--db", db_url])
    assert refused.exit_code == 1 and "There's no person 'nobody'" in refused.output
    listed = CliRunner().invoke(cli, ["policy", "list", "--db", db_url])
    assert "test-ladder v1 (default): Test ladder; working days 2/partnership;" in listed.output
    assert "by cli; 0 open escalations" in listed.output
