"""Tidying text from other councils' feeds: HTML to plain text, long descriptions cut at a sentence, web
addresses given a scheme. Each fix is reported by directory/pull.py, never made silently.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from directory.oruk_export import CONCERN_TAXONOMY

MAX_VALUE = 300
_BLOCK_TAGS = {"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table"}


class _Text(HTMLParser):
    """Collect the text of an HTML fragment, a line break at each block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(value: Any) -> str:
    """Turn a feed's HTML or text into plain text: tags gone, entities decoded, blank lines collapsed."""
    text = str(value or "")
    if "<" in text:
        parser = _Text()
        parser.feed(text)
        parser.close()
        text = "".join(parser.parts)
    text = html.unescape(text).replace("\xa0", " ")
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def cut_at_sentence(text: str, limit: int, more_at: str) -> str:
    """Cut `text` to at most `limit` characters at the end of a sentence, saying where the rest is."""
    if len(text) <= limit:
        return text
    tail = f" More at {more_at}" if more_at else " (cut short)"
    room = text[: limit - len(tail)]
    end = max(room.rfind(". "), room.rfind(".\n"), room.rfind("! "), room.rfind("? "))
    kept = room[: end + 1] if end > limit // 3 else room[: room.rfind(" ")].rstrip(",;:") + "…"
    return kept + tail


def fix_url(raw: Any) -> tuple[str, str]:
    """Return a usable http(s) web address and what was done to it ("" when nothing)."""
    value = str(raw or "").strip()
    if not value:
        return "", ""
    note = ""
    if not re.match(r"^[a-z][a-z0-9+.-]*://", value, re.IGNORECASE):
        value, note = (
            "https://" + value.lstrip("/"),
            f"web address {str(raw).strip()!r} had no scheme; https:// added",
        )
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or "." not in parts.netloc or " " in value:
        return "", f"web address {str(raw).strip()!r} is not usable; left out"
    if len(value) > MAX_VALUE:
        return "", f"web address is {len(value)} characters long; left out"
    return value, note


def read_concerns(record: dict[str, Any], known: frozenset[str]) -> tuple[list[str], list[str]]:
    """The concerns a service says it handles, first and also, as ORUK attributes in joinup's taxonomy.

    Only terms of that taxonomy whose code is a concern we know count; anything else is left alone.
    """
    primary: list[str] = []
    also: list[str] = []
    for attribute in record.get("attributes") or []:
        term = attribute.get("taxonomy_term") if isinstance(attribute, dict) else None
        if not isinstance(term, dict) or term.get("taxonomy") != CONCERN_TAXONOMY:
            continue
        code = str(term.get("code") or "").strip()
        if code in known and code not in primary and code not in also:
            (primary if attribute.get("value") == "primary" else also).append(code)
    return primary, also


def read_areas(record: dict[str, Any]) -> list[str]:
    """The names of the areas a service covers (its service areas), tidied and short."""
    areas: list[str] = []
    for area in record.get("service_areas") or []:
        name = plain_text(area.get("name") if isinstance(area, dict) else "").replace("\n", " ")[:80]
        if name and name not in areas:
            areas.append(name)
    return areas[:20]
