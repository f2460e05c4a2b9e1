"""Rebuild storage/data/first_names.txt from the names-dataset package (see storage/data/README.md).

Run `python -m storage.first_names` with names-dataset installed; joinup itself never imports it.
"""

from __future__ import annotations

import gzip
import importlib.util
import pickle
from pathlib import Path
from typing import Any

TARGET = Path(__file__).with_name("data") / "first_names.txt"
# The rank (1 = most common) a name must reach in at least one of these countries.
RANK_LIMITS = {
    "GB": 4000, "IE": 1000, "US": 1000, "IN": 400, "PK": 400, "BD": 300, "NG": 300, "PL": 300, "RO": 300,
    "SO": 200, "TR": 300, "IQ": 200, "LT": 200, "PT": 200, "ES": 200, "IT": 200, "FR": 200, "JM": 300,
    "GH": 200, "SA": 200, "EG": 200,
}  # fmt: skip


def select_names(table: dict[str, dict[str, Any]]) -> list[str]:
    """Return the names that reach a rank limit, alphabetic, two letters or more, sorted."""
    chosen = {
        name
        for name, info in table.items()
        if name.isalpha()
        and len(name) >= 2
        and name[0].isupper()
        and any(
            (info.get("rank") or {}).get(country, 10**9) <= limit for country, limit in RANK_LIMITS.items()
        )
    }
    return sorted(chosen)


def main() -> None:
    """Read names-dataset's first-name table and write the list."""
    spec = importlib.util.find_spec("names_dataset")
    if spec is None or spec.origin is None:
        raise SystemExit("Install names-dataset first: pip install names-dataset")
    source = Path(spec.origin).parent / "v3" / "first_names.pkl.gz"
    with gzip.open(source, "rb") as handle:
        table = pickle.load(handle)  # the package's own data file
    names = select_names(table)
    TARGET.write_text("\n".join(names) + "\n", encoding="utf-8")
    print(f"Wrote {len(names)} names to {TARGET}")


if __name__ == "__main__":
    main()
