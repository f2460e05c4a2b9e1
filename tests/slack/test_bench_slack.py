"""joinup bench slack runs end to end at its smoke size and writes the figures the issue asks for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.slack import summarise
from bot.cli import cli


def test_bench_slack_smoke_writes_medians_p99s_and_the_ratio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # results go to ./bench/results
    result = CliRunner().invoke(cli, ["bench", "slack", "--smoke"])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "bench" / "results" / "slack.json").read_text())
    summary = record["summary"]
    assert summary["requests"] == 20 and summary["size"] == "smoke"
    for key in (
        "joinup median ms",
        "joinup p99 ms",
        "bare bolt median ms",
        "bare bolt p99 ms",
        "median ratio",
    ):
        assert summary[key] > 0
    assert len(record["details"]["samples_ms"]["reply"]) == 20  # every joinup request got its reply


def test_the_ratio_is_joinups_median_over_bare_bolts() -> None:
    summary = summarise(
        {"joinup": [2.0, 3.0, 4.0], "bare": [2.0, 2.0, 2.0], "bare_inline": [1.0], "reply": [9.0]}
    )
    assert summary["median ratio"] == 1.5 and summary["meets target"] is True
    assert (
        summarise({"joinup": [4.0], "bare": [2.0], "bare_inline": [2.0], "reply": [5.0]})["meets target"]
        is False
    )
