"""The one case-reference rule: what passes, what is refused, and that a refusal says what a reference is."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.errors import InvalidInput, PersonalDataRefused
from storage.privacy import looks_like_name
from storage.references import (
    CASE_REF_SHAPE,
    MAX_CASE_REF,
    CaseRef,
    is_case_ref,
    parse_case_ref,
    parse_escalation_ref,
    parse_item_ref,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "text", ["ED-12345", "NB-204518", "CP/2026/0042", "nb-2026-0999", "MASH_2026.7", "s47-12"]
)
def test_agency_references_are_accepted(text: str) -> None:
    ref = parse_case_ref(text)
    assert ref == text.upper() and isinstance(ref, CaseRef)


@pytest.mark.parametrize("text", ["Jane", "Jane Doe", "JAYDEN-SMITH", "SMITH2026", "Jayden-7", "front door"])
def test_a_name_is_refused_and_the_refusal_says_what_a_reference_looks_like(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_case_ref(text)
    assert refused.value.field == "case_ref"
    assert "looks like a name" in refused.value.problem
    assert CASE_REF_SHAPE in refused.value.problem
    assert text not in refused.value.problem  # a name is never echoed back


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "Enter the case reference"),
        ("NB-", "isn't a case reference"),  # no digit
        ("NB 204518", "isn't a case reference"),  # a space
        ("NB-" + "1" * 40, "at most 40 characters"),
        ("TI-0042", "one of joinup's own references"),
        ("NB#204518", "isn't a case reference"),
    ],
)
def test_other_refusals_explain_the_rule(text: str, said: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_case_ref(text)
    assert said in refused.value.problem and CASE_REF_SHAPE in refused.value.problem


def test_command_words_are_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_case_ref("feedback", reserved_words={"feedback", "refer"})
    assert "'feedback' is a command word" in refused.value.problem


def test_an_nhs_number_is_refused_as_personal_data() -> None:
    with pytest.raises(PersonalDataRefused):
        parse_case_ref("9434765919")
    assert not is_case_ref("9434765919")


def test_an_areas_own_prefixes_are_never_names() -> None:
    assert looks_like_name("LADO-2026-1")
    assert not looks_like_name("LADO-2026-1", reference_prefixes=("lado",))
    assert parse_case_ref("LADO-2026-1", prefixes=("LADO",)) == "LADO-2026-1"
    assert not is_case_ref("LADO-2026-1")  # not one of the defaults


def test_item_and_escalation_references() -> None:
    assert [parse_item_ref(t) for t in ("TI-42", "ti0042", " TI-0042 ", "NB-1")] == ["TI-0042"] * 3 + [None]
    assert [parse_escalation_ref(t) for t in ("ES-7", "es0007", "TI-7")] == ["ES-0007", "ES-0007", None]


@given(st.text(max_size=60))
def test_whatever_is_accepted_keeps_to_the_rule(text: str) -> None:
    if not is_case_ref(text):
        return
    ref = parse_case_ref(text)
    assert len(ref) <= MAX_CASE_REF and " " not in ref and any(ch.isdigit() for ch in ref)
    assert set(ref) <= set(string.ascii_uppercase + string.digits + "/-_.")
    assert not looks_like_name(
        ref, reference_prefixes=("NB", "ED", "CP", "MASH", "CIN", "CLA", "LAC", "EHA", "CSC")
    )


@given(
    prefix=st.sampled_from(["NB", "ED", "CP", "MASH"]),
    number=st.integers(min_value=0, max_value=10**9 - 1),  # ten digits may be an NHS number
    separator=st.sampled_from(["-", "/", "_", "."]),
)
def test_prefixed_numbers_always_pass(prefix: str, number: int, separator: str) -> None:
    text = f"{prefix}{separator}{number}"
    assert parse_case_ref(text) == text


def test_grep_finds_one_case_reference_pattern() -> None:
    # The case-reference character class appears once in the code: in storage/references.py.
    pattern = re.compile(r"A-Za-z0-9/_")
    found = [
        str(path.relative_to(ROOT))
        for package in ("handlers", "schedules", "storage", "directory", "bot")
        for path in (ROOT / package).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == ["storage/references.py"]
