"""The file clock lets several processes share one fake time."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from schedules.time.clock import FileClock


def test_every_reader_sees_the_time_written(tmp_path: Path) -> None:
    path = tmp_path / "now"
    start = datetime(2026, 11, 25, 10, tzinfo=UTC)
    FileClock.write(path, start)
    first, second = FileClock(path), FileClock(path)
    assert first.now() == second.now() == start

    later = start + timedelta(days=3)
    FileClock.write(path, later)
    os.utime(path, ns=(1, path.stat().st_mtime_ns + 1))  # coarse file systems: force a new stamp
    assert first.now() == second.now() == later


def test_it_never_goes_backwards(tmp_path: Path) -> None:
    path = tmp_path / "now"
    start = datetime(2026, 11, 25, 10, tzinfo=UTC)
    FileClock.write(path, start)
    clock = FileClock(path)
    FileClock.write(path, start - timedelta(hours=1))
    os.utime(path, ns=(1, path.stat().st_mtime_ns + 1))
    assert clock.now() == start


def test_a_naive_time_is_refused_at_start_up(tmp_path: Path) -> None:
    path = tmp_path / "now"
    path.write_text("2026-11-25T10:00:00")
    with pytest.raises(ValueError, match="aware ISO 8601"):
        FileClock(path)
