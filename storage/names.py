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
    r"aunt|auntie|uncle|cousin|boyfriend|girlfriend|pupil|called|named|known\s+as|aka|yp|cyp|nanna|nannan|"
    r"grandson|granddaughter|niece|nephew|step-?(?:dad|mum|son|daughter|brother|sister)|half-?(?:brother|sister)|"
    r"spoke\s+(?:to|with)|kids\s+are|children\s+are"
)
_CUE = re.compile(rf"\b(?:{_NAME_CUES}|partner)\b", re.IGNORECASE)
# What follows a cue: "'s", punctuation, "is"/"was"/"called"/"known as", then the name itself. A name may be
# hyphenated ("Lily-Mae", "ellie-may").
_NAME_WORD = r"[A-Za-z][a-z']+(?:-[A-Za-z][a-z']+)*|[A-Z][A-Z']+(?:-[A-Z][A-Z']+)*"
_AFTER_CUE = re.compile(
    rf"(?:'s)?[\s:,\-(]*(?:name\s+(?:is|was)\s+|(?:is|was|called|named|known\s+as|aka)\s+)?(?P<name>{_NAME_WORD})",
    re.IGNORECASE,
)
# "Jayden aged 7", "Kelly (32)".
_BEFORE_AGE = re.compile(
    r"\b(?P<name>[A-Za-z][a-z'\-]+)\s*,?\s+(?:aged|age)\s+\d|\b(?P<name2>[A-Za-z][a-z'\-]+)\s+\(\d{1,2}\)"
)
# Two capitalised words, the first a first name: "Jayden Smith", "Kelly O'Neill-Brown", "Marta Szymańska" (a
# surname may hold letters outside A-Z).
_NAME_PAIR = re.compile(
    r"\b(?P<first>[A-Z][a-z']+(?:-[A-Z][a-z']+)*)\s+(?P<last>(?:Mc|Mac|O')?[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž']+(?:-[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž']+)*)\b"
)
# Job titles: a name next to one is a professional's ("Mark Allen, team manager", "DSL Will Kerr").
_ROLE = (
    r"manager|social\s+worker|sw|dsl|deputy\s+dsl|senco|nurse|midwife|health\s+visitor|hv|gp|doctor|dr|"
    r"paediatrician|consultant|officer|teacher|head(?:teacher)?|lead|chair|worker|practitioner|iro|idva|"
    r"coordinator|co-ordinator|advisor|adviser|keyworker|therapist|psychologist|pc|ds|dc|sergeant|inspector|"
    r"director|principal|caseworker|clinician|counsellor|solicitor|lado|admin|administrator|receptionist|secretary|"
    r"clerk|ssw|swm|tm|ptm|dm|dsp|headteacher"
)
_ROLE_AFTER = re.compile(
    rf"\W{{0,3}}(?:(?:is|was|the|our|from|at|a|an|their|deputy|duty|team|named)\s+){{0,3}}"
    rf"(?:(?!\w+(?:ing|ed|s)\s)\w+\s+)?(?:{_ROLE})\b",
    re.IGNORECASE,
)
_ROLE_BEFORE = re.compile(rf"\b(?:{_ROLE})[\s:,]+$", re.IGNORECASE)
_ROLE_WORD = re.compile(rf"(?:{_ROLE}|team|service|agency|school|police)", re.IGNORECASE)
# A title and a surname ("Mrs Ashworth", "mr darren colley"): a parent or relative unless next to a job title.
_TITLED = re.compile(
    r"\b(?:mr|mrs|ms|miss|mx)\.?\s+(?P<name>[A-Za-zÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž'\-]+(?:\s+(?:Mc|Mac|O')?[A-Za-zÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž'\-]+)?)",
    re.IGNORECASE,
)
# "the Ferriday children", "the Smith family": a family's surname.
_FAMILY = re.compile(
    r"\bthe\s+(?P<name>[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž'\-]+)\s+(?:family|families|children|kids|household|siblings|twins|boys|girls)\b"
)
# A first name as a sentence's subject ("Nevaeh says", "theo lives with gran", "jayden-lee fox absconded"), or
# a first name's possessive before a relative ("Chloe's mum").
_SUBJECT_VERBS = (
    r"says|said|told|tells|is|was|has|had|lives|lived|disclosed|discloses|reports|reported|wants|wanted|went|"
    r"goes|absconded|ran|refuses|refused|attends|attended|stays|stayed|came|comes|presented|presents|"
    r"seems|appears|appeared|missed|got|gets|hit|kicked|cried|cries|admitted|alleged|alleges|has\s+been|"
    r"was\s+seen|did|didn't|doesn't|won't|can't|isn't|wasn't"
)
_SUBJECT = re.compile(
    rf"(?:^|(?<=[.;!?]\s)|(?<=[:,]\s))(?P<name>{_NAME_WORD})(?P<last>\s+[A-Za-z][a-z'\-]+)?\s+(?:{_SUBJECT_VERBS})\b"
)
_POSSESSIVE = re.compile(
    rf"\b(?P<name>[A-Za-z][a-z\-]+)'s\s+(?:{_NAME_CUES.split('|called')[0]}|partner|school|teacher)\b",
    re.IGNORECASE,
)
# A name-shaped reference in capitals ("ref ARCHIE-MELLOR").
_CAPS_REFERENCE = re.compile(r"\b[A-Z]{2,}(?:[\-/_][A-Z0-9]{2,})+\b")
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
    names: set[str] = set()
    for file in ("first_names.txt", "first_names_extra.txt"):
        path = Path(__file__).with_name("data") / file
        names.update(line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines() if line)
    return frozenset(names)


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
    known_first = _known_first_names(known)  # "spoke to Nadia" when Nadia Osei is a joinup user
    for cue in _CUE.finditer(text):
        match = _AFTER_CUE.match(text, cue.end())
        if match is None:
            continue
        word = match.group("name")
        lower = word.lower()
        head = lower.split("-")[0]
        if (
            lower in known
            or lower in known_first
            or lower in _PLACE_WORDS
            or head in _PLACE_WORDS
            or _ROLE_WORD.fullmatch(word)
        ):
            continue  # "named GP", "called LADO": a job title, not a name
        # After "called", "named", "known as" or "name is" any capitalised word is a name, listed or not.
        is_naming = re.search(
            r"(?:called|named|as|aka|name\s+is)\W*$", text[: match.start("name")], re.IGNORECASE
        )
        is_listed = is_first_name(head) and (word[0].isupper() or head not in WORD_NAMES or "-" in word)
        if cue.group(0).lower() == "partner" and not word[0].isupper():
            continue  # "partner agency", "partner's view": only a capitalised name after "partner"
        if is_listed or (is_naming is not None and word[0].isupper()):
            pair = _NAME_PAIR.match(text, match.start("name"))
            if pair is not None and _is_professional(
                text, pair.start(), pair.end(), known, pair.group("first"), pair.group("last")
            ):
                continue
            yield Finding(NAME, match.start("name"), match.end("name"))
    yield from _other_names(text, known)
    for match in _BEFORE_AGE.finditer(text):
        group = "name" if match.group("name") else "name2"
        word = match.group(group)
        if (
            is_first_name(word.split("-")[0])
            and word.lower() not in known | known_first
            and (word[0].isupper() or word.lower() not in WORD_NAMES)
        ):
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


def _known_first_names(known: set[str]) -> set[str]:
    return {name.split()[0] for name in known if " " in name}


def _other_names(text: str, known: set[str]) -> Iterator[Finding]:
    """Names without a relative's cue: titles with surnames, families, sentence subjects, references."""
    surnames = {name.split()[-1] for name in known if " " in name}
    known_first = _known_first_names(known)
    for match in _TITLED.finditer(text):
        words = match.group("name").lower().split()
        if words[-1] in surnames or " ".join(words) in known or _ROLE_WORD.fullmatch(words[0]):
            continue
        if _ROLE_AFTER.match(text, match.end()) or _ROLE_BEFORE.search(
            text[max(0, match.start() - 30) : match.start()]
        ):
            continue
        yield Finding(NAME, match.start("name"), match.end("name"))
    for match in _FAMILY.finditer(text):
        word = match.group("name").lower()
        if word not in surnames and word not in _PLACE_WORDS and not _ROLE_WORD.fullmatch(word):
            yield Finding(NAME, match.start("name"), match.end("name"))
    for pattern in (_SUBJECT, _POSSESSIVE):
        for match in pattern.finditer(text):
            word = match.group("name")
            head = word.lower().split("-")[0]
            if not is_first_name(head) or head in known_first or word.lower() in known:
                continue
            if head in WORD_NAMES and (pattern is _SUBJECT or not word[0].isupper()):
                continue  # "Will is ...", "Summer was ...": a sentence's first word is capitalised anyway
            end = (
                match.end("last")
                if "last" in match.groupdict() and match.group("last")
                else match.end("name")
            )
            verb_end = match.end() if pattern is _SUBJECT else end
            if _ROLE_AFTER.match(text, end) or _ROLE_AFTER.match(text, verb_end):
                continue  # "Will Kerr is the deputy DSL"
            yield Finding(NAME, match.start("name"), match.end("name"))
    for match in _CAPS_REFERENCE.finditer(text):
        words = re.split(r"[\-/_]", match.group(0))
        if any(len(w) >= 3 and is_first_name(w) and w.lower() not in WORD_NAMES for w in words):
            yield Finding(NAME, match.start(), match.end())
