"""Spot personal data in free text so it is refused before it is stored, and redacted before it is logged.

joinup stores case references, never identifying details. Free-text fields (about, rationale, reason, note)
go through `refuse_personal_data` (or `find_personal_data`), and every log record through `redact` (storage/redaction.py).
The patterns aim to catch what a practitioner might paste by habit (an NHS number, a date of birth, a home
postcode, a National Insurance number, a family's phone or e-mail) without refusing the words of the trade:
case references like NB-2026-00123, "s47 2nd strategy", "ICPC at 3pm", professional contacts from the directory.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Iterator

from sqlmodel import Session

from storage.errors import PersonalDataRefused
from storage.known import directory_contacts, professional_names
from storage.names import NAME, WORD_NAMES, Finding, find_names, is_first_name

# A run of 10 digits, alone or grouped with any separator people type (3-3-4 is usual: spaces, dashes,
# dots, slashes, underscores). A run that continues a dashed reference (NB-2026-0012345678) is not a
# candidate; one glued to letters (NHS9434765919) still is. Longer runs are matched whole, so 12 digits
# never hide a 10-digit candidate; up to two numbers' worth, so "9434765919 4010232137" is looked at as two.
_DIGIT_RUN = re.compile(r"(?<![\d\-./_])(\d(?:[ \-./_]{0,3}\d){9,23})(?!\d|[\-./_]\d)")
_NOT_DIGIT = re.compile(r"\D")
# How an NHS number is written when it is one: ten digits together, or 3-3-4 with one separator.
_NHS_SHAPE = re.compile(r"\d{10}|\d{3}([ \-./_])\d{3}\1\d{4}")

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}"  # 03/04/2019, 3.4.19, 03-04-2019
    r"|\d{1,2} \d{1,2} \d{4}"  # 03 04 2019 (only ever next to a cue)
    r"|\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}"  # 2019-04-03, 2019/04/03, 2019.04.03
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?\s+\d{{2,4}}"  # 3rd April 2019, 3 Apr 19
    rf"|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # April 3rd, 2019
    rf"|{_MONTH}\.?\s+\d{{4}})"  # April 2019
)
_DOB_WORD = r"(?:dob|d\.\s?o\.\s?b\.?|b\.|born|date\s+of\s+birth|birth\s*date|birthday|aged)"
# Unseparated dates (03042019, 030419, 20190403) are only a date of birth next to a cue: alone they are
# as likely a reference or a phone extension.
_PACKED_DATE = r"(?:\d{8}|\d{6})"
# "DOB: 03/04/2019", "born on 3rd April 2019", "DOB 03042019", and the other way round: "03/04/2019 (DOB)".
_DOB = re.compile(
    rf"\b{_DOB_WORD}(?![a-z])[\s:.\-=(]*(?:on\s+|in\s+|is\s+|of\s+|given\s+as\s+)?"
    rf"(?:{_DATE}|{_PACKED_DATE})(?!\d)"
    rf"|(?<!\d)(?:{_DATE}|{_PACKED_DATE})[\s,]*[(\[]?\s*{_DOB_WORD}(?![a-z])",
    re.IGNORECASE,
)

# A full UK postcode: outward code (area letters, district) and inward code (sector digit, unit letters).
# Letter positions follow the Royal Mail rules (no Q, V or X first; no I, J or Z second; no C, I, K, M, O or V
# in the unit), which keeps words like "s47" followed by "2nd" from matching as often.
_POSTCODE = re.compile(
    r"\b(?P<outward>[A-PR-UWYZ](?:[A-HK-Y]?\d[A-Z\d]?|\d[A-HJKPSTUW]?))\s?(?P<inward>\d[ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)
# Inward codes that read as ordinals, times or durations ("s47 2nd", "ICPC2 3pm", "s17 3wd"): refused only
# when typed in capitals, the way a postcode is written.
_ORDINAL_OR_TIME = frozenset({"st", "nd", "rd", "th", "am", "pm", "wd", "hr", "hd"})

# National Insurance number: two prefix letters (some pairs never issued), six digits, suffix A-D.
# Groups may be split by spaces or dashes. QQ, never issued, is the prefix forms and examples use: alone it
# is a form's example, but after "NI", "NINO" or "national insurance" it is someone's number.
_NINO = re.compile(
    r"\b(?:ni|nino|n\.i\.|national\s+insurance)\b[\w\s.:,]{0,25}?\bQQ[\s\-]?\d{2}[\s\-]?\d{2}[\s\-]?\d{2}[\s\-]?[A-D]\b"
    r"|\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][\s\-]?\d{2}[\s\-]?\d{2}[\s\-]?\d{2}[\s\-]?[A-D]\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# E-mail addresses written to dodge a filter: name(at)gmail.com, name [at] gmail [dot] com, name at gmail
# dot com. The plain " at " form only with a mail provider people use privately, since "message at nhs.net"
# is ordinary English, or after a mailbox-shaped name ("jordan.s at example.net"), or with "dot" spelled out.
_AT = r"(?:\s*(?:\(at\)|\[at\]|\{at\}|<at>)\s*|\s+@\s+)"
_DOT = r"(?:\s*(?:\(dot\)|\[dot\]|\{dot\}|<dot>)\s*|\s+dot\s+|\.)"
# A mailbox name no work address has, even at a work domain: a birth year or an underscore ("pauline_1952").
_PRIVATE_MAILBOX = re.compile(r"^[^@]*(?:_|(?:19|20)\d\d)[^@]*@")
PERSONAL_MAIL_DOMAINS = (
    "gmail", "googlemail", "hotmail", "outlook", "live", "msn", "yahoo", "ymail", "icloud", "me", "aol",
    "btinternet", "sky", "virginmedia", "talktalk", "protonmail", "proton", "gmx", "mail",
)  # fmt: skip
_OBFUSCATED_EMAIL = re.compile(
    r"(?<![\w.+-])(?=[\w+-]*[._\d])(?=[\w.+-]*[a-z])[\w.+-]+\s+at\s+[a-z][\w-]*\.[a-z]{2,6}\b|"
    rf"(?<![\w.+-])[\w.+-]+(?:{_AT}[\w-]+(?:{_DOT}[\w-]+)+"
    r"|\s+at\s+[\w-]+(?:\s+dot\s+[a-z]{2,6})+\b"  # "kelly dot smith at example dot org": "dot" spelled out
    rf"|\s+at\s+(?:{'|'.join(PERSONAL_MAIL_DOMAINS)})(?:{_DOT}[a-z]{{2,6}})+\b)",
    re.IGNORECASE,
)
# A UK phone number: +44, 0044 or 0, then digits with optional spaces, dashes or brackets around the area
# code. Not glued to a word or dash, so references like NB-01614960123 are not phone numbers.
# Dotted as some type them ("07700.900.455", "0161.496.0123"), but never a dotted date ("03.02.2027").
_PHONE = re.compile(
    r"(?<![\w+\-.])(?:(?:(?:\+|00)44\s?\(?0?\)?|\(?0)\d[\d\s\-()]{7,14}\d|0\d{3,4}\.\d{3}\.?\d{3,4})(?![\w\-]|\.\d)"
)
# Any other country's number: + or 00, a country code, then 6 to 13 more digits.
_INTERNATIONAL_PHONE = re.compile(
    r"(?<![\w+\-])(?:\+|00)(?!44)[1-9]\d{0,2}[\s\-]?\(?\d[\d\s\-()]{5,14}\d(?![\w\-])"
)

# A street address: a house number, one to three name words, a street word ("12 Acacia Avenue",
# "Flat 3, 7 Mill Lane"). In capitals as addresses are written; in lower case only for the street words
# that are never anything else.
_STREET_TITLE = (
    "Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Crescent|Cres|Place|Pl|Gardens|Gdns|Grove|"
    "Terrace|Walk|Square|Sq|Mews|Row|Rise|Parade|Hill|View|Park|Green|Vale|Wharf|Boulevard|Croft|Fold|Brow|"
    "Court|Ct|Gate|Gardens|Meadow|Meadows|Heights|Lea|Chase|Court|Villas|Cottages"
)
_STREET_LOWER = "road|street|avenue|lane|crescent|terrace|gardens|mews|close|drive|grove"
_ADDRESS = re.compile(
    rf"(?<![\w\-/.])\d{{1,4}}[A-Za-z]?,?\s+(?:[A-Z][a-z'\-]+\s+){{1,3}}(?:{_STREET_TITLE})\b\.?"
    rf"|(?<![\w\-/.])\d{{1,4}}[a-z]?,?\s+(?:[a-z'\-]{{3,}}\s+){{1,2}}(?:{_STREET_LOWER})\b"
    r"|(?<![\w\-/.])\d{1,4}[A-Za-z]?,?\s+[A-Z][a-z]+(?:way|gate)\b"  # 103 Kingsway, 5 Eastgate
)

NHS_NUMBER = "an NHS number"
ADDRESS = "a street address"
DATE_OF_BIRTH = "a date of birth"
NI_NUMBER = "a National Insurance number"
POSTCODE = "a postcode"
EMAIL = "an e-mail address"
PHONE = "a phone number"


def is_valid_nhs_number(digits: str) -> bool:
    """Tell whether ten digits pass the NHS number modulus-11 check."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


_DIGIT_GROUP = re.compile(r"\d+")
# A date and an hour ("17/12/2026 10", "2026-12-17 10") is ten digits too; one in eleven would pass the check.
_DATE_AND_HOUR_GROUPS = ([2, 2, 4, 2], [4, 2, 2, 2])


def _could_be_nhs_number(run: str) -> bool:
    """Tell whether a run of ten digits is grouped the way NHS numbers are written, not like a date."""
    groups = [len(g) for g in _DIGIT_GROUP.findall(run)]
    if groups in ([10], [3, 3, 4]):
        return True
    if groups in _DATE_AND_HOUR_GROUPS:
        return False
    # Other groupings only with spaces and dashes, as people type a number they read out ("9434 765 919").
    return set(_DIGIT_GROUP.sub("", run)) <= {" ", "-"}


def _nhs_numbers(text: str) -> Iterator[tuple[int, int]]:
    """Yield where each valid NHS number starts and ends; two typed one after the other are two."""
    for match in _DIGIT_RUN.finditer(text):
        run = match.group(1)
        digits = _NOT_DIGIT.sub("", run)
        if len(digits) == 10 and _could_be_nhs_number(run) and is_valid_nhs_number(digits):
            yield match.start(1), match.end(1)
        elif len(digits) == 20:
            for part in _NHS_SHAPE.finditer(run):
                if is_valid_nhs_number(_NOT_DIGIT.sub("", part.group(0))):
                    yield match.start(1) + part.start(), match.start(1) + part.end()


def find_nhs_number(text: str) -> bool:
    """Tell whether `text` holds a 10-digit run (any separators) that is a valid NHS number."""
    return next(_nhs_numbers(text), None) is not None


def _postcodes(text: str) -> Iterator[re.Match[str]]:
    for match in _POSTCODE.finditer(text):
        unit = match.group("inward")[1:]
        if unit.lower() in _ORDINAL_OR_TIME and not unit.isupper():
            continue
        yield match


def _normalise_phone(value: str) -> str:
    digits = _NOT_DIGIT.sub("", value)
    if digits.startswith("0044"):
        digits = digits[2:]
    if digits.startswith("44"):
        digits = digits[2:]
        return digits if digits.startswith("0") else "0" + digits
    return digits


def _phones(text: str) -> Iterator[re.Match[str]]:
    for match in _PHONE.finditer(text):
        digits = _normalise_phone(match.group(0))
        # UK numbers are 0 plus 9 or 10 digits; 00 starts an international prefix, not a UK number.
        if 10 <= len(digits) <= 11 and digits[1] != "0":
            yield match
    for match in _INTERNATIONAL_PHONE.finditer(text):
        if 8 <= len(_NOT_DIGIT.sub("", match.group(0))) <= 17:
            yield match


_LETTER = re.compile(r"[A-Za-z]")
_PLACE_WORD = re.compile(r"[a-z0-9]+")


def _place_words(value: str) -> str:
    """Return an address or postcode as lower-case words, so "NB1 2AA" and "nb1  2aa," compare equal."""
    return " ".join(_PLACE_WORD.findall(value.lower()))


def find_all_personal_data(
    text: str, *, known_contacts: Collection[str] = (), known_names: Collection[str] = ()
) -> list[Finding]:
    """Return every piece of personal data `text` seems to hold, in order of where it starts.

    `known_contacts` are directory e-mail addresses, phone numbers and team office addresses, and
    `known_names` the names of joinup's users and directory contacts: professionals, not the people
    joinup protects.
    """
    found = [Finding(NHS_NUMBER, start, end) for start, end in _nhs_numbers(text)]
    found += [Finding(DATE_OF_BIRTH, m.start(), m.end()) for m in _DOB.finditer(text)]
    found += [Finding(NI_NUMBER, m.start(), m.end()) for m in _NINO.finditer(text)]
    # A team's office (its published base) is an organisation's address, not a family's: quoting it is fine.
    offices = [f" {_place_words(c)} " for c in known_contacts if "@" not in c and _LETTER.search(c)]
    found += [
        Finding(what, m.start(), m.end())
        for what, matches in ((POSTCODE, _postcodes(text)), (ADDRESS, _ADDRESS.finditer(text)))
        for m in matches
        if not any(f" {_place_words(m.group(0))} " in office for office in offices)
    ]
    known = {c.strip().lower() for c in known_contacts} | {
        _normalise_phone(c) for c in known_contacts if "@" not in c
    }
    # A mailbox at a domain the directory's own contacts use (the council's, the trust's) is a work address.
    work_domains = {c.rpartition("@")[2].strip().lower() for c in known_contacts if "@" in c} - {""}
    work_domains = {d for d in work_domains if d.split(".")[0] not in PERSONAL_MAIL_DOMAINS}
    found += [
        Finding(EMAIL, m.start(), m.end())
        for pattern in (_EMAIL, _OBFUSCATED_EMAIL)
        for m in pattern.finditer(text)
        if m.group(0).lower() not in known
        and (m.group(0).rpartition("@")[2].lower() not in work_domains or _PRIVATE_MAILBOX.search(m.group(0)))
    ]
    found += [
        Finding(PHONE, m.start(), m.end()) for m in _phones(text) if _normalise_phone(m.group(0)) not in known
    ]
    found += list(find_names(text, known_names))
    return sorted(found, key=lambda f: (f.start, -f.end))


def find_personal_data(
    text: str, *, known_contacts: Collection[str] = (), known_names: Collection[str] = ()
) -> str | None:
    """Return what kind of personal data `text` seems to hold, or None.

    `known_contacts` are directory e-mail addresses and phone numbers, and `known_names` the names of
    joinup's users and directory contacts, which are professionals and not personal data.
    """
    found = find_all_personal_data(text, known_contacts=known_contacts, known_names=known_names)
    if not found:
        return None
    order = (NHS_NUMBER, DATE_OF_BIRTH, NI_NUMBER, POSTCODE, ADDRESS, EMAIL, PHONE, NAME)
    return min((f.what for f in found), key=order.index)


def without_personal_data(text: str, found: Collection[Finding]) -> str:
    """Return `text` with each finding cut out, for a refusal's "save it without that part" preview."""
    kept, at = [], 0
    for finding in sorted(found, key=lambda f: f.start):
        if finding.start >= at:
            kept.append(text[at : finding.start])
            kept.append("[removed]")
        at = max(at, finding.end)
    kept.append(text[at:])
    return " ".join("".join(kept).split())


def find_personal_data_in_reference(ref: str) -> str | None:
    """Return what personal data a case reference holds (an NHS number or a name), or None.

    A reference is letters, digits and separators, so only those two can hide in it: "JAYDEN-SMITH-030419"
    holds a name; "NB-2026-00123" and "MASH/0042" hold none.
    """
    if find_nhs_number(ref):
        return NHS_NUMBER
    words = [w for w in re.split(r"[^A-Za-z]+", ref) if w]
    for first, last in itertools.pairwise(words):
        if len(first) >= 2 and len(last) >= 2 and is_first_name(first) and first.lower() not in WORD_NAMES:
            return NAME
    if any(len(w) >= 3 and is_first_name(w) and w.lower() not in WORD_NAMES for w in words) and re.search(
        r"\d{6}", ref
    ):
        return NAME  # "JAYDEN030419": a first name next to what reads as a date of birth
    return None


MOBILE_NUMBER = "a mobile number"
PERSONAL_EMAIL = "a personal e-mail address"


def is_mobile_number(value: str) -> bool:
    """Tell whether a UK phone number is a mobile (07..., +44 7..., 0044 7...)."""
    digits = _normalise_phone(value)
    return len(digits) == 11 and digits.startswith("07")


def is_personal_email(value: str) -> bool:
    """Tell whether an e-mail address is at a mail provider people use privately (gmail.com, ...)."""
    domain = value.rpartition("@")[2].lower().strip()
    return domain.split(".")[0] in PERSONAL_MAIL_DOMAINS


def find_personal_contacts(text: str) -> list[str]:
    """Return the kinds of private contact details in `text`: mobile numbers and personal e-mail addresses.

    For public directory text, where work lines and work mailboxes belong and a person's own do not.
    """
    found = [MOBILE_NUMBER for m in _PHONE.finditer(text) if is_mobile_number(m.group(0))]
    found += [PERSONAL_EMAIL for m in _EMAIL.finditer(text) if is_personal_email(m.group(0))]
    found += [
        PERSONAL_EMAIL
        for m in _OBFUSCATED_EMAIL.finditer(text)
        if "@" not in m.group(0) and any(d in m.group(0).lower() for d in PERSONAL_MAIL_DOMAINS)
    ]
    return found


def refuse_personal_data(*, session: Session, text: str, field: str) -> None:
    """Check one free-text field before storing it; directory contacts and users' names are allowed.

    Raises:
        PersonalDataRefused: the text seems to hold personal data; nothing should be stored.
    """
    # The directory's contacts and users' names only ever excuse a finding, so they are read from the
    # database only when the text holds something (most notes hold nothing).
    if not text.strip() or not find_all_personal_data(text):
        return
    found = find_all_personal_data(
        text,
        known_contacts=directory_contacts(session=session),
        known_names=professional_names(session=session),
    )
    if found:
        raise refusal(text, found, field)


def refusal(text: str, found: Collection[Finding], field: str) -> PersonalDataRefused:
    """Return the error for `found` in `text`: the most serious kind, and the text without any of it."""
    order = (NHS_NUMBER, DATE_OF_BIRTH, NI_NUMBER, POSTCODE, ADDRESS, EMAIL, PHONE, NAME)
    what = min((f.what for f in found), key=order.index)
    return PersonalDataRefused(what, field, without=without_personal_data(text, found))


def looks_like_name(text: str, *, reference_prefixes: Collection[str] = ()) -> bool:
    """Tell whether `text` (a would-be case reference) seems to hold a person's name.

    Only alphabetic parts of three letters or more are looked at ("NB", "CP" and "s47" are never names),
    and an area's own reference prefixes (MASH, CIN ...) are not names, so MASH-2026-0042 passes while
    Jane, JAYDEN-SMITH and SMITH2026 do not.
    """
    allowed = {prefix.strip().upper() for prefix in reference_prefixes}
    return any(len(part) >= 3 and part.upper() not in allowed for part in re.findall(r"[^\W\d_]+", text))
