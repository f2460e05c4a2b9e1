"""joinup bench: benchmarks that write bench/results/<name>.json. Speed targets are checked here, never in unit tests.

Every benchmark command takes `--smoke` (a small size that CI runs) and writes its result with
`write_result`, so `joinup bench report` can build bench/REPORT.md from any of them:

    {"name": ..., "command": "joinup bench sweep --smoke", "at": ..., "machine": {...},
     "summary": {"p99 ms": 12.5, ...},               # the table row
     "plots": [{"title", "kind": "line"|"hist", "xlabel", "ylabel",
                "series": [{"label", "x": [...], "y": [...]}]}]}   # "hist" series use only "y"
"""

from __future__ import annotations

import json
import math
import os
import platform
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

RESULTS = Path("bench/results")


@click.group(help="Run benchmarks; each writes bench/results/<name>.json.")
def bench() -> None:
    """Benchmark commands."""


def machine() -> dict[str, Any]:
    """Describe the machine a figure was measured on."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }


def write_result(
    name: str,
    *,
    summary: dict[str, Any],
    plots: list[dict[str, Any]] | None = None,
    details: dict[str, Any] | None = None,
    results_dir: Path = RESULTS,
    command: str | None = None,
) -> Path:
    """Write one benchmark's figures to bench/results/<name>.json and return the path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    record = {
        "name": name,
        "command": command
        or ("joinup " + shlex.join(sys.argv[1:]) if sys.argv[1:] else f"joinup bench {name}"),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "summary": summary,
        "plots": plots or [],
        "details": details or {},
    }
    path = results_dir / f"{name}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return path


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `samples` (0 when empty)."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]
