"""Personal data in free text is refused (each pattern), and the words of the trade are not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from storage.errors import PersonalDataRefused
from storage.models import Agency, ContactRoute, Person, Team
from storage.privacy import (
    DATE_OF_BIRTH,
    EMAIL,
    NHS_NUMBER,
    NI_NUMBER,
    PHONE,
    POSTCODE,
    find_nhs_number,
    find_personal_data,
    is_valid_nhs_number,
    refuse_personal_data,
)
from storage.redaction import redact


def nhs_number(stem: str) -> str:
    """Build a valid NHS number from nine digits with the modulus-11 rule (never a real one on purpose)."""
    total = sum(int(d) * w for d, w in zip(stem, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    assert check != 10, "this stem has no valid check digit; pick another"
    return stem + str(check)


VALID = nhs_number("999000012")  # the 999 range is reserved for testing
INVALID = VALID[:9] + str((int(VALID[9]) + 1) % 10)


def test_the_check_digit_rule() -> None:
    assert is_valid_nhs_number(VALID)
    assert not is_valid_nhs_number(INVALID)
    assert not is_valid_nhs_number("12345")


@pytest.mark.parametrize(
    "text",
    [
        f"NHS no {VALID}",
        f"nhs {VALID[:3]} {VALID[3:6]} {VALID[6:]} please",
        f"{VALID[:3]}-{VALID[3:6]}-{VALID[6:]}",
        f"NHS{VALID}",
    ],
)
def test_valid_nhs_numbers_are_refused(text: str) -> None:
    assert find_nhs_number(text)
    assert find_personal_data(text) == NHS_NUMBER


def test_ten_random_digits_are_not_an_nhs_number() -> None:
    assert not find_nhs_number(f"ref {INVALID}")


@pytest.mark.parametrize(
    "text",
    [
        "DOB 03/04/2019",
        "dob: 3.4.19",
        "D.O.B. 03-04-2019",
        "date of birth 2019-04-03",
        "born 3rd April 2019",
        "born on 3 Apr 2019",
        "Born: April 3rd, 2019",
        "born in April 2019",
        "03/04/2019 (DOB)",
        "birthday 12 June 2020",
    ],
)
def test_a_date_of_birth_is_refused(text: str) -> None:
    assert find_personal_data(text) == DATE_OF_BIRTH


@pytest.mark.parametrize(
    "text",
    [
        "ICPC on 03/12/2026, strategy held 25/11/2026",
        "newborn, seen 3 April 2026",
        "asked for the DOB, not given",
        "born 2 weeks early",
    ],
)
def test_dates_that_are_not_a_date_of_birth_pass(text: str) -> None:
    assert find_personal_data(text) is None


@pytest.mark.parametrize(
    "text", ["lives at NB4 7XY", "nb4 7xy", "postcode NB47XY", "W1A 0AX area", "EC1A 1BB"]
)
def test_a_full_postcode_is_refused(text: str) -> None:
    assert find_personal_data(text) == POSTCODE


@pytest.mark.parametrize(
    "text",
    [
        "s47 2nd strategy discussion",
        "ICPC2 3pm Tuesday",
        "level 2 due s17 3wd",
        "the NB4 area",  # an outward code alone is a district, not an address
    ],
)
def test_trade_words_are_not_postcodes(text: str) -> None:
    assert find_personal_data(text) is None


@pytest.mark.parametrize("text", ["NI number AB 12 34 56 C", "ab123456c", "nino jz 11 22 33 a"])
def test_a_national_insurance_number_is_refused(text: str) -> None:
    assert find_personal_data(text) == NI_NUMBER


@pytest.mark.parametrize("text", ["GB123456A", "QQ 12 34 56 C"])
def test_never_issued_ni_prefixes_are_not_refused(text: str) -> None:
    assert find_personal_data(text) is None


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("mum's email is parent@example.org", EMAIL),
        ("call 0161 496 0123", PHONE),
        ("mobile 07700 900123", PHONE),
        ("(0161) 496 0999 after 5", PHONE),
        ("+44 7700 900456", PHONE),
        ("+44 (0)161 496 0001", PHONE),
    ],
)
def test_contacts_not_in_the_directory_are_refused(text: str, what: str) -> None:
    assert find_personal_data(text) == what


def test_directory_contacts_are_allowed() -> None:
    known = ["frontdoor@northbrook.example.org", "0161 496 0100"]
    assert find_personal_data("emailed FrontDoor@northbrook.example.org", known_contacts=known) is None
    assert find_personal_data("rang 01614960100, left message", known_contacts=known) is None
    assert find_personal_data("rang +44 161 496 0100", known_contacts=known) is None
    assert find_personal_data("rang 0161 496 0101", known_contacts=known) == PHONE


@pytest.mark.parametrize(
    "text",
    [
        "NB-2026-00123",
        "NB-204518",
        "re NB-2026-00123 and NB-204518: strategy on Tuesday 1 December",
        "TI-0042 and ES-0007",
        "NB-2026-0012345678",
        "CIN s17, child in need plan review 2026-12-03",
        "chased twice, 2 working days overdue",
        "meeting 10:30-11:45",
        "ext 4960123",
    ],
)
def test_case_references_and_ordinary_notes_are_never_refused(text: str) -> None:
    assert find_personal_data(text) is None


def test_refuse_personal_data_reads_directory_contacts(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        agency = Agency(key="csc", name="Children's services", kind="children_social_care")
        session.add(agency)
        session.flush()
        team = Team(key="front-door", agency_id=agency.id or 0, name="Front door")
        session.add(team)
        session.flush()
        session.add(ContactRoute(key="fd-phone", team_id=team.id or 0, kind="phone", value="0161 496 0200"))
        session.add(Person(handle="sw.jo", display_name="Jo", email="jo@northbrook.example.org"))
    with sessions() as session:
        refuse_personal_data(
            session=session, text="rang 0161 496 0200 and jo@northbrook.example.org", field="note"
        )
        refuse_personal_data(session=session, text="   ", field="note")
        with pytest.raises(PersonalDataRefused) as refused:
            refuse_personal_data(session=session, text="dad on 07700 900999", field="about")
    assert refused.value.what == PHONE and refused.value.field == "about"


def test_redact_hides_everything_personal() -> None:
    line = (
        f"sent {VALID} and {INVALID} to parent@example.org, tel 0161 496 0123, NB4 7XY, "
        "DOB 03/04/2019, AB123456C re NB-2026-00123"
    )
    cleaned = redact(line)
    for secret in (VALID, INVALID, "parent@example.org", "496 0123", "NB4 7XY", "03/04/2019", "AB123456C"):
        assert secret not in cleaned
    assert "NB-2026-00123" in cleaned
    assert "[nhs number]" in cleaned and "[postcode]" in cleaned and "[email]" in cleaned


@given(
    year=st.integers(min_value=2000, max_value=2099),
    serial=st.integers(min_value=0, max_value=99999),
    short=st.integers(min_value=0, max_value=999999),
)
def test_no_case_reference_shape_is_ever_refused(year: int, serial: int, short: int) -> None:
    text = f"re NB-{year}-{serial:05d} (was NB-{short:06d}), TI-{serial % 10000:04d}"
    assert find_personal_data(text) is None
    assert redact(text) == text


def test_the_log_filter_redacts_messages_arguments_extras_and_tracebacks() -> None:
    import io
    import logging

    from storage.redaction import RedactingFilter, install_redaction

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s note=%(note)s"))
    logger = logging.getLogger("joinup.test.redaction")
    logger.propagate = False
    logger.addHandler(handler)
    install_redaction(logger)
    install_redaction(logger)  # twice adds it once
    assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    try:
        logger.warning("sent %s to %s", VALID, "parent@example.org", extra={"note": "DOB 03/04/2019"})
        try:
            raise ValueError(f"bad input {VALID} re NB-2026-00123")
        except ValueError:
            logger.exception("failed at NB4 7XY", extra={"note": "TI-0042"})
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    for secret in (VALID, "parent@example.org", "03/04/2019", "NB4 7XY"):
        assert secret not in out
    assert "sent [nhs number] to [email] note=[date of birth]" in out
    assert "ValueError: bad input [nhs number] re NB-2026-00123" in out
    assert "note=TI-0042" in out
