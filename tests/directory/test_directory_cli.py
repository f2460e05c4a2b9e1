"""joinup directory import/export/check/stale/verify/coverage, as an admin would use them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.directory import directory
from directory.demo import DEMO_FILE


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'joinup.db'}"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(directory, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_import_export_and_reimport(db: str, tmp_path: Path) -> None:
    code, out = run("import", str(DEMO_FILE), "--db", db, "--as", "admin.nadia")
    assert code == 0 and "teams added: 47" in out
    for name in ("d.yaml", "d.csv", "d.json"):
        code, out = run("export", "-o", str(tmp_path / name), "--db", db)
        assert code == 0 and name in out
        code, out = run("check", str(tmp_path / name), "--db", db)
        assert code == 0 and "would change" in out and "added" not in out


def test_a_bad_file_changes_nothing_and_lists_every_problem(db: str, tmp_path: Path) -> None:
    run("import", str(DEMO_FILE), "--db", db)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        DEMO_FILE.read_text(encoding="utf-8")
        .replace("0161 496 0100", "0161 496", 1)
        .replace("09:00-17:15", "9-5:15pm", 1),
        encoding="utf-8",
    )
    code, out = run("import", str(bad), "--db", db)
    assert code == 1
    assert "bad.yaml, line " in out and ", value: '0161 496' is not a UK phone number" in out
    assert ", hours: '9-5:15pm'" in out and "2 problem(s) in bad.yaml; nothing was changed" in out
    code, out = run("export", "--db", db)
    assert "0161 496 0100" in out


def test_stale_verify_and_coverage(db: str) -> None:
    run("import", str(DEMO_FILE), "--db", db)
    code, out = run("stale", "--db", db)
    assert code == 0 and "overdue for review" in out and "hidden-harm" in out
    code, out = run("verify", "cmht", "--db", db)
    assert code == 1 and "Did you mean" in out and "cmht-north" in out
    code, out = run(
        "verify", "Hidden harm worker (parents who use drugs or alcohol)", "--db", db, "--every", "120"
    )
    assert code == 0 and "next review due in 120 days" in out
    code, out = run("coverage", "--db", db)
    assert code == 0 and "Every area has a route" in out


def test_export_to_an_unknown_extension(db: str, tmp_path: Path) -> None:
    code, out = run("export", "-o", str(tmp_path / "d.txt"), "--db", db)
    assert code == 1 and "can't tell the format" in out
