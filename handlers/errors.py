"""One error mapper: domain errors become friendly replies that say what to do next."""

from __future__ import annotations

import logging

from handlers.messages import Reply
from storage.errors import InvalidInput, NotAllowed, NotFound, PersonalDataRefused, WrongState
from storage.privacy import NHS_NUMBER, find_all_personal_data, without_personal_data

log = logging.getLogger(__name__)

UNEXPECTED = "Something went wrong on our side; nothing you entered was lost. Try again in a few minutes."


def personal_data_refusal(*, what: str, field: str, without: str, can_save: bool = False) -> str:
    """Say what kind of personal data was found (never the value), that nothing was saved, and what the
    text would read without it, so the person can save that (one press) or send it instead of retyping."""
    text = (
        f"That looks like {what}. joinup stores case references, not personal details, so nothing was saved."
    )
    if without.replace("[removed]", "").strip(" ,.;:-"):
        then = (
            "Press Save without it to save it that way." if can_save else "Send it again that way to save it."
        )
        return f"{text} Without it, the {field} would read: \u201c{without}\u201d. {then}"
    return f"{text} Please rephrase without it."


def nhs_refusal(text: str) -> str:
    """The refusal for an NHS number in a message, in the guard's words: the kind of data, that nothing was
    saved, and the message without it."""
    found = [f for f in find_all_personal_data(text) if f.what == NHS_NUMBER]
    return personal_data_refusal(
        what=NHS_NUMBER, field="message", without=without_personal_data(text, found) if found else ""
    )


def sentence(text: str) -> str:
    """Make a phrase a sentence: a capital first letter and a full stop (or ? or !) at the end."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".?!:" else text + "."


def to_reply(error: Exception, *, error_id: str = "") -> Reply:
    """Phrase an error for the person who caused it."""
    match error:
        case NotFound(kind=kind, key=key, hint=hint):
            return Reply(text=f"I can't find {kind} {key}. {hint or 'Type mine to see your open items.'}")
        case NotAllowed(action=action, reason=reason):
            why = f" {reason}" if reason else ""
            return Reply(text=f"You can't {action}.{why} Ask your manager if you think you should.")
        case InvalidInput(problem=problem, example=example):
            return Reply(text=sentence(problem) + (f" For example: {example}" if example else ""))
        case WrongState(kind=kind, key=key, state=state, wanted=wanted):
            return Reply(
                text=f"{kind.capitalize()} {key} is {state}, so you can't {wanted}. Type mine to see it."
            )
        case PersonalDataRefused(what=what, field=field, without=without):
            return Reply(text=personal_data_refusal(what=what, field=field, without=without))
        case _:
            suffix = f" (reference {error_id})" if error_id else ""
            return Reply(text=UNEXPECTED + suffix)
