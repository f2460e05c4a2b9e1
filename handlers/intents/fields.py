"""Marking an intent's free-text fields, so the privacy guard checks exactly those and nothing else.

A field a person types in their own words (a note, a reason, a rationale) is declared with `free_text()`;
everything else on an intent was parsed into a type (an item reference, a date, a team, a method) and is
not free text, so `due icpc from 2026-12-17` is never refused for the date.
"""

from __future__ import annotations

from dataclasses import field, fields, is_dataclass, replace
from typing import Any, TypeVar

FREE_TEXT = "free_text"
T = TypeVar("T")


def free_text(*, label: str = "") -> Any:
    """Declare a free-text field of an intent (default empty); `label` is how a refusal names it."""
    return field(default="", metadata={FREE_TEXT: True, "label": label})


def free_text_fields(intent: object) -> dict[str, str]:
    """Return an intent's free-text fields and their values (the ones the privacy guard checks)."""
    if not is_dataclass(intent) or isinstance(intent, type):
        return {}
    return {f.name: str(getattr(intent, f.name) or "") for f in fields(intent) if f.metadata.get(FREE_TEXT)}


def field_label(intent: object, name: str) -> str:
    """How a refusal names one of an intent's fields ("note", "reason")."""
    if is_dataclass(intent) and not isinstance(intent, type):
        for f in fields(intent):
            if f.name == name:
                return str(f.metadata.get("label") or name.replace("_", " "))
    return name.replace("_", " ")


def with_field(intent: T, name: str, value: str) -> T:
    """Return a copy of `intent` with one field replaced (the cleaned text of a refused note)."""
    return replace(intent, **{name: value})  # type: ignore[type-var]
