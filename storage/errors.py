"""Domain errors. They carry data, never wording: handlers/errors.py phrases them for people."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can cause and fix."""


class NotFound(DomainError):
    """Something the user named does not exist (a case reference, an item, a team)."""

    def __init__(self, kind: str, key: str, *, hint: str = "") -> None:
        super().__init__(f"{kind} not found: {key}")
        self.kind = kind
        self.key = key
        self.hint = hint


class NotAllowed(DomainError):
    """The person may not do this."""

    def __init__(self, action: str, *, reason: str = "") -> None:
        super().__init__(f"not allowed: {action}")
        self.action = action
        self.reason = reason


class InvalidInput(DomainError):
    """A value the user typed can't be used; `problem` says why in plain words."""

    def __init__(self, field: str, problem: str, *, example: str = "") -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
        self.example = example


class WrongState(DomainError):
    """The thing exists but can't change this way now (e.g. acknowledging a closed item)."""

    def __init__(self, kind: str, key: str, state: str, wanted: str) -> None:
        super().__init__(f"{kind} {key} is {state}; can't {wanted}")
        self.kind = kind
        self.key = key
        self.state = state
        self.wanted = wanted


class PersonalDataRefused(DomainError):
    """Free text contains something that looks like personal data (an NHS number, a postcode, ...)."""

    def __init__(self, what: str, field: str = "text", without: str = "") -> None:
        super().__init__(f"personal data refused: {what} in {field}")
        self.what = what
        self.field = field
        # The text with every flagged part cut out, for the "save it without that part" preview; never logged.
        self.without = without
