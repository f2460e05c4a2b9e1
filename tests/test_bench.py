"""The benchmark report: results files become a Markdown table with plots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


def test_privacy_bench_scores_each_labelled_set_on_its_own(tmp_path: Path) -> None:
    from bench.privacy import measure

    original = tmp_path / "privacy_notes.tsv"
    original.write_text(
        "# the original set\n"
        "dev\tclean\tleft a message with Priya Shah, duty social worker\n"
        "dev\tpersonal:nhs\tNHS no. 943 476 5919\n"
        "held-out\tclean\tfront door\n"
        "held-out\tpersonal:nhs\tnhs 943.476.5919\n",
        encoding="utf-8",
    )
    blind = tmp_path / "privacy_notes_blind.tsv"
    # "front door" labelled personal stands for a note the guard misses: nothing in it is personal data.
    blind.write_text(
        "# written blind\n"
        "held-out\tclean\tcalled front door on 0161 496 0100\n"
        "held-out\tpersonal:nhs\tchild's NHS number 9434765919\n"
        "held-out\tpersonal:name\tfront door\n",
        encoding="utf-8",
    )

    summary, scored, path = measure([original, blind], results_dir=tmp_path / "results")

    record = json.loads(path.read_text())
    assert path == tmp_path / "results" / "privacy.json"
    # The original set keeps the keys it always had; the blind set is reported beside it, never mixed in.
    assert record["summary"]["notes"] == 4
    assert record["summary"]["recall %"] == 100.0
    assert record["summary"]["dev false refusals %"] == 0.0
    assert record["summary"]["held-out recall %"] == 100.0
    assert record["summary"]["original verdict"] == "met"
    assert record["summary"]["blind notes"] == 3
    assert record["summary"]["blind recall %"] == 50.0
    assert record["summary"]["blind missed by kind"] == "personal:name 1"
    assert record["summary"]["blind verdict"] == "not met"
    assert record["summary"]["verdict"] == "not met"
    assert record["details"]["held-out"]["personal notes"] == 1
    assert record["details"]["blind"]["file"] == str(blind)
    # A held-out miss is counted by kind; its text is never written to the results file.
    assert record["details"]["blind"]["held-out"]["missed by kind"] == {"personal:name": 1}
    assert record["details"]["blind"]["held-out"]["missed"] == []
    assert "front door" not in json.dumps(record["details"]["blind"])
    assert "dev" not in record["details"]["blind"]
    assert scored["blind"]["overall"]["false refusals %"] == 0.0
    assert summary == record["summary"]


def test_privacy_bench_names_a_bad_line_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from bench.privacy import privacy_bench

    notes = tmp_path / "notes.tsv"
    notes.write_text("held-out\tclean\tfront door\nheld-out clean no tabs here\n", encoding="utf-8")
    other = tmp_path / "other" / "notes.tsv"
    other.parent.mkdir()
    other.write_text("held-out\tclean\tfront door\n", encoding="utf-8")
    runner = CliRunner()

    monkeypatch.chdir(tmp_path)  # results are written under the working directory: none may appear

    bad_line = runner.invoke(privacy_bench, ["--notes", str(notes)])
    same_name = runner.invoke(
        privacy_bench, ["--notes", str(other), "--notes", str(other.parent.parent / "notes.tsv")]
    )
    missing = runner.invoke(privacy_bench, ["--notes", str(tmp_path / "absent.tsv")])

    assert not (tmp_path / "bench").exists()

    assert bad_line.exit_code == 1
    assert f"{notes}:2: expected split<TAB>label<TAB>note" in bad_line.output
    assert same_name.exit_code == 2
    assert "two sets share a file name" in same_name.output
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    assert all(
        r.exception is None or isinstance(r.exception, SystemExit) for r in (bad_line, same_name, missing)
    )


def test_privacy_bench_prints_dev_texts_never_held_out_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from bench.privacy import privacy_bench

    notes = tmp_path / "notes.tsv"
    notes.write_text(
        "dev\tpersonal:name\tthe dev line nobody names\n"
        "held-out\tpersonal:name\tthe held-out line nobody names\n"
        "held-out\tclean\tfront door\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(privacy_bench, ["--notes", str(notes)])

    assert result.exit_code == 0, result.output
    assert "missed (notes dev) personal:name: the dev line nobody names" in result.output
    assert "held-out line" not in result.output
    assert "held-out recall %: 0.0" in result.output
