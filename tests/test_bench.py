"""The benchmark report: results files become a Markdown table with plots."""

from __future__ import annotations

import json
from pathlib import Path

from slack_sdk.signature import SignatureVerifier

from bench import loadgen
from bench.cli import percentile, write_result
from bench.report import build_report


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 0.5) == 50
    assert percentile(samples, 0.99) == 99
    assert percentile([7.0], 0.99) == 7
    assert percentile([], 0.5) == 0


def test_results_become_a_report_with_tables_and_plots(tmp_path: Path) -> None:
    results = tmp_path / "results"
    path = write_result(
        "sweep",
        summary={"reminders per second": 1234.5, "workers": 4},
        plots=[
            {
                "title": "throughput",
                "kind": "line",
                "xlabel": "workers",
                "ylabel": "per s",
                "series": [{"label": "sqlite", "x": [1, 2], "y": [10, 19]}],
            },
            {"title": "latency", "kind": "hist", "series": [{"y": [1.0, 2.0, 2.5]}]},
        ],
        results_dir=results,
    )
    assert json.loads(path.read_text())["summary"]["workers"] == 4

    report = build_report(results, tmp_path / "REPORT.md", tmp_path / "plots")

    text = report.read_text()
    assert "## sweep" in text
    assert "| reminders per second | 1,234 |" in text
    assert "| workers | 4 |" in text
    assert (tmp_path / "plots" / "sweep-1.png").read_bytes()[:4] == b"\x89PNG"
    assert "![latency](plots/sweep-2.png)" in text


def test_load_requests_carry_a_signature_slack_would_accept() -> None:
    form = loadgen.slash_command("UB000001", "find health visitor", response_url="http://127.0.0.1:1/r")
    body, headers = loadgen.signed_slack_request(form)
    verifier = SignatureVerifier(loadgen.SIGNING_SECRET)
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
