"""Every CLI command has help text and a README entry; bad settings give one line, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.config import ConfigError, Settings, SlackSettings, TeamsSettings, require_platform_secrets

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "joinup") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            found += _commands(command, path)
        else:
            found.append((path, command))
    return found


COMMANDS = _commands(cli)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_has_help_and_a_readme_entry(path: str, command: click.Command) -> None:
    assert command.help, f"{path} has no help text"
    assert f"`{path}" in README, f"{path} is missing from the README's command table"


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in ("chat", "db", "audit"):
        assert name in result.output


def test_db_upgrade_twice_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/j.db"
    first = CliRunner().invoke(cli, ["db", "upgrade", "--db", url])
    second = CliRunner().invoke(cli, ["db", "upgrade", "--db", url])
    assert first.exit_code == 0 and "Upgraded" in first.output
    assert second.exit_code == 0 and "Already at the newest" in second.output
    current = CliRunner().invoke(cli, ["db", "current", "--db", url])
    assert "(newest)" in current.output


def _joinup(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", *args],
        env={"PATH": "", **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://nope", "JOINUP_DATABASE_URL"),
        ("postgresql://nobody@127.0.0.1:1/none", "can't use the database"),
    ],
)
def test_a_bad_database_url_is_one_line(url: str, expected: str) -> None:
    result = _joinup("db", "upgrade", env={"JOINUP_DATABASE_URL": url})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_enabled_platforms_need_their_secrets() -> None:
    with pytest.raises(ConfigError, match="JOINUP_SLACK__BOT_TOKEN"):
        require_platform_secrets(Settings(slack=SlackSettings(enabled=True)))
    with pytest.raises(ConfigError, match="JOINUP_TEAMS__APP_ID"):
        require_platform_secrets(Settings(teams=TeamsSettings(enabled=True)))
    require_platform_secrets(Settings())


def test_settings_read_nested_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOINUP_SLACK__SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("JOINUP_DEFAULT_NATION", "SCT")
    settings = Settings()
    assert settings.slack.signing_secret is not None
    assert settings.slack.signing_secret.get_secret_value() == "s3cret"
    assert settings.domain().default_nation == "SCT"
