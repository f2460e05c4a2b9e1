"""The referral and feedback forms, where a platform has forms (a Teams card; the console asks each input).

Slack draws its own modals for these (with a team picker fed by the directory) but submits the same inputs,
so every platform fills the same `Refer` or `Feedback` intent, field by field.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from handlers.intents.tracking import (
    MAX_NOTE,
    FieldErrors,
    check_feedback,
    check_refer,
    feedback_from_form,
    refer_from_form,
)
from handlers.messages import Choice, Form, FormInput, Reply
from handlers.tracking.words import OUTCOME_WORDS

REFER_FORM = "refer.form"
FEEDBACK_FORM = "feedback.form"
METHOD_CHOICES = (
    ("Phone", "phone"),
    ("Secure email", "secure_email"),
    ("Email", "email"),
    ("Online form or portal", "portal"),
)
ERROR_SUMMARY = "There is a problem with the form. Check the fields marked below."


def refer_form(values: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None) -> Reply:
    """The referral form: which team, the case reference, how, and a short note (with any errors beside them)."""
    values, errors = values or {}, errors or {}
    return Reply(
        text=ERROR_SUMMARY if errors else "Log a referral or call, and I'll track the reply and chase it.",
        form=Form(
            title="Log a referral",
            submit_action=REFER_FORM,
            submit_label="Log it",
            inputs=(
                FormInput(
                    "team",
                    "Which team did you refer to?",
                    placeholder="e.g. front door or health visiting",
                    initial=values.get("team", ""),
                    error=errors.get("team", ""),
                ),
                FormInput(
                    "case_ref",
                    "Case reference",
                    placeholder="Your agency's reference, e.g. NB-204518",
                    initial=values.get("case_ref", ""),
                    error=errors.get("case_ref", ""),
                ),
                FormInput(
                    "method",
                    "How did you refer?",
                    "choice",
                    tuple(Choice(label, value) for label, value in METHOD_CHOICES),
                    initial=values.get("method", ""),
                    error=errors.get("method", ""),
                ),
                FormInput(
                    "about",
                    "What it's about (optional)",
                    "multiline",
                    is_required=False,
                    placeholder="A few words; no names, dates of birth or NHS numbers",
                    initial=values.get("about", "")[:MAX_NOTE],
                    error=errors.get("about", ""),
                ),
            ),
        ),
    )


def feedback_form(
    item: str = "", values: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None
) -> Reply:
    """The feedback form: which item, what came back, and why (needed for no further action)."""
    values, errors = values or {}, errors or {}
    outcomes = tuple(Choice(words.capitalize(), key) for key, words in OUTCOME_WORDS.items())
    return Reply(
        text=ERROR_SUMMARY if errors else "Record what came of a referral, and I'll close it.",
        form=Form(
            title="Record feedback",
            submit_action=FEEDBACK_FORM,
            submit_label="Record it",
            inputs=(
                FormInput(
                    "item",
                    "Which item?",
                    placeholder="e.g. TI-0042",
                    initial=values.get("item", item),
                    error=errors.get("item", ""),
                ),
                FormInput(
                    "outcome",
                    "What came back?",
                    "choice",
                    outcomes,
                    initial=values.get("outcome", ""),
                    error=errors.get("outcome", ""),
                ),
                FormInput(
                    "reason",
                    "Reasons or next steps (optional)",
                    "multiline",
                    is_required=False,
                    placeholder="Needed for no further action",
                    initial=values.get("reason", "")[:MAX_NOTE],
                    error=errors.get("reason", ""),
                ),
            ),
        ),
    )


def form_errors(
    action: str,
    form: Mapping[str, str],
    *,
    prefixes: Collection[str],
    reserved_words: Collection[str] = (),
    team_is_choice: bool = False,
) -> dict[str, str]:
    """Check a submitted referral or feedback form without the database; {input id: problem}.

    Slack wants these in the acknowledgement of a modal, so they are shown beside the inputs at once.
    Personal data in a free-text input is the privacy guard's to find (it needs the database's allow-lists).
    """
    try:
        if action == REFER_FORM:
            check_refer(
                refer_from_form(form),
                prefixes=prefixes,
                reserved_words=reserved_words,
                team_is_choice=team_is_choice,
            )
        elif action == FEEDBACK_FORM:
            check_feedback(feedback_from_form(form))
    except FieldErrors as problems:
        return problems.errors
    return {}
