"""`joinup teams package` builds a zip Teams accepts; `joinup teams sync-people` explains what it needs."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from bot.cli import cli
from bot.runtime import build_router
from bot.teams.package import PackageError, build_package
from tests.fakes.teams import APP_ID


def manifest_of(data: bytes) -> tuple[dict[str, Any], zipfile.ZipFile]:
    package = zipfile.ZipFile(io.BytesIO(data))
    return json.loads(package.read("manifest.json")), package


def test_the_package_holds_the_filled_manifest_and_both_icons_at_the_top_level() -> None:
    data = build_package(
        app_id=APP_ID.upper(),
        base_url="https://joinup.example.org/",
        version="1.2.0",
        commands=build_router().commands,
    )

    manifest, package = manifest_of(data)
    assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
    assert manifest["id"] == APP_ID
    assert manifest["version"] == "1.2.0"
    assert manifest["validDomains"] == ["joinup.example.org"]
    assert "{{" not in json.dumps(manifest)
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team"]
    commands = bot["commandLists"][0]["commands"]
    assert commands[0] == {
        "title": "help",
        "description": "See what I can do, or help <command> for one command.",
    }
    assert [c["title"] for c in commands] == [
        "help", "find", "refer", "mine", "feedback", "escalate", "due", "share?", "role", "setup"
    ]  # fmt: skip
    assert all(len(c["title"]) <= 32 and len(c["description"]) <= 128 for c in commands)
    assert Image.open(io.BytesIO(package.read("color.png"))).size == (192, 192)
    outline = Image.open(io.BytesIO(package.read("outline.png")))
    assert outline.size == (32, 32)
    assert outline.mode == "RGBA"  # Teams wants a white outline on a transparent background


@pytest.mark.parametrize(
    ("app_id", "base_url", "version", "problem"),
    [
        ("joinup-bot", "https://joinup.example.org", "1.0.0", "isn't a GUID"),
        (APP_ID, "http://127.0.0.1:8000", "1.0.0", "https address"),
        (APP_ID, "https://joinup.example.org", "1", "must look like 1.0.0"),
    ],
)
def test_a_wrong_value_is_named(app_id: str, base_url: str, version: str, problem: str) -> None:
    with pytest.raises(PackageError, match=problem):
        build_package(app_id=app_id, base_url=base_url, version=version, commands=[])


def test_the_command_writes_the_zip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOINUP_TEAMS__APP_ID", APP_ID)
    monkeypatch.setenv("JOINUP_PUBLIC_BASE_URL", "https://joinup.example.org")
    output = tmp_path / "joinup.zip"

    result = CliRunner().invoke(cli, ["teams", "package", "-o", str(output)])

    assert result.exit_code == 0, result.output
    assert "Upload it in Teams" in result.output
    manifest, _ = manifest_of(output.read_bytes())
    assert manifest["id"] == APP_ID


def test_the_command_without_an_app_id_says_what_to_set(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["teams", "package", "-o", str(tmp_path / "x.zip")])

    assert result.exit_code == 1
    assert "JOINUP_TEAMS__APP_ID" in result.output
    assert not (tmp_path / "x.zip").exists()


def test_sync_people_without_graph_credentials_says_what_to_set(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["teams", "sync-people", "--db", f"sqlite:///{tmp_path / 'j.db'}"])

    assert result.exit_code == 1
    assert "JOINUP_TEAMS__APP_PASSWORD" in result.output
