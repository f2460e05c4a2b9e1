"""Typed intents: what a person asks for, parsed once from a typed line or filled in from a form.

The pattern, for every command (add `callback`, `ask` and the rest the same way):

1. **The intent** is a frozen dataclass with typed fields (`handlers/intents/items.py`: `Close(item,
   reason)`). A field a person types in their own words is declared `reason: str = free_text(label=
   "reason")` (`fields.py`); nothing else is free text (item references, dates, teams, methods).
2. **The grammar**: `close_from_text(args)` parses what followed the command word (filler and the
   command word are already gone, `grammar.py`); `close_from_fields(form)` fills the same fields from a
   form or button, each input into its own field. Checks run here, once, naming their field in GOV.UK
   wording ("Enter the item reference, like TI-0042"); item references go through
   `storage.references.parse_item_ref`, case references through `parse_case_ref` (the one rule).
3. **The handler** takes the intent, never the line: `async def close_item(intent: Close, ctx) -> Reply`.
4. **Registration**: `CLOSE = Typed("close", Close, close_from_text, close_item)` and
   `router.command("close", typed(CLOSE), ...)` / `router.action("close", typed(CLOSE))` (`guard.py`). A
   form handler that built and checked its intent calls `hand_over_form(SPEC, intent, ctx, show=..., inputs=...)`
   and is registered with `guards_form(handler, inputs)`: a refused note comes back as the form, the kind of
   data beside its input, the cleaned text in it, and "Save without it". A Slack modal is checked in its
   acknowledgement by the same `check_free_text` (`bot/slack/modal_checks.py`), so typed lines, cards and
   modals refuse exactly the same notes.

`typed`/`hand_over` run the privacy guard over exactly the free-text fields before the handler runs, so
nothing flagged is stored, searched, audited or logged. A refusal names the kind of data, says nothing
was saved, previews the cleaned text and offers "Save without it" (`saving.py`), which saves the same
intent with the cleaned field; only the cleaned intent is kept meanwhile, in the conversation state. An
answer to a question in progress is handled the same way with `offer_cleaned_answer`.
"""
