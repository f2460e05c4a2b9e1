"""The wiring module stays at the top of the import graph: nothing it imports imports it back."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "directory", "schedules", "storage")


def _module_path(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(name: str) -> set[str]:
    """Every project module `name` imports, anywhere in the file (inside functions and TYPE_CHECKING too)."""
    path = _module_path(name)
    assert path is not None, name
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            candidates = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found |= {c for c in candidates if c.split(".")[0] in PACKAGES and _module_path(c) is not None}
    return found


def _reachable_from(start: str) -> dict[str, str]:
    """Each module reachable from `start`, with the module that first imported it."""
    seen: dict[str, str] = {}
    todo = [start]
    while todo:
        current = todo.pop()
        for imported in _imports(current):
            if imported not in seen and imported != start:
                seen[imported] = current
                todo.append(imported)
            elif imported == start:
                seen.setdefault(f"{start} (back)", current)
    return seen


def test_nothing_bot_runtime_imports_imports_it_back() -> None:
    reached = _reachable_from("bot.runtime")
    assert "bot.slack.dedupe" in reached  # the check sees the modules the wiring really uses
    assert "bot.runtime (back)" not in reached, (
        f"import cycle: {reached['bot.runtime (back)']} imports bot.runtime"
    )


def test_the_job_registry_imports_nothing_from_the_bot_or_the_handlers() -> None:
    reached = _reachable_from("schedules.jobs")
    assert not [m for m in reached if m.split(".")[0] in ("bot", "handlers")], reached
