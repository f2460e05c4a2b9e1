"""How practitioners actually type personal data: names without cues, titles, families, and odd separators."""

from __future__ import annotations

import pytest

from storage.names import NAME
from storage.privacy import (
    ADDRESS,
    DATE_OF_BIRTH,
    EMAIL,
    NHS_NUMBER,
    NI_NUMBER,
    PHONE,
    find_all_personal_data,
    find_personal_data,
)


@pytest.mark.parametrize(
    "text",
    [
        "Poppy says she does not want to go home",
        "freddie lives with his nan since the fire",
        "callum-jay hart ran off from school at lunch",
        "spoke to Oscar alone in the library",
        "ellie (9) looks after her little brother",
        "baby Olivia's dad has moved back in",
        "shared with: mum (Stacey) and the school nurse",
        "dad's name is Tadeusz, needs an interpreter",
        "Nanna Pat will have them at weekends",
        "Mrs Ackroyd says her daughter is not eating",
        "Mr Adeyemi (dad) asked for a copy",
        "dad mr gary lomas was at the door",
        "core group for the Brindley children on Friday",
        "home visit to Amelia's mum, nobody in",
        "ref FREDDIE-ACKROYD",
        "stepdad Dean Horrocks would not let us in",
        "home visit to Marta Szymańska, no answer",
        "Mrs Łukasik asked for an interpreter",
    ],
)
def test_names_without_a_plain_cue_are_refused(text: str) -> None:
    assert find_personal_data(text) == NAME, text


@pytest.mark.parametrize(
    "text",
    [
        "named GP for safeguarding to advise",
        "called LADO for advice",
        "spoke to Priya about the wrong number",
        "Priya said she will call back after the strategy meeting",
        "Will Kerr is the deputy DSL at Ashgrove Academy",
        "Mrs Shah (DSL) will attend",
        "the Early Help family hub will lead",
        "Summer holidays start on Friday",
        "ref NB-2026-00123",
    ],
)
def test_professionals_job_titles_and_words_pass(text: str) -> None:
    assert find_personal_data(text, known_names={"priya shah"}) is None, text


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("NI number QQ-12-34-56-C", NI_NUMBER),
        ("ni no. qq123456c", NI_NUMBER),
        ("NINO AB-12-34-56-C", NI_NUMBER),
        ("DOB 03 04 2019", DATE_OF_BIRTH),
        ("b. 17/03/2018", DATE_OF_BIRTH),
        ("moved to 4 Larch Court, Ashgrove", ADDRESS),
        ("now at 103 Kingsway", ADDRESS),
        ("new mob 07700.900.455", PHONE),
        ("landline 0161.496.0123", PHONE),
        ("email kelly dot smith at example dot org", EMAIL),
        ("write to jordan.s at example.net", EMAIL),
        ("nan's email is pauline_1952@example.org", EMAIL),
    ],
)
def test_other_kinds_in_the_ways_people_type_them(text: str, what: str) -> None:
    assert find_personal_data(text, known_contacts={"duty@example.org"}) == what, text


def test_two_nhs_numbers_typed_together_are_both_found() -> None:
    found = find_all_personal_data("twins 9434765919 4010232137")
    assert [f.what for f in found].count(NHS_NUMBER) == 2


@pytest.mark.parametrize(
    "text",
    [
        "QQ 12 34 56 C is the example on the form",
        "meeting 03.02.2027 14 in room 2",
        "message at nhs.net",
        "duty@example.org has the referral",
        "born out of a long-running dispute between agencies",
    ],
)
def test_look_alikes_pass(text: str) -> None:
    assert find_personal_data(text, known_contacts={"duty@example.org"}) is None, text
