"""joinup bench: benchmarks that write bench/results/<name>.json. Speed targets are checked here, never in unit tests."""

from __future__ import annotations

import click


@click.group(help="Run benchmarks; each writes bench/results/<name>.json.")
def bench() -> None:
    """Benchmark commands."""
