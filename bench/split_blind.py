"""Split the blind privacy set into dev and held-out halves, at random, stratified by label (run once).

The blind set was committed with every line held-out. Before any tuning on it, this script marked half of each
label's lines "dev" (random.Random(SEED) shuffles each label's line numbers; the first half, rounded down, is dev)
so the guard can be tuned on dev while held-out stays an honest measurement. It rewrites only the split column.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

SEED = 20261205
BLIND = Path(__file__).parent / "data" / "privacy_notes_blind.tsv"


def split(path: Path = BLIND, seed: int = SEED) -> None:
    """Re-label half of each label's lines as dev, in place."""
    lines = path.read_text(encoding="utf-8").splitlines()
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, line in enumerate(lines):
        if line.startswith("#") or not line.strip():
            continue
        by_label[line.split("\t", 2)[1]].append(index)
    rng = random.Random(seed)
    for label in sorted(by_label):
        indices = by_label[label]
        rng.shuffle(indices)
        for index in indices[: len(indices) // 2]:
            _, rest = lines[index].split("\t", 1)
            lines[index] = f"dev\t{rest}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    split()
