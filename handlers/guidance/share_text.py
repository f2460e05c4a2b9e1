"""The words of the share? walkthrough: options, the words people type for them, and the lawful bases.

Summarised in our own words from "Information sharing: advice for practitioners providing safeguarding
services" (DfE, 2024), UK GDPR and the Data Protection Act 2018.
"""

from __future__ import annotations

from rapidfuzz import fuzz, process

from storage.errors import InvalidInput

# key → (button label, other words people type)
Options = dict[str, tuple[str, tuple[str, ...]]]

PURPOSES: Options = {
    "protect": (
        "To protect a child from harm",
        ("protect", "harm", "risk", "safeguarding", "danger", "abuse"),
    ),
    "support": (
        "To get a family the right support",
        ("support", "help", "early help", "needs", "family support"),
    ),
    "asked": ("Another professional asked me", ("asked", "request", "requested", "they asked", "asked me")),
    "unsure": ("I'm not sure", ("not sure", "unsure", "dont know", "don't know", "?")),
}

BASES: Options = {
    "public_task": ("Public task, Article 6(1)(e)", ("public task", "6(1)(e)", "6 1 e", "6e", "public")),
    "legal_obligation": (
        "Legal obligation, Article 6(1)(c)",
        ("legal obligation", "6(1)(c)", "6 1 c", "6c", "legal"),
    ),
    "consent": ("Consent", ("consent", "6(1)(a)", "permission")),
    "unsure": ("Not sure", ("not sure", "unsure", "dont know", "don't know", "?")),
}

SPECIAL: Options = {
    "yes": ("Yes", ("yes", "y", "health", "mental health", "medical", "special category")),
    "no": ("No", ("no", "n", "none")),
    "unsure": ("Not sure", ("not sure", "unsure", "dont know", "don't know", "?")),
}

OPENNESS: Options = {
    "will_tell": ("Yes, I'll tell them", ("yes", "y", "will tell", "tell them", "yes i will")),
    "told": ("I've already told them", ("already", "told", "already told", "done")),
    "not_safe": (
        "No: it would increase the risk",
        ("no", "n", "risk", "not safe", "unsafe", "increase risk"),
    ),
}

DECISIONS: Options = {
    "shared": ("Share", ("share", "shared", "yes", "y", "i shared", "will share", "i will share")),
    "not_shared": (
        "Not share",
        ("not share", "not shared", "no", "n", "dont share", "don't share", "won't share"),
    ),
}

BASIS_TEXT = (
    "Consent is usually not the right lawful basis in safeguarding: don't ask for consent you would "
    "override anyway. Most agencies rely on UK GDPR Article 6(1)(e), public task, or 6(1)(c), legal "
    "obligation. Which basis does your agency use?"
)
SPECIAL_TEXT = (
    "Does it include health information or other special category data (such as ethnicity, religion or "
    "sexual life)? If so you also need an Article 9 condition: usually 9(2)(g) with the Data Protection "
    "Act 2018, Schedule 1 paragraph 18 (safeguarding of children and individuals at risk), or 9(2)(h) for "
    "health and social care."
)
PROPORTIONATE = (
    "Share only what the other person needs: necessary, proportionate, relevant, adequate, accurate, "
    "timely and secure. Is what you plan to share all of that?"
)

_BASIS_WORDS = {
    "public_task": "UK GDPR Art 6(1)(e) public task",
    "legal_obligation": "UK GDPR Art 6(1)(c) legal obligation",
    "consent": "UK GDPR Art 6(1)(a) consent",
    "unsure": "not sure (ask the DPO)",
}
_SPECIAL_WORDS = {
    "yes": " + Art 9(2)(g), DPA 2018 Sch 1 para 18 safeguarding",
    "unsure": " + special category not sure",
}


def lawful_basis(basis: str, special: str) -> str:
    """Write the lawful basis recorded with a decision, like 'UK GDPR Art 6(1)(e) public task + Art 9(2)(g)…'."""
    return _BASIS_WORDS.get(basis, "not given") + _SPECIAL_WORDS.get(special, "")


def pick(options: Options, value: str, *, what: str) -> str:
    """Return the option key a button value or typed answer means.

    Raises:
        InvalidInput: it matches none of the options.
    """
    text = " ".join(value.lower().replace("’", "'").split()).strip(" .!")
    if text in options:
        return text
    words: dict[str, str] = {}
    for key, (label, others) in options.items():
        words.setdefault(label.lower(), key)
        for word in others:
            words.setdefault(word, key)
    if text in words:
        return words[text]
    if len(text) >= 3:
        best = process.extractOne(text, list(words), scorer=fuzz.ratio, score_cutoff=80)
        if best is not None:
            return words[best[0]]
    labels = " / ".join(label for label, _ in options.values())
    raise InvalidInput("answer", f"I didn't catch {what}. Press a button or type one of: {labels}.")
