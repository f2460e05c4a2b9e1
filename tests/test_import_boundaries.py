"""The domain never imports a chat platform SDK or the web framework."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"slack_bolt", "slack_sdk", "microsoft_teams", "msgraph", "fastapi", "bot"}
CORE = sorted(
    path
    for package in ("handlers", "directory", "schedules", "storage")
    for path in (ROOT / package).rglob("*.py")
)


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_never_imports_a_platform_sdk(path: Path) -> None:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"line {node.lineno}: {name}" for name in names if name.split(".")[0] in FORBIDDEN]
    assert not found, f"{path.name} imports a platform SDK or bot/: {found}"


@pytest.mark.parametrize("path", [p for p in CORE if "storage" in p.parts], ids=lambda p: p.name)
def test_storage_imports_no_layer_above_it(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    above = [m for m in modules if m.split(".")[0] in {"handlers", "directory", "schedules"}]
    assert not above, f"{path.name} imports from a layer above storage: {above}"


def test_domain_never_reads_the_wall_clock() -> None:
    offenders = []
    for path in CORE:
        if path.name == "clock.py":
            continue
        source = path.read_text(encoding="utf-8")
        for needle in ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time()"):
            if needle in source:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert not offenders, offenders


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = [
        n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0 and n.module
    ]
    modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    return modules


def _in(path: Path, *parts: str) -> bool:
    return path.relative_to(ROOT).parts[: len(parts)] == parts


@pytest.mark.parametrize("path", [p for p in CORE if _in(p, "schedules", "time")], ids=lambda p: p.name)
def test_time_imports_nothing_above_storage(path: Path) -> None:
    above = [
        m
        for m in _imported_modules(path)
        if m.split(".")[0] in {"handlers", "directory"}
        or (m.startswith("schedules") and not m.startswith("schedules.time") and m != "schedules.settings")
    ]
    assert not above, f"{path.name} imports from above storage/: {above}"


@pytest.mark.parametrize("path", [p for p in CORE if _in(p, "directory")], ids=lambda p: p.name)
def test_directory_uses_only_time_from_schedules(path: Path) -> None:
    outside = [
        m
        for m in _imported_modules(path)
        if m.split(".")[0] == "handlers"
        or (m.split(".")[0] == "schedules" and not m.startswith("schedules.time"))
    ]
    assert not outside, f"{path.name} may use schedules.time and nothing else above it: {outside}"


@pytest.mark.parametrize(
    "path",
    [p for p in CORE if _in(p, "schedules") or _in(p, "storage")],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_domain_never_imports_the_conversation_layer(path: Path) -> None:
    handlers = [m for m in _imported_modules(path) if m.split(".")[0] == "handlers"]
    assert not handlers, f"{path.name} imports the conversation layer: {handlers}"


def test_product_never_imports_the_benchmarks() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {m}"
        for package in ("bot", "handlers", "directory", "schedules", "storage")
        for path in (ROOT / package).rglob("*.py")
        for m in _imported_modules(path)
        if m.split(".")[0] == "bench"
    ]
    assert not offenders, f"only `joinup bench` may load bench/, lazily: {offenders}"
