"""The privacy guard against what an attacker or a careless user typed: each was once stored word for word."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from bench.privacy import Note, read_notes, score
from schedules.time.clock import FakeClock
from storage.first_names import select_names
from storage.models import AuditEvent, TrackedItem
from storage.names import first_names
from storage.privacy import (
    ADDRESS,
    DATE_OF_BIRTH,
    EMAIL,
    NAME,
    NHS_NUMBER,
    PHONE,
    find_all_personal_data,
    find_personal_data,
    find_personal_data_in_reference,
    without_personal_data,
)
from storage.redaction import redact
from tests.test_tracking_chat import Chat


@pytest.fixture
def chat(sessions: sessionmaker[Session], clock: FakeClock) -> Chat:
    return Chat(sessions, clock)


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("NHS no. 943.476.5919", NHS_NUMBER),
        ("nhs 943/476/5919", NHS_NUMBER),
        ("ref 943_476_5919", NHS_NUMBER),
        ("NHS 943 - 476 - 5919", NHS_NUMBER),
        ("DOB 2019/04/03", DATE_OF_BIRTH),
        ("DOB 03042019", DATE_OF_BIRTH),
        ("d.o.b. 030419", DATE_OF_BIRTH),
        ("born 20190403", DATE_OF_BIRTH),
        ("aged 7 (DOB 3.4.2019)", DATE_OF_BIRTH),
        ("mum is on name(at)gmail.com", EMAIL),
        ("mail k.smith [at] hotmail [dot] co [dot] uk", EMAIL),
        ("email kelly at gmail dot com", EMAIL),
        ("dad on 0044 7700 900123", PHONE),
        ("dad on +44 (0)7700 900123", PHONE),
        ("gran in Poland +48 601 234 567", PHONE),
        ("aunt 0033 6 12 34 56 78", PHONE),
        ("lives at 12 Acacia Avenue", ADDRESS),
        ("Flat 3, 7 Mill Lane", ADDRESS),
        ("moved to 41 bramble close", ADDRESS),
        ("child Jayden Smith", NAME),
        ("mum Kelly", NAME),
        ("child: jayden", NAME),
        ("baby called Zaylee", NAME),
        ("about Jayden Smith aged 7 at Ashgrove", NAME),
        ("Kelly O'Neill attended", NAME),
        ("sister Priya", NAME),
    ],
)
def test_the_gaps_are_closed(text: str, what: str) -> None:
    assert find_personal_data(text) == what


@pytest.mark.parametrize(
    "text",
    [
        "due icpc from 2026-12-17",
        "ask the school by 12/01/2027",
        "ICPC at 3pm at Ashgrove School",
        "s47 2nd strategy meeting at Ashgrove",
        "left a message with Amy Hughes, health visitor",
        "child protection plan agreed; mum will call back",
        "dad may attend the core group",
        "spoke to the duty social worker at the front door",
        "Early Help Hub to lead; Grace Road surgery to share",
        "passed to Rose Hill Primary DSL",
        "ref MASH/2026/00123 and NB-204518",
        "child in need plan, 2 working days",
        "called the front door on 0161 496 0100",
        "meeting in Court 2 at Northbrook Family Court",
        "the child was seen alone",
        "ICPC 17/12/2026 10am at Ashgrove",
        "review on 2026-12-17 10:00",
        "meeting 03.02.2027 14 in room 2",
    ],
)
def test_ordinary_notes_pass(text: str) -> None:
    known = {"amy hughes"}
    assert find_personal_data(text, known_contacts={"0161 496 0100"}, known_names=known) is None, text


@pytest.mark.parametrize(
    ("ref", "what"),
    [
        ("JAYDEN-SMITH-030419", NAME),
        ("KELLY_SMITH", NAME),
        ("JAYDEN030419", NAME),
        ("943-476-5919", NHS_NUMBER),
        ("NB-2026-00123", None),
        ("MASH-0042", None),
        ("EH/2026/1234", None),
        ("LADO-2026-17", None),
    ],
)
def test_case_references_are_checked_for_names_and_nhs_numbers(ref: str, what: str | None) -> None:
    assert find_personal_data_in_reference(ref) == what


def test_the_redactor_closes_the_same_gaps_and_keeps_a_date_and_hour() -> None:
    line = (
        "at 2026-11-25 20 the sweep ran; NHS 943.476.5919, DOB 03042019, name(at)gmail.com, 0044 7700 900123"
    )
    redacted = redact(line)
    assert "2026-11-25 20" in redacted
    for value in ("943.476.5919", "03042019", "gmail", "900123"):
        assert value not in redacted


def test_a_refusal_preview_cuts_out_every_flagged_part() -> None:
    text = "child Jayden Smith seen at school, DOB 03042019, all well"
    found = find_all_personal_data(text)
    assert {f.what for f in found} >= {NAME, DATE_OF_BIRTH}
    preview = without_personal_data(text, found)
    assert "Jayden" not in preview and "03042019" not in preview and "all well" in preview


def test_the_first_name_list_is_a_library_list_not_a_handful() -> None:
    names = first_names()
    assert len(names) > 5000 and {"jayden", "kelly", "priya", "isla", "mohammed"} <= names
    assert not {"team", "duty", "health", "social", "ashgrove", "northbrook"} & names


async def test_a_referral_note_full_of_personal_data_is_refused_and_not_echoed(chat: Chat) -> None:
    note = "child Jayden Smith, mum Kelly Smith, DOB 2019/04/03, NHS no. 943.476.5919"
    reply = await chat.say("hv.amy", f"refer front door case NB-1 about {note}")
    # Refused by the guard over the note (the most serious kind named first), with a cleaned preview.
    assert reply.text.startswith("That looks like an NHS number.") and "nothing was saved" in reply.text
    for value in ("Jayden", "Kelly", "2019/04/03", "943.476.5919"):
        assert value not in reply.text
    with chat.sessions() as session:
        assert session.exec(select(TrackedItem)).all() == []
        events = json.dumps([e.model_dump(mode="json") for e in session.exec(select(AuditEvent))])
    assert "Jayden" not in events and "943" not in events


async def test_a_name_with_an_age_is_refused_with_a_preview_without_it(chat: Chat) -> None:
    reply = await chat.say(
        "hv.amy", "refer front door case NB-200005 by phone about Jayden Smith aged 7 at Ashgrove"
    )
    assert reply.text.startswith("That looks like a person's name.") and "nothing was saved" in reply.text
    assert "Jayden" not in reply.text and "\u201c[removed] aged 7 at Ashgrove\u201d" in reply.text
    with chat.sessions() as session:
        assert session.exec(select(TrackedItem)).all() == []


async def test_a_name_in_a_case_reference_never_reaches_the_audit_log(chat: Chat) -> None:
    reply = await chat.say("hv.amy", "refer front door case JAYDEN-SMITH-030419")
    assert "looks like a name" in reply.text and "JAYDEN" not in reply.text
    with chat.sessions() as session:
        assert session.exec(select(TrackedItem)).all() == []
        events = json.dumps([e.model_dump(mode="json") for e in session.exec(select(AuditEvent))])
    assert "JAYDEN" not in events.upper()


async def test_a_feedback_reason_with_a_name_dob_and_address_is_refused(chat: Chat) -> None:
    logged = await chat.say("hv.amy", "refer front door case NB-1")
    assert logged.text.startswith("Logged TI-0001")
    reply = await chat.say(
        "mgr.tom", "feedback TI-1 no further action Jayden Smith DOB 03042019 moved to 12 Acacia Avenue"
    )
    assert "looks like a date of birth" in reply.text and "nothing was saved" in reply.text
    with chat.sessions() as session:
        (item,) = session.exec(select(TrackedItem)).all()
    assert item.outcome is None and item.feedback_at is None


async def test_professionals_names_in_a_note_are_allowed(chat: Chat) -> None:
    reply = await chat.say(
        "hv.amy", "refer front door case NB-12 by phone about discussed with Tom Rahman, manager"
    )
    assert reply.text.startswith("Logged TI-0001")
    with chat.sessions() as session:
        (item,) = session.exec(select(TrackedItem)).all()
    assert "Tom Rahman" in item.about


async def test_a_team_office_address_in_a_note_is_allowed_and_a_family_address_is_not(chat: Chat) -> None:
    # The front door's office (its published base) is the council's address, not a family's.
    office = "refer front door case NB-13 by phone about met at 1 Market Street, NB1 1AA"
    reply = await chat.say("hv.amy", office)
    assert reply.text.startswith("Logged TI-0001")
    with chat.sessions() as session:
        (item,) = session.exec(select(TrackedItem)).all()
    assert "1 Market Street, NB1 1AA" in item.about
    # A house on the same street, or another postcode, is still a family's address and refused.
    for home in ("11 Market Street", "NB1 1AB"):
        refused = await chat.say("hv.amy", f"refer front door case NB-14 by phone about lives at {home}")
        assert "nothing was saved" in refused.text and home not in refused.text
    with chat.sessions() as session:
        assert len(session.exec(select(TrackedItem)).all()) == 1


def test_the_list_is_rebuilt_by_rank_from_the_library_table() -> None:
    table = {
        "Jayden": {"rank": {"GB": 870, "US": 1087}},
        "Zbigniew": {"rank": {"PL": 150}},
        "Front": {"rank": {"GH": 7183}},
        "Duty": {"rank": {}},
        "Al-Amin": {"rank": {"BD": 10}},
        "J": {"rank": {"GB": 1}},
    }
    assert select_names(table) == ["Jayden", "Zbigniew"]


def test_the_labelled_set_is_large_balanced_and_holds_out_a_part() -> None:
    notes = read_notes()
    personal = [n for n in notes if n.is_personal]
    assert len(notes) >= 300 and abs(len(personal) - len(notes) / 2) <= 5
    held_out = [n for n in notes if n.split == "held-out"]
    assert len(held_out) >= 60 and {n.is_personal for n in held_out} == {True, False}
    assert {n.split for n in notes} == {"dev", "held-out"}


def test_the_score_counts_misses_and_false_refusals() -> None:
    notes = [
        Note("dev", "personal:name", "child Jayden"),
        Note("dev", "personal:dob", "DOB 03042019"),
        Note("dev", "clean", "ICPC at 3pm"),
        Note("dev", "clean", "Will Kerr"),
    ]
    refused = {"child Jayden": NAME, "DOB 03042019": None, "ICPC at 3pm": None, "Will Kerr": NAME}
    result = score(notes, refused)
    assert result["recall %"] == 50.0 and result["false refusals %"] == 50.0
    assert result["missed"] == ["personal:dob: DOB 03042019"]
