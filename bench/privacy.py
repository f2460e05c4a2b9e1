"""joinup bench privacy: how often the privacy guard catches personal data, and how often it refuses a clean note.

The labelled notes (bench/data/privacy_notes.tsv) are checked the way joinup checks a note before storing it:
`refuse_personal_data` against the demo borough's directory contacts and users' names. Recall is measured on
the personal-data half, false refusals on the clean half, for the "dev" lines (which tuning may look at) and
the "held-out" lines (which it may not) separately. Targets: recall >= 98%, false refusals <= 2%.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlmodel import SQLModel

from bench.cli import bench, percentile, write_result
from directory.demo import load_demo
from schedules.time.clock import FakeClock
from storage.db import make_engine, make_sessions
from storage.errors import PersonalDataRefused
from storage.privacy import refuse_personal_data

NOTES = Path(__file__).parent / "data" / "privacy_notes.tsv"
RECALL_TARGET = 0.98
FALSE_REFUSAL_TARGET = 0.02
DEMO_AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Note:
    """One labelled note: which split, whether it holds personal data (and what kind), and its text."""

    split: str
    label: str
    text: str

    @property
    def is_personal(self) -> bool:
        return self.label.startswith("personal")


def read_notes(path: Path = NOTES) -> list[Note]:
    """Read the labelled notes (tab-separated: split, label, text; # lines are comments)."""
    notes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        split, label, text = line.split("\t", 2)
        notes.append(Note(split=split, label=label, text=text))
    return notes


def score(notes: list[Note], refused: dict[str, str | None]) -> dict[str, Any]:
    """Recall on the personal notes and the false-refusal rate on the clean ones."""
    personal = [n for n in notes if n.is_personal]
    clean = [n for n in notes if not n.is_personal]
    caught = [n for n in personal if refused[n.text] is not None]
    wrongly = [n for n in clean if refused[n.text] is not None]
    return {
        "personal notes": len(personal),
        "clean notes": len(clean),
        "recall %": round(100 * len(caught) / len(personal), 1) if personal else 0.0,
        "false refusals %": round(100 * len(wrongly) / len(clean), 1) if clean else 0.0,
        "missed": [f"{n.label}: {n.text}" for n in personal if refused[n.text] is None],
        "refused clean": [f"{n.text} -> {refused[n.text]}" for n in wrongly],
        "missed by kind": dict(Counter(n.label for n in personal if refused[n.text] is None)),
    }


def check_all(notes: list[Note]) -> tuple[dict[str, str | None], list[float]]:
    """Check every note against the demo borough; return what each was refused for and the times (ms)."""
    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        load_demo(session, FakeClock(DEMO_AT))
    refused: dict[str, str | None] = {}
    times: list[float] = []
    with sessions() as session:
        for note in notes:
            began = time.perf_counter()
            try:
                refuse_personal_data(session=session, text=note.text, field="note")
                refused[note.text] = None
            except PersonalDataRefused as error:
                refused[note.text] = error.what
            times.append((time.perf_counter() - began) * 1000)
    engine.dispose()
    return refused, times


@bench.command(name="privacy", help="Privacy guard recall and false refusals on the labelled notes.")
@click.option("--smoke", is_flag=True, help="The same run (it takes seconds); accepted for CI symmetry.")
def privacy_bench(smoke: bool) -> None:
    """Score the guard and write bench/results/privacy.json."""
    notes = read_notes()
    refused, times = check_all(notes)
    splits = {split: score([n for n in notes if n.split == split], refused) for split in ("dev", "held-out")}
    overall = score(notes, refused)
    is_met = all(
        s["recall %"] >= 100 * RECALL_TARGET and s["false refusals %"] <= 100 * FALSE_REFUSAL_TARGET
        for s in (*splits.values(), overall)
    )
    summary = {
        "notes": len(notes),
        "recall %": overall["recall %"],
        "false refusals %": overall["false refusals %"],
        "held-out recall %": splits["held-out"]["recall %"],
        "held-out false refusals %": splits["held-out"]["false refusals %"],
        "dev recall %": splits["dev"]["recall %"],
        "dev false refusals %": splits["dev"]["false refusals %"],
        "check p99 ms": round(percentile(times, 0.99), 2),
        "verdict": "met" if is_met else "not met",
    }
    path = write_result(
        "privacy",
        summary=summary,
        details={"overall": overall, **splits, "targets": {"recall %": 98, "false refusals %": 2}},
    )
    for key, value in summary.items():
        click.echo(f"{key}: {value}")
    for split, result in splits.items():
        for line in result["missed"]:
            click.echo(f"missed ({split}) {line}")
        for line in result["refused clean"]:
            click.echo(f"refused clean ({split}) {line}")
    click.echo(f"Wrote {path}")
