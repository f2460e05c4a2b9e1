"""Pre-release only: rewrite the baseline migration 0001 from the models.

Until the first release, the schema is one baseline migration so parallel work doesn't fork the
revision chain. Once released, never run this again: add a new migration instead.
Run: python -m storage.regen_baseline
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from storage import migrate
from storage.db import make_engine


def main() -> None:
    """Regenerate storage/migrations/versions/0001_initial_schema.py."""
    for old in (migrate.MIGRATIONS / "versions").glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'empty.db'}")
        migrate.autogenerate(engine, "initial schema", "0001")
        engine.dispose()


if __name__ == "__main__":
    main()
