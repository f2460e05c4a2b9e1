"""Map a search to the safeguarding concerns it is about: phrases, word equivalents and typo tolerance.

A search and every phrase in the taxonomy go through the same steps: lower case, the taxonomy's word
equivalents ("kids" means child, "dv" means domestic abuse), a plain plural rule, and stopwords out. A
search word the taxonomy doesn't use is corrected to its closest taxonomy word when the spelling is close
("fostring" → fostering). A phrase matches when all its words are in the search, in any order, and scores
by how specific it is (generic words such as child or worried count half). The concerns whose best phrase
scores highest win; a less specific concern never rides along on a more specific one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from directory.concerns import Concern, Taxonomy

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "to",
        "in",
        "on",
        "at",
        "is",
        "are",
        "am",
        "i",
        "im",
        "my",
        "we",
        "our",
        "about",
        "with",
        "who",
        "do",
        "does",
        "how",
        "can",
        "someone",
        "somebody",
        "need",
        "needs",
        "want",
        "what",
        "which",
        "contact",
        "call",
        "phone",
        "get",
        "his",
        "her",
        "their",
        "by",
        "been",
        "being",
        "has",
        "have",
        "had",
        "from",
        "this",
        "that",
        "there",
        "very",
        "really",
        "was",
        "were",
        "it",
        "its",
        "they",
        "them",
        "he",
        "she",
        "me",
        "you",
        "your",
        "please",
        "just",
    ]
)
# Words that say little on their own: a phrase made of them is less specific than one that names a harm.
_GENERIC = frozenset(
    [
        "child",
        "parent",
        "baby",
        "adult",
        "worried",
        "worry",
        "concern",
        "home",
        "old",
        "year",
        "risk",
        "help",
        "support",
        "family",
        "person",
        "out",
        "hour",
    ]
)
_MIN_SCORE = 1.0  # a single specific word ("neglect") is enough; a single generic one ("child") is not
_TYPO_CUTOFF = 85


@dataclass(frozen=True, slots=True)
class ConcernMatch:
    """A concern the search is about, the phrase that matched and how specific it was."""

    concern: Concern
    phrase: str
    score: float


@dataclass(frozen=True, slots=True)
class _Phrase:
    words: frozenset[str]
    weight: float
    concern: int
    text: str


class ConcernMatcher:
    """The taxonomy's phrases, ready to match searches against."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        multi = sorted((k for k, _ in taxonomy.words if " " in k or "-" in k), key=len, reverse=True)
        self._multi = {_plain(k): _plain(v) for k, v in taxonomy.words if k in multi}
        self._multi_pattern = (
            re.compile(r"\b(" + "|".join(re.escape(_plain(k)) for k in multi) + r")\b") if multi else None
        )
        self._single = {k: _plain(v) for k, v in taxonomy.words if " " not in k and "-" not in k}
        self._phrases: list[_Phrase] = []
        self._by_word: dict[str, list[int]] = defaultdict(list)
        for position, concern in enumerate(taxonomy.concerns):
            for said in concern.says:
                canonical = frozenset(self.canonical(said, correct=False))
                if not canonical:
                    continue
                index = len(self._phrases)
                weight = sum(0.5 if word in _GENERIC else 1.0 for word in canonical)
                self._phrases.append(_Phrase(canonical, weight, position, said))
                for word in canonical:
                    self._by_word[word].append(index)
        self._vocabulary = sorted(self._by_word)
        self._corrections: dict[str, str] = {}
        self._adult = [frozenset(self.canonical(w, correct=False)) for w in taxonomy.adult_words]

    def canonical(self, text: str, *, correct: bool = True) -> list[str]:
        """Return the search words of `text` as the taxonomy spells them."""
        plain = _plain(text)
        if self._multi_pattern is not None:
            plain = self._multi_pattern.sub(lambda m: self._multi[m.group(1)], plain)
        result = []
        for raw in plain.split():
            word = self._single.get(raw) or self._single.get(_singular(raw), raw)
            for part in word.split():
                part = _singular(part)
                if part in _STOPWORDS:
                    continue
                if correct and part not in self._by_word:
                    part = self._correct(part)
                result.append(part)
        return result

    def _correct(self, word: str) -> str:
        if len(word) < 5 or word.isdigit():
            return word
        cached = self._corrections.get(word)
        if cached is None:
            found = process.extractOne(word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=_TYPO_CUTOFF)
            cached = str(found[0]) if found is not None else word
            if len(self._corrections) < 10_000:
                self._corrections[word] = cached
        return cached

    def match(self, text: str) -> list[ConcernMatch]:
        """Return the most specific concerns `text` is about (empty when none is confident)."""
        words = set(self.canonical(text))
        best: dict[int, tuple[float, str]] = {}
        for index in {i for word in words for i in self._by_word.get(word, ())}:
            phrase = self._phrases[index]
            if phrase.words <= words and phrase.weight > best.get(phrase.concern, (0.0, ""))[0]:
                best[phrase.concern] = (phrase.weight, phrase.text)
        if not best:
            return []
        top = max(score for score, _ in best.values())
        if top < _MIN_SCORE:
            return []
        concerns = self.taxonomy.concerns
        return [
            ConcernMatch(concern=concerns[position], phrase=text_, score=score)
            for position, (score, text_) in sorted(best.items())
            if score >= top - 1e-9
        ]

    def is_about_adult(self, text: str) -> bool:
        """Tell whether a search says it is about an adult ("elderly man", "vulnerable adult")."""
        words = set(self.canonical(text, correct=False))
        return any(adult and adult <= words for adult in self._adult)


def _plain(text: str) -> str:
    lowered = text.lower().replace("’", "'").replace("‘", "'")
    lowered = re.sub(r"'s\b|'", "", lowered)
    return " ".join(_WORD.findall(lowered))


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_matchers: dict[str, ConcernMatcher] = {}


def matcher_for(taxonomy: Taxonomy) -> ConcernMatcher:
    """Return the matcher for a taxonomy (built once per taxonomy version)."""
    found = _matchers.get(taxonomy.sha256)
    if found is None:
        if len(_matchers) > 8:
            _matchers.clear()
        found = _matchers[taxonomy.sha256] = ConcernMatcher(taxonomy)
    return found
