"""People's names in free text: after cue words ("mum Kelly"), before an age, or as a first name and surname.

Professionals are not who this protects: a name next to a job title, or a joinup user's name, is passed.
The first-name list is data (storage/data/first_names.txt, see storage/data/README.md for its source).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

NAME = "a person's name"


# Cue words a child's or relative's name follows ("mum Kelly", "child: jayden", "baby called Zaylee").
_NAME_CUES = (
    "child|children|mum|mom|mummy|mother|dad|daddy|father|baby|son|daughter|brother|sister|sibling|"
    "stepdad|stepmum|stepfather|stepmother|nan|nana|gran|granny|grandma|grandad|grandmother|grandfather|"
    r"aunt|auntie|uncle|cousin|boyfriend|girlfriend|pupil|called|named|known\s+as|aka|yp|cyp"
)
_CUE = re.compile(rf"\b(?:{_NAME_CUES}|partner)\b", re.IGNORECASE)
# What follows a cue: "'s", punctuation, "is"/"was"/"called"/"known as", then the name itself. A name may be
# hyphenated ("Lily-Mae", "ellie-may").
_NAME_WORD = r"[A-Za-z][a-z']+(?:-[A-Za-z][a-z']+)*|[A-Z][A-Z']+(?:-[A-Z][A-Z']+)*"
_AFTER_CUE = re.compile(
    rf"(?:'s)?[\s:,\-]*(?:(?:is|was|called|named|known\s+as|aka)\s+)?(?P<name>{_NAME_WORD})", re.IGNORECASE
)
# "Jayden aged 7", "Kelly (32)".
_BEFORE_AGE = re.compile(
    r"\b(?P<name>[A-Z][a-z'\-]+)\s*,?\s+(?:aged|age)\s+\d|\b(?P<name2>[A-Z][a-z'\-]+)\s+\(\d{1,2}\)"
)
# Two capitalised words, the first a first name: "Jayden Smith", "Kelly O'Neill-Brown".
_NAME_PAIR = re.compile(
    r"\b(?P<first>[A-Z][a-z']+(?:-[A-Z][a-z']+)*)\s+(?P<last>(?:Mc|Mac|O')?[A-Z][a-z']+(?:-[A-Z][a-z']+)*)\b"
)
# Job titles: a name next to one is a professional's ("Mark Allen, team manager", "DSL Will Kerr").
_ROLE = (
    r"manager|social\s+worker|sw|dsl|deputy\s+dsl|senco|nurse|midwife|health\s+visitor|hv|gp|doctor|dr|"
    r"paediatrician|consultant|officer|teacher|head(?:teacher)?|lead|chair|worker|practitioner|iro|idva|"
    r"coordinator|co-ordinator|advisor|adviser|keyworker|therapist|psychologist|pc|ds|dc|sergeant|inspector|"
    r"director|principal|caseworker|clinician|counsellor|solicitor|lado"
)
_ROLE_AFTER = re.compile(
    rf"\W{{0,3}}(?:(?:is|was|the|our|from|at|a|an|their|deputy|duty|team|named)\s+){{0,3}}(?:\w+\s+)?(?:{_ROLE})\b",
    re.IGNORECASE,
)
_ROLE_BEFORE = re.compile(rf"\b(?:{_ROLE})[\s:,]+$", re.IGNORECASE)
# First names that are also everyday words: a name only when capitalised, never after a cue in lower case.
WORD_NAMES = frozenset(
    [
        "will",
        "may",
        "mark",
        "june",
        "april",
        "august",
        "grace",
        "hope",
        "faith",
        "joy",
        "rose",
        "summer",
        "sky",
        "bill",
        "jack",
        "young",
        "king",
        "duke",
        "prince",
        "sunny",
        "star",
        "brook",
        "dawn",
        "rich",
        "frank",
        "earl",
        "guy",
        "lance",
        "pat",
        "sue",
        "nick",
        "rob",
        "bob",
        "art",
        "ray",
        "don",
        "gene",
        "drew",
        "sandy",
        "holly",
        "ivy",
        "iris",
        "daisy",
        "jade",
        "amber",
        "ruby",
        "crystal",
        "pearl",
        "ash",
        "chase",
        "cash",
        "sage",
        "river",
        "rain",
        "storm",
        "wolf",
        "bear",
        "lee",
        "dee",
        "jo",
        "al",
        "an",
        "ed",
        "max",
        "rey",
        "neil",
        "long",
        "will's",
    ]
)
# Words that follow a first name in the names of places and organisations, not of people
# ("Grace Road", "Rose Hill Surgery", "Hope Hospital").
_PLACE_WORDS = frozenset(
    [
        "road",
        "street",
        "avenue",
        "lane",
        "close",
        "drive",
        "way",
        "crescent",
        "place",
        "gardens",
        "grove",
        "terrace",
        "walk",
        "square",
        "mews",
        "row",
        "rise",
        "parade",
        "court",
        "house",
        "hall",
        "centre",
        "center",
        "hospital",
        "surgery",
        "clinic",
        "school",
        "primary",
        "academy",
        "college",
        "nursery",
        "church",
        "chapel",
        "ward",
        "unit",
        "team",
        "hub",
        "service",
        "services",
        "trust",
        "practice",
        "medical",
        "health",
        "lodge",
        "farm",
        "estate",
        "tower",
        "towers",
        "community",
        "children's",
        "family",
        "university",
        "infant",
        "junior",
        "high",
        "federation",
        "partnership",
        "board",
        "council",
        "police",
    ]
)


# Place words that are also common surnames: a place only after a first name that is an everyday word
# ("Rose Hill", "Hope Park") or before another place word ("Charlie Green Primary").
_SURNAME_PLACE_WORDS = frozenset(["hill", "view", "park", "green", "vale", "wood", "field", "brook", "bank"])
_PLACE_AFTER = re.compile(
    r"\s+(?:primary|school|academy|surgery|road|street|lane|centre|center|house|hall|court|park|"
    r"hospital|clinic|nursery|college|estate|drive|avenue|way|close|practice|medical)\b",
    re.IGNORECASE,
)


def _load_first_names() -> frozenset[str]:
    path = Path(__file__).with_name("data") / "first_names.txt"
    return frozenset(line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines() if line)


@cache
def first_names() -> frozenset[str]:
    """Return the first-name list (lower case), read once: see storage/data/README.md for its source."""
    return _load_first_names()


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of personal data found in a text: its kind and where it is."""

    what: str
    start: int
    end: int


def is_first_name(word: str) -> bool:
    return word.lower().strip("'") in first_names()


def _is_professional(text: str, start: int, end: int, known: set[str], first: str, last: str) -> bool:
    """Tell whether the name at text[start:end] is a professional's: a known user, or next to a job title."""
    if f"{first} {last}".lower() in known or last.lower() in known:
        return True
    return (
        _ROLE_AFTER.match(text, end) is not None
        or _ROLE_BEFORE.search(text[max(0, start - 30) : start]) is not None
    )


def find_names(text: str, known_names: Collection[str]) -> Iterator[Finding]:
    """Yield each person's name in `text` that isn't a professional's (a known user, or next to a job title)."""
    known = {n.lower() for n in known_names}
    for cue in _CUE.finditer(text):
        match = _AFTER_CUE.match(text, cue.end())
        if match is None:
            continue
        word = match.group("name")
        lower = word.lower()
        head = lower.split("-")[0]
        if lower in known or lower in _PLACE_WORDS or head in _PLACE_WORDS:
            continue
        # After "called", "named" or "known as" any capitalised word is a name, listed or not ("Zaylee").
        is_naming = re.search(r"(?:called|named|as|aka)\W*$", text[: match.start("name")], re.IGNORECASE)
        is_listed = is_first_name(head) and (word[0].isupper() or head not in WORD_NAMES)
        if cue.group(0).lower() == "partner" and not word[0].isupper():
            continue  # "partner agency", "partner's view": only a capitalised name after "partner"
        if is_listed or (is_naming is not None and word[0].isupper()):
            pair = _NAME_PAIR.match(text, match.start("name"))
            if pair is not None and _is_professional(
                text, pair.start(), pair.end(), known, pair.group("first"), pair.group("last")
            ):
                continue
            yield Finding(NAME, match.start("name"), match.end("name"))
    for match in _BEFORE_AGE.finditer(text):
        group = "name" if match.group("name") else "name2"
        if is_first_name(match.group(group)) and match.group(group).lower() not in known:
            yield Finding(NAME, match.start(group), match.end(group))
    for match in _NAME_PAIR.finditer(text):
        first, last = match.group("first"), match.group("last")
        if not is_first_name(first.split("-")[0]) or last.lower() in _PLACE_WORDS:
            continue
        # "Charlie Green" is a person; "Rose Hill" and "Grace Green" read as places.
        if last.lower() in _SURNAME_PLACE_WORDS and (
            first.lower() in WORD_NAMES or _PLACE_AFTER.match(text, match.end()) is not None
        ):
            continue
        if last.lower() in first_names() and last.lower() in WORD_NAMES:
            continue
        if _is_professional(text, match.start(), match.end(), known, first, last):
            continue
        yield Finding(NAME, match.start(), match.end())
