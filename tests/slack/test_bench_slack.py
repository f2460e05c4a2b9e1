"""joinup bench slack runs end to end at its smoke size and writes the figures the issue asks for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bench.slack import summarise
from bot.cli import cli


def test_bench_slack_smoke_compares_acks_and_counts_every_reply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # results go to ./bench/results
    result = CliRunner().invoke(cli, ["bench", "slack", "--smoke"])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "bench" / "results" / "slack.json").read_text())
    summary, details = record["summary"], record["details"]
    assert summary["size"] == "smoke"
    assert {(row["target"], row["concurrency"]) for row in details["rounds"]} == {
        (target, concurrency) for target in ("bare", "joinup") for concurrency in (1, 8)
    }
    for row in details["rounds"]:
        assert row["requests"] == 20 and row["errors"] == 0
        assert row["ack median ms"] > 0 and row["req/s"] > 0
        if row["target"] == "joinup":
            assert row["replies missing"] == 0  # the work is included: every request got its reply
            assert row["reply median ms"] > 0
    assert all(ratio["median ratio"] > 0 for ratio in details["ratios"])
    assert summary["sqlite fully handled req/s"] > 0 and summary["sqlite replies missing"] == 0


def test_the_headline_is_the_worst_ratio_against_the_target() -> None:
    cell = {"database": "sqlite", "concurrency": 1}
    results: dict[str, Any] = {
        "rounds": [],
        "ratios": [
            cell | {"round": 1, "median ratio": 1.2, "p99 ratio": 1.4, "req/s ratio": 0.9},
            cell | {"round": 2, "median ratio": 1.6, "p99 ratio": 1.3, "req/s ratio": 0.8},
        ],
        "handled": {
            "sqlite": {
                "fully handled req/s": 320.0,
                "replies missing": 0,
                "inbox backlog each second": [0, 3, 0],
            }
        },
    }
    summary = summarise(results)
    assert (summary["worst ack median ratio"], summary["worst ack p99 ratio"]) == (1.6, 1.4)
    assert summary["ack target met"] is False
    results["ratios"].pop()
    assert summarise(results)["ack target met"] is True
