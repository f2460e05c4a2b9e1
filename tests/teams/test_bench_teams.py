"""joinup bench teams runs end to end at its smoke size: acks against a bare Teams SDK app, every reply counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli


def test_bench_teams_smoke_compares_acks_and_counts_every_reply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # results go to ./bench/results
    result = CliRunner().invoke(cli, ["bench", "teams", "--smoke"])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "bench" / "results" / "teams.json").read_text())
    summary, details = record["summary"], record["details"]
    assert summary["size"] == "smoke"
    assert {(row["target"], row["concurrency"]) for row in details["rounds"]} == {
        (target, concurrency) for target in ("bare", "joinup") for concurrency in (1, 8)
    }
    for row in details["rounds"]:
        assert row["requests"] == 20 and row["errors"] == 0
        if row["target"] == "joinup":
            assert row["replies missing"] == 0  # each message answered in its own conversation
    assert summary["sqlite fully handled req/s"] > 0 and summary["sqlite replies missing"] == 0
