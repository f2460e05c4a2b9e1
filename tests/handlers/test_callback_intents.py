"""The callback intent: each form input fills its own field, the typed grammar fills the same fields, and
a time is either read as a clock time or refused for the "by" field, never anything else."""

from __future__ import annotations

from datetime import time

from hypothesis import given
from hypothesis import strategies as st

from handlers.intents.callbacks import (
    Callback,
    callback_from_fields,
    callback_from_text,
    person_field,
    split_by,
)
from handlers.intents.fields import free_text_fields
from handlers.intents.requests import ask_from_fields, ask_from_text
from handlers.intents.tracking import one_line
from storage.errors import InvalidInput
from tests.handlers.test_intents import VALUES

CALLBACK_FIELDS = ("team", "person", "case_ref", "by", "item")


@given(values=st.tuples(*(VALUES for _ in CALLBACK_FIELDS)))
def test_each_callback_input_lands_in_its_own_field(values: tuple[str, ...]) -> None:
    form = dict(zip(CALLBACK_FIELDS, values, strict=True))
    intent = callback_from_fields(form)
    alone = {name: callback_from_fields({name: value}) for name, value in form.items()}
    # A field's content is decided by its own input alone: nothing typed elsewhere reaches it.
    assert intent.team == alone["team"].team == one_line(form["team"])
    assert intent.case_ref == alone["case_ref"].case_ref == form["case_ref"].strip()
    assert intent.by == alone["by"].by == one_line(form["by"])
    assert intent.person == alone["person"].person
    assert intent.item == alone["item"].item
    # A person is only ever a joinup handle or a Slack mention, never a typed name.
    assert intent.person in ("", person_field(form["person"].strip()))
    assert " " not in intent.person


@given(text=st.text(max_size=60))
def test_a_by_phrase_is_a_clock_time_or_refused_for_by(text: str) -> None:
    try:
        at, rest = split_by(text)
    except InvalidInput as refused:
        assert refused.field == "by"
        return
    assert at is None or isinstance(at, time)
    assert len(rest) <= len(text)


@given(text=st.text(max_size=80))
def test_the_typed_grammar_only_refuses_with_a_named_field(text: str) -> None:
    try:
        intent = callback_from_text(text)
    except InvalidInput as refused:
        assert refused.field in {"team", "case_ref", "by"}
        return
    assert isinstance(intent, Callback)
    assert intent.item or intent.case_ref


@given(
    hour=st.integers(min_value=1, max_value=12),
    minute=st.sampled_from([None, 0, 15, 30, 45]),
    pm=st.booleans(),
)
def test_twelve_hour_times_read_as_the_clock_says(hour: int, minute: int | None, pm: bool) -> None:
    said = f"{hour}{'' if minute is None else f':{minute:02d}'}{'pm' if pm else 'am'}"
    intent = callback_from_text(f"from front door case NB-204519 by {said}")
    assert (intent.team, intent.case_ref, intent.by) == ("front door", "NB-204519", said)
    at, rest = split_by(intent.by)
    assert rest == "" and at == time(hour % 12 + (12 if pm else 0), minute or 0)


def test_a_mention_or_handle_is_a_person_and_a_name_is_a_team_to_look_up() -> None:
    assert callback_from_text("<@U0JOBENNETT> case NB-1").person == "slack:U0JOBENNETT"
    assert callback_from_text("@sw.jo case NB-1 by 4pm").person == "sw.jo"
    named = callback_from_text("Jane Smith case NB-1")
    assert (named.person, named.team) == ("", "Jane Smith")  # looked up as a team, refused if none


ASK_FIELDS = ("team", "case_ref", "what", "by", "meeting", "meeting_on")


@given(values=st.tuples(*(VALUES for _ in ASK_FIELDS)))
def test_each_ask_input_lands_in_its_own_field(values: tuple[str, ...]) -> None:
    form = dict(zip(ASK_FIELDS, values, strict=True))
    intent = ask_from_fields(form)
    alone = {name: ask_from_fields({name: value}) for name, value in form.items()}
    assert intent.team == alone["team"].team == one_line(form["team"])
    assert intent.case_ref == alone["case_ref"].case_ref == form["case_ref"].strip()
    assert intent.what == alone["what"].what == one_line(form["what"])
    assert intent.by == alone["by"].by == one_line(form["by"])
    assert intent.meeting == alone["meeting"].meeting == one_line(form["meeting"])
    assert intent.meeting_on == alone["meeting_on"].meeting_on == one_line(form["meeting_on"])
    # Only what was asked for is free text: the privacy guard checks it and nothing else.
    assert free_text_fields(intent) == {"what": intent.what}


@given(text=st.text(max_size=80))
def test_the_ask_grammar_only_refuses_with_a_named_field(text: str) -> None:
    try:
        intent = ask_from_text(text)
    except InvalidInput as refused:
        assert refused.field in {"team", "case_ref", "what", "by"}
        return
    assert intent.team and intent.case_ref and intent.what and (intent.by or intent.meeting_on)


def test_a_meeting_and_its_date_or_a_date_alone() -> None:
    meeting = ask_from_text("GP safeguarding case NB-204519 for a health report by icpc on 12/01/2027")
    assert (meeting.team, meeting.case_ref, meeting.what) == (
        "GP safeguarding",
        "NB-204519",
        "a health report",
    )
    assert (meeting.by, meeting.meeting, meeting.meeting_on) == ("", "icpc", "12/01/2027")
    dated = ask_from_text("GP safeguarding case NB-204519 for a health report by 14/01/2027")
    assert (dated.by, dated.meeting) == ("14/01/2027", "")
