"""Handing an intent to its handler: parse once, guard its free-text fields once, then run it.

Every typed command and its buttons go through `typed(...)`: the line (or the button's value) is parsed
into the intent, the privacy guard checks exactly the fields declared with `free_text()` before anything
is stored, searched, audited or logged, and only then does the handler see it. A refusal names the kind of
data, says nothing was saved, previews the text with the flagged parts cut out, and offers one press,
"Save without it", which saves the same intent with the cleaned field. Only the cleaned text is kept (in
the person's conversation state) until then; the flagged value is never stored anywhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Generic, TypeVar

from sqlmodel import Session

from handlers.context import HandlerContext
from handlers.errors import personal_data_refusal
from handlers.intents.fields import field_label, free_text_fields, with_field
from handlers.messages import Button, InboundMessage, Reply
from handlers.router import Handler
from handlers.state import get_state, set_state
from storage import audit
from storage.errors import PersonalDataRefused
from storage.privacy import NHS_NUMBER, find_nhs_number, refuse_personal_data

IntentT = TypeVar("IntentT")
SAVE_WITHOUT = "save_without"  # the button, and the conversation state holding the cleaned intent
SAVE_LABEL = "Save without it"
# A refused answer to a question in progress (an escalation rationale, a share? reason): the cleaned
# answer waits in that conversation's own state, so the person keeps their place in it.
SAVE_ANSWER = "save_answer"
CLEANED_ANSWER = "_cleaned_answer"


@dataclass(frozen=True, slots=True)
class Typed(Generic[IntentT]):
    """A typed command: its intent class, how text (or a button's value) becomes one, and its handler."""

    kind: str  # "close": names the pending intent kept for "Save without it"
    cls: type[IntentT]
    parse: Callable[[str], IntentT]
    handle: Callable[[IntentT, HandlerContext], Awaitable[Reply]]


_KINDS: dict[str, Typed[Any]] = {}
_GUARDED: set[Handler] = set()  # the handlers `typed` built: the Dispatcher leaves their text to the guard


_FORM_FREE_TEXT: dict[Handler, frozenset[str]] = {}  # a form handler that guards: its free-text inputs


def guards_form(handler: Handler, inputs: Mapping[str, tuple[str, str]]) -> Handler:
    """Mark a form handler that hands its intent over with `hand_over_form`: the Dispatcher leaves the
    free-text `inputs` ({field: (input id, label)}) to the guard, which can offer "Save without it"."""
    _FORM_FREE_TEXT[handler] = frozenset(input_id for input_id, _ in inputs.values())
    return handler


def form_free_text(handler: Handler) -> frozenset[str]:
    """The input ids of a guarded form handler's free-text fields (empty for any other handler)."""
    return _FORM_FREE_TEXT.get(handler, frozenset())


def is_guarded(handler: Handler) -> bool:
    """Whether `handler` parses its text into an intent and guards it (so it can offer "Save without it")."""
    return handler in _GUARDED


def typed(spec: Typed[IntentT]) -> Handler:
    """Return the router handler for `spec`: the command's arguments, or a button's value, parsed into the
    intent, guarded, and handed to the handler. The handler never sees the line."""
    _KINDS[spec.kind] = spec

    async def run(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        text = (msg.action_value or "") if msg.action else ctx.args
        intent = spec.parse(text)
        # An NHS number split across parsed fields ("front door 943 476 5919" read as team and case
        # reference) is in no one field: look for it in what the free-text fields didn't take.
        rest = text
        for value in free_text_fields(intent).values():
            rest = rest.replace(value, " ") if value else rest
        if find_nhs_number(rest):
            raise PersonalDataRefused(NHS_NUMBER, "message")
        return await hand_over(spec, intent, ctx)

    _GUARDED.add(run)
    return run


def check_free_text(intent: IntentT, session: Session) -> tuple[IntentT, dict[str, PersonalDataRefused]]:
    """Run the one privacy guard over an intent's free-text fields, with its allow-lists (joinup users'
    names, directory contacts). Returns the intent with every flagged field cleaned, and the refusal of
    each flagged field by field name (empty when nothing was found). Typed commands and forms both use
    this, so a typed line and a form agree exactly on what is refused."""
    cleaned, refused = intent, {}
    for name, value in free_text_fields(intent).items():
        try:
            refuse_personal_data(session=session, text=value, field=field_label(intent, name))
        except PersonalDataRefused as found:
            refused[name] = found
            cleaned = with_field(cleaned, name, found.without)
    return cleaned, refused


def guard(intent: object, ctx: HandlerContext) -> tuple[object, PersonalDataRefused] | None:
    """Check an intent's free-text fields (and its other text for NHS numbers) before anything is kept.

    Returns None when it can be used, else the intent with every flagged field cleaned and the refusal
    (about the first field refused). Raises PersonalDataRefused when an NHS number is in a field that
    isn't free text (a team's name, a date): there is nothing sensible to save without it.
    """
    free = free_text_fields(intent)
    for f in fields(intent):  # type: ignore[arg-type]
        value = getattr(intent, f.name)
        if f.name not in free and isinstance(value, str) and find_nhs_number(value):
            raise PersonalDataRefused(NHS_NUMBER, field_label(intent, f.name))
    with ctx.sessions() as session:
        cleaned, refused = check_free_text(intent, session)
    return None if not refused else (cleaned, next(iter(refused.values())))


def _keep_for_saving(
    spec: Typed[Any], cleaned: object, refused: PersonalDataRefused, ctx: HandlerContext
) -> None:
    """Keep only the cleaned intent, for "Save without it", and record the refusal without any text."""
    kept = {k: v for k, v in asdict(cleaned).items()}  # type: ignore[call-overload]
    with ctx.sessions.begin() as session:
        set_state(
            session=session,
            clock=ctx.clock,
            person_id=ctx.person_id,
            flow=SAVE_WITHOUT,
            step=spec.kind,
            data={"kind": spec.kind, "intent": kept},
        )
        # The refusal is recorded without any of the text: only what kind of data, and in which field.
        audit.record(
            session=session,
            at=ctx.clock.now(),
            actor=ctx.actor,
            action="privacy.refused",
            subject=spec.kind,
            data={"what": refused.what, "field": refused.field},
        )


def can_save_without(refused: PersonalDataRefused) -> bool:
    """Whether anything is left of the text once the flagged parts are cut out."""
    return bool(refused.without.replace("[removed]", "").strip(" ,.;:-"))


async def hand_over(spec: Typed[IntentT], intent: IntentT, ctx: HandlerContext) -> Reply:
    """Guard `intent`, then run its handler; a refusal keeps the cleaned intent for "Save without it"."""
    found = guard(intent, ctx)
    if found is None:
        return await spec.handle(intent, ctx)
    cleaned, refused = found
    _keep_for_saving(spec, cleaned, refused, ctx)
    return refusal_reply(refused, can_save=can_save_without(refused))


def field_refusal(refused: PersonalDataRefused, label: str) -> str:
    """A form's error beside a free-text input holding personal data: the kind (never the value), and that
    nothing was saved, in the GOV.UK error message pattern."""
    return (
        f"Remove {refused.what} from {label[:1].lower()}{label[1:]}. Nothing was saved: joinup stores case "
        "references, not personal details"
    )


FormShow = Callable[[Mapping[str, str], Mapping[str, str]], Reply]  # (values replaced, errors) -> the form


def _form_privacy(
    intent: object, ctx: HandlerContext, inputs: Mapping[str, tuple[str, str]]
) -> tuple[dict[str, str], dict[str, str]]:
    """({input id: cleaned text}, {input id: error}) for each free-text input the guard refuses. The form
    is shown again with the cleaned text in that input, so the flagged value is never sent back out."""
    with ctx.sessions() as session:
        _, refused = check_free_text(intent, session)
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, found in refused.items():
        input_id, label = inputs.get(name, (name, field_label(intent, name)))
        values[input_id] = found.without
        errors[input_id] = field_refusal(found, label)
    return values, errors


def refuse_form(
    intent: object,
    ctx: HandlerContext,
    errors: Mapping[str, str],
    *,
    show: FormShow,
    inputs: Mapping[str, tuple[str, str]],
) -> Reply:
    """Show a form refused for its other fields again, with personal data in its free text named too."""
    cleaned, privacy = _form_privacy(intent, ctx, inputs)
    if privacy:
        # Recorded as every refusal is: what kind of form, never any of the text.
        with ctx.sessions.begin() as session:
            audit.record(
                session=session,
                at=ctx.clock.now(),
                actor=ctx.actor,
                action="privacy.refused",
                subject="form",
                data={"fields": sorted(privacy)},
            )
    return show(cleaned, {**privacy, **errors})


async def hand_over_form(
    spec: Typed[IntentT],
    intent: IntentT,
    ctx: HandlerContext,
    *,
    show: FormShow,
    inputs: Mapping[str, tuple[str, str]],
) -> Reply:
    """Guard a submitted form's intent like `hand_over`; a refusal shows the form again
    (`show(cleaned values, errors)`), each flagged input with its error beside it and its cleaned text,
    the cleaned preview, and "Save without it".

    `inputs` names, for each free-text field, the form input it came from and that input's label:
    {"note": ("about", "What it's about")}.
    """
    found = guard(intent, ctx)
    if found is None:
        return await spec.handle(intent, ctx)
    cleaned, refused = found
    _keep_for_saving(spec, cleaned, refused, ctx)
    values, errors = _form_privacy(intent, ctx, inputs)
    said = refusal_reply(refused, can_save=can_save_without(refused))
    return replace(show(values, errors), text=said.text, buttons=said.buttons)


def refusal_reply(refused: PersonalDataRefused, *, can_save: bool) -> Reply:
    """Say what kind of data was found, that nothing was saved, the cleaned preview, and offer the press."""
    text = personal_data_refusal(
        what=refused.what, field=refused.field, without=refused.without, can_save=can_save
    )
    buttons = (Button(SAVE_LABEL, SAVE_WITHOUT, "yes", style="primary"),) if can_save else ()
    return Reply(text=text, buttons=buttons)


def offer_cleaned_answer(ctx: HandlerContext, refused: PersonalDataRefused) -> Reply:
    """Refuse an answer to the question in progress, keeping its cleaned text (only) for one press."""
    can_save = can_save_without(refused)
    if can_save:
        with ctx.sessions.begin() as session:
            state = get_state(session=session, person_id=ctx.person_id)
            if state is None:
                can_save = False
            else:
                set_state(
                    session=session,
                    clock=ctx.clock,
                    person_id=ctx.person_id,
                    flow=state.flow,
                    step=state.step,
                    data={**state.data, CLEANED_ANSWER: refused.without},
                )
    reply = refusal_reply(refused, can_save=can_save)
    return Reply(text=reply.text, buttons=tuple(replace(b, action=SAVE_ANSWER) for b in reply.buttons))


async def save_pending(ctx: HandlerContext, kept: Mapping[str, Any]) -> Reply:
    """Save the intent kept at a refusal, with its cleaned fields (guarded again: never the flagged text)."""
    spec = _KINDS.get(str(kept.get("kind", "")))
    values = kept.get("intent")
    if spec is None or not isinstance(values, dict):
        return Reply(
            text="That note has expired; nothing was saved. Type it again without the personal details."
        )
    intent = spec.cls(**values)
    if guard(intent, ctx) is not None:
        return Reply(
            text="That still holds personal details, so nothing was saved. Type it again without them."
        )
    return await spec.handle(intent, ctx)
