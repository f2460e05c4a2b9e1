"""Pull a neighbour's Open Referral feed into the directory, one record at a time.

A council's own curated import is all or nothing; a neighbour's published feed never is clean enough for
that (empty names, HTML, over-long descriptions, web addresses without a scheme, list-view records with no
phones). So each service is tidied (HTML to text, long text cut at a sentence with a "more at" link, a
scheme added to a bare web address) and then either lands or is quarantined with its reason. A service is
usable when it has a name, an id unique in its source, and at least one contact (web address, e-mail or
phone). Personal-looking contacts (a free-mail address, a mobile) are the publisher's data: they are listed
in the report, not refused.

Pulled services belong to their source: they carry its name and the time of the pull and are read-only to
local editing; storing them is directory/pull_store.py. Opening hours come from the feed's schedules
(directory/pull_hours.py); a service without them has its hours "not published", never open round the clock.

Fetching follows the feed's paging one request at a time: HSDS 3.0 Pages (`contents`, `last_page`) and the
ORUK 1.0 style that openplace feeds use (`content`, `totalPages`, `last`). A feed that fails (times out,
answers HTML, loops its paging, is too big) stops the pull with one line and nothing from that run is stored.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from directory.concerns import shipped_taxonomy
from directory.pull_fetch import PullFailed
from directory.pull_hours import read_hours
from directory.pull_tidy import MAX_VALUE, cut_at_sentence, fix_url, plain_text, read_areas, read_concerns

MAX_NAME = 200
MAX_TEXT = 2000
FREE_MAIL = re.compile(
    r"@(gmail|googlemail|hotmail|yahoo|outlook|live|btinternet|aol|icloud|me|sky|virginmedia|ntlworld)\.",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")

NO_NAME = "no name"
NO_ID = "no id"
REPEATED_ID = "id repeated in this feed"
NO_CONTACT = "no way to contact it (no web address, e-mail or phone)"
NOT_AN_OBJECT = "not a JSON object"


@dataclass(slots=True)
class PulledService:
    """A usable service, tidied, ready to store."""

    source_id: str
    name: str
    description: str
    url: str
    email: str
    phones: list[str]
    organization_id: str
    organization_name: str
    organization_description: str
    organization_url: str
    hours: dict[str, list[list[str]]] | None  # None: the feed publishes no hours we can read
    areas: list[str] = field(default_factory=list)
    concerns: list[str] = field(default_factory=list)
    also_concerns: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Note:
    """Something about one record: why it was quarantined, or what was fixed or flagged."""

    source_id: str
    name: str
    text: str


@dataclass(slots=True)
class SourceReport:
    """What one pull found, per record."""

    source: str
    pulled: int = 0
    usable: list[PulledService] = field(default_factory=list)
    quarantined: list[Note] = field(default_factory=list)
    fixed: list[Note] = field(default_factory=list)
    flagged: list[Note] = field(default_factory=list)
    with_contacts: int = 0
    with_valid_id: int = 0
    with_hours: int = 0

    def reasons(self) -> Counter[str]:
        """Count the quarantined records by reason."""
        return Counter(note.text for note in self.quarantined)

    def lines(self, *, detail: bool = True) -> list[str]:
        """The data-quality report, in the spirit of the ORUK dashboard."""
        out = [
            f"Source {self.source}: {self.pulled} services pulled, {len(self.usable)} usable, "
            f"{len(self.quarantined)} quarantined.",
            f"With a contact: {self.with_contacts}. With a valid id: {self.with_valid_id}. "
            f"With opening hours: {self.with_hours}.",
        ]
        out += [f"Quarantined, {reason}: {count}" for reason, count in self.reasons().most_common()]
        if detail:
            for title, notes in (("Quarantined", self.quarantined), ("Fixed", self.fixed),
                                 ("Flagged", self.flagged)):  # fmt: skip
                out += [
                    f"{title}: {n.name or '(no name)'} [{n.source_id or 'no id'}]: {n.text}" for n in notes
                ]
        return out


def _phones(record: dict[str, Any]) -> list[str]:
    numbers: list[str] = []
    holders = [record, *(c for c in record.get("contacts") or [] if isinstance(c, dict))]
    for holder in holders:
        for phone in holder.get("phones") or []:
            number = str(phone.get("number") or "").strip() if isinstance(phone, dict) else ""
            if number and number not in numbers and len(number) <= MAX_VALUE:
                numbers.append(number)
    return numbers


def _email(record: dict[str, Any]) -> str:
    candidates = [record.get("email")] + [
        c.get("email") for c in record.get("contacts") or [] if isinstance(c, dict)
    ]
    for candidate in candidates:
        value = str(candidate or "").strip()
        if value:
            return value
    return ""


def read_records(report: SourceReport, records: Iterable[Any]) -> SourceReport:
    """Tidy each record and sort it into usable or quarantined (with its reason)."""
    known_concerns = frozenset(shipped_taxonomy().by_id())
    items = list(records)
    report.pulled += len(items)
    ids = Counter(str(r.get("id") or "").strip() for r in items if isinstance(r, dict))
    for record in items:
        if not isinstance(record, dict):
            report.quarantined.append(Note("", "", NOT_AN_OBJECT))
            continue
        source_id = str(record.get("id") or "").strip()
        name = plain_text(record.get("name")).replace("\n", " ")
        fixed: list[str] = []
        flagged: list[str] = []
        url, url_note = fix_url(record.get("url"))
        if url_note:
            (fixed if url else flagged).append(url_note)
        email = _email(record)
        if email and (not _EMAIL.match(email) or len(email) > MAX_VALUE):
            flagged.append(f"e-mail {email!r} is not an e-mail address; left out")
            email = ""
        phones = _phones(record)
        if email and FREE_MAIL.search(email):
            flagged.append(f"personal-looking e-mail {email} (the publisher's data; check before passing on)")
        for number in phones:
            if re.sub(r"[^0-9+]", "", number).removeprefix("+44").lstrip("0").startswith("7"):
                flagged.append(
                    f"personal-looking mobile {number} (the publisher's data; check before passing on)"
                )
        has_contact = bool(url or email or phones)
        report.with_contacts += has_contact
        report.with_valid_id += bool(source_id) and ids[source_id] == 1
        hours = read_hours(record)
        report.with_hours += hours is not None
        reason = (
            NO_ID if not source_id
            else REPEATED_ID if ids[source_id] > 1
            else NO_NAME if not name
            else NO_CONTACT if not has_contact
            else ""
        )  # fmt: skip
        shown = name[:80]
        if reason:
            report.quarantined.append(Note(source_id, shown, reason))
            continue
        if len(name) > MAX_NAME:
            fixed.append(f"name cut to {MAX_NAME} characters")
            name = name[: MAX_NAME - 1].rstrip() + "…"
        description = plain_text(record.get("description"))
        if len(description) > MAX_TEXT:
            fixed.append(f"description of {len(description)} characters cut at a sentence")
            description = cut_at_sentence(description, MAX_TEXT, url)
        concerns, also = read_concerns(record, known_concerns)
        org = record.get("organization") if isinstance(record.get("organization"), dict) else {}
        assert isinstance(org, dict)
        org_url, _ = fix_url(org.get("url") or org.get("website"))
        report.usable.append(
            PulledService(
                source_id=source_id[:200],
                name=name,
                description=description,
                url=url,
                email=email,
                phones=phones,
                organization_id=str(org.get("id") or "").strip()[:200],
                organization_name=plain_text(org.get("name")).replace("\n", " ")[:MAX_NAME],
                organization_description=cut_at_sentence(
                    plain_text(org.get("description")), MAX_TEXT, org_url
                ),
                organization_url=org_url,
                hours=hours,
                areas=read_areas(record),
                concerns=concerns,
                also_concerns=also,
            )
        )
        report.fixed += [Note(source_id, shown, text) for text in fixed]
        report.flagged += [Note(source_id, shown, text) for text in flagged]
    return report


def source_name(value: str) -> str:
    """Check a source's name (short, lower case, letters, digits and hyphens), or raise PullFailed."""
    name = value.strip().lower()
    if not _SOURCE_NAME.match(name):
        raise PullFailed(
            "a source's name is up to 40 lower-case letters, digits and hyphens, like bristol or millbridge"
        )
    return name
