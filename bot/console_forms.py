"""Filling in a form in the console: one question per line, since a terminal has no modal dialogs."""

from __future__ import annotations

from handlers.messages import Form, FormInput

SKIP = "-"


class FormFiller:
    """Collects a form's answers one input at a time."""

    def __init__(self, form: Form) -> None:
        self.form = form
        self.values: dict[str, str] = {i.id: i.initial for i in form.inputs if i.initial}
        # A form sent back with errors asks again only for the refused inputs; the rest keep their answers.
        refused = [i for i in form.inputs if i.error]
        self.asking: list[FormInput] = refused or list(form.inputs)
        self.position = 0

    @property
    def current(self) -> FormInput:
        """Return the input being asked for."""
        return self.asking[self.position]

    @property
    def is_complete(self) -> bool:
        """Tell whether every input has been asked."""
        return self.position >= len(self.asking)

    def prompt(self) -> str:
        """Ask for the current input (saying first why its last answer was refused)."""
        item = self.current
        parts = [f"{item.error}." if item.error else "", f"{item.label}?"]
        parts = [part for part in parts if part]
        if item.choices:
            parts.append(
                "Choose: " + "  ".join(f"[{n}] {c.label}" for n, c in enumerate(item.choices, start=1))
            )
        if item.placeholder:
            parts.append(f"For example: {item.placeholder}.")
        if item.initial and not item.error:
            parts.append(f"Press enter to keep '{item.initial}'.")
        elif not item.is_required:
            parts.append(f"Type {SKIP} to skip.")
        return " ".join(parts)

    def answer(self, text: str) -> str:
        """Take the answer to the current input; return a problem to show, or '' when it was accepted."""
        item = self.current
        text = text.strip()
        if not text and item.initial and not item.error:
            text = item.initial
        if text == SKIP and not item.is_required:
            text = ""
        elif not text:
            return "This one is needed." if item.is_required else f"Type {SKIP} to skip it."
        if item.choices and text:
            chosen = self._choice(text)
            if chosen is None:
                return "Choose one of the numbers shown."
            text = chosen
        self.values[item.id] = text
        self.position += 1
        return ""

    def _choice(self, text: str) -> str | None:
        choices = self.current.choices
        if text.isdigit() and 1 <= int(text) <= len(choices):
            return choices[int(text) - 1].value
        for choice in choices:
            if text.lower() in (choice.label.lower(), choice.value.lower()):
                return choice.value
        return None
