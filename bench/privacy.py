"""joinup bench privacy: how often the privacy guard catches personal data, and how often it refuses a clean note.

Each labelled set is checked the way joinup checks a note before storing it: `refuse_personal_data` against the
demo borough's directory contacts and users' names. Recall is measured on the personal-data half, false refusals
on the clean half, and every set is reported on its own:

- the original set (bench/data/privacy_notes.tsv) was written after the guard's first version; its "dev" lines
  may be looked at when tuning, its "held-out" lines may not;
- the blind set (bench/data/privacy_notes_blind.tsv) was written without reading the guard and committed before
  it was first run; before any tuning on it, half of each label's lines were marked "dev" at random
  (bench/split_blind.py), and its held-out half stays the honest measurement.

Only dev lines' texts are printed; held-out lines are counted, never shown, so they cannot leak into tuning.

Targets: recall >= 98%, false refusals <= 2%.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlmodel import SQLModel

from bench.cli import RESULTS, bench, percentile, write_result
from directory.demo import load_demo
from schedules.time.clock import FakeClock
from storage.db import make_engine, make_sessions
from storage.errors import PersonalDataRefused
from storage.privacy import refuse_personal_data

NOTES = Path(__file__).parent / "data" / "privacy_notes.tsv"
BLIND_NOTES = Path(__file__).parent / "data" / "privacy_notes_blind.tsv"
# What each shipped set is called in the results; any other file is called by its stem.
SET_NAMES = {NOTES.name: "original", BLIND_NOTES.name: "blind"}
SPLITS = ("held-out", "dev")
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


def set_name(path: Path) -> str:
    """The name a set's figures are reported under: "original", "blind", or the file's stem."""
    return SET_NAMES.get(path.name, path.stem)


def read_notes(path: Path = NOTES) -> list[Note]:
    """Read labelled notes (tab-separated: split, label, text; # lines are comments).

    Raises:
        click.ClickException: a line is not split<TAB>label<TAB>text, or its split or label is unknown.
    """
    notes = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t", 2)
        if (
            len(parts) != 3
            or parts[0] not in SPLITS
            or not (parts[1] == "clean" or parts[1].startswith("personal"))
        ):
            raise click.ClickException(
                f"{path}:{number}: expected split<TAB>label<TAB>note, with split dev or held-out and label clean "
                "or personal:<kind>"
            )
        split, label, text = parts
        notes.append(Note(split=split, label=label, text=text))
    return notes


def score(notes: list[Note], refused: dict[str, str | None]) -> dict[str, Any]:
    """Recall on the personal notes, the false-refusal rate on the clean ones, and what went wrong by kind.

    Only dev lines' texts are kept in "missed" and "refused clean": a held-out line is counted, never written
    down, so nobody tuning the guard later reads it in the results file.
    """
    personal = [n for n in notes if n.is_personal]
    clean = [n for n in notes if not n.is_personal]
    caught = [n for n in personal if refused[n.text] is not None]
    wrongly = [n for n in clean if refused[n.text] is not None]
    return {
        "personal notes": len(personal),
        "clean notes": len(clean),
        "recall %": round(100 * len(caught) / len(personal), 1) if personal else 0.0,
        "false refusals %": round(100 * len(wrongly) / len(clean), 1) if clean else 0.0,
        "missed": [f"{n.label}: {n.text}" for n in personal if refused[n.text] is None and n.split == "dev"],
        "refused clean": [f"{n.text} -> {refused[n.text]}" for n in wrongly if n.split == "dev"],
        "missed by kind": dict(Counter(n.label for n in personal if refused[n.text] is None)),
        "refused clean by cause": dict(Counter(str(refused[n.text]) for n in wrongly)),
        "notes by kind": dict(Counter(n.label for n in personal)),
    }


def is_met(result: dict[str, Any]) -> bool:
    """Whether one score meets both targets."""
    return bool(
        result["recall %"] >= 100 * RECALL_TARGET and result["false refusals %"] <= 100 * FALSE_REFUSAL_TARGET
    )


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


def _tally(counts: dict[str, int]) -> str:
    """A one-cell summary of counts, largest first ("personal:name 3, personal:dob 1"), or "none"."""
    return ", ".join(f"{key} {value}" for key, value in Counter(counts).most_common()) or "none"


def score_set(notes: list[Note], refused: dict[str, str | None]) -> dict[str, Any]:
    """One set's figures: all of it, and each split it has."""
    result: dict[str, Any] = {"overall": score(notes, refused)}
    for split in SPLITS:
        part = [n for n in notes if n.split == split]
        if part:
            result[split] = score(part, refused)
    return result


def measure(
    paths: Sequence[Path], results_dir: Path = RESULTS
) -> tuple[dict[str, Any], dict[str, Any], Path]:
    """Score the guard on each set and write privacy.json; return the summary, each set's figures and the path.

    The original set keeps its summary keys (notes, recall %, held-out and dev figures); every other set adds
    "<name> …" keys and its own section in the details.
    """
    sets = {set_name(path): read_notes(path) for path in paths}
    refused, times = check_all([note for notes in sets.values() for note in notes])
    scored = {name: score_set(notes, refused) for name, notes in sets.items()}
    summary: dict[str, Any] = {}
    for name, result in scored.items():
        overall = result["overall"]
        prefix = "" if name == "original" else f"{name} "
        summary[f"{prefix}notes"] = len(sets[name])
        summary[f"{prefix}recall %"] = overall["recall %"]
        summary[f"{prefix}false refusals %"] = overall["false refusals %"]
        for split in SPLITS:
            if split in result and len(result) > 2:  # a split of its own only when the set has both
                summary[f"{prefix}{split} recall %"] = result[split]["recall %"]
                summary[f"{prefix}{split} false refusals %"] = result[split]["false refusals %"]
        summary[f"{prefix}missed by kind"] = _tally(overall["missed by kind"])
        summary[f"{prefix}refused clean by cause"] = _tally(overall["refused clean by cause"])
        summary[f"{name} verdict"] = "met" if all(is_met(s) for s in result.values()) else "not met"
    summary["check p99 ms"] = round(percentile(times, 0.99), 2)
    summary["verdict"] = "met" if all(summary[f"{name} verdict"] == "met" for name in scored) else "not met"
    details: dict[str, Any] = {"targets": {"recall %": 98, "false refusals %": 2}}
    for name, result in scored.items():
        path = next(p for p in paths if set_name(p) == name)
        if name == "original":
            details.update(result)  # the original set's figures stay where they always were
            details["original file"] = str(path)
        else:
            details[name] = {"file": str(path), **result}
    written = write_result("privacy", summary=summary, details=details, results_dir=results_dir)
    return summary, scored, written


@bench.command(name="privacy", help="Privacy guard recall and false refusals on each labelled set of notes.")
@click.option("--smoke", is_flag=True, help="The same run (it takes seconds); accepted for CI symmetry.")
@click.option(
    "--notes",
    "paths",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A labelled set (split<TAB>label<TAB>note); repeat for several. Default: the original and the blind set.",
)
def privacy_bench(smoke: bool, paths: tuple[Path, ...]) -> None:
    """Score the guard and write bench/results/privacy.json."""
    names = [set_name(path) for path in paths]
    if len(set(names)) != len(names):
        raise click.BadParameter(
            "two sets share a file name; give each set a different name", param_hint="--notes"
        )
    summary, scored, written = measure(paths or (NOTES, BLIND_NOTES))
    for key, value in summary.items():
        click.echo(f"{key}: {value}")
    for name, result in scored.items():
        for split, part in result.items():
            if split != "dev":
                continue  # held-out texts are never shown (tuning must not see them); overall repeats dev
            for line in part["missed"]:
                click.echo(f"missed ({name} {split}) {line}")
            for line in part["refused clean"]:
                click.echo(f"refused clean ({name} {split}) {line}")
    click.echo(f"Wrote {written}")
