"""Pull a neighbour's Open Referral feed into the directory, one record at a time.

A council's own curated import is all or nothing; a neighbour's published feed never is clean enough for
that (empty names, HTML, over-long descriptions, web addresses without a scheme, list-view records with no
phones). So each service is tidied (HTML to text, long text cut at a sentence with a "more at" link, a
scheme added to a bare web address) and then either lands or is quarantined with its reason. A service is
usable when it has a name, an id unique in its source, and at least one contact (web address, e-mail or
phone). Personal-looking contacts (a free-mail address, a mobile) are the publisher's data: they are listed
in the report, not refused.

Pulled services belong to their source: they carry its name and the time of the pull, are read-only to
local editing, and a pull of the same source updates them in place (never duplicates) and removes the ones
the source dropped, unless that would remove more than a fifth of them (then the pull is held for an admin).

Fetching follows the feed's paging one request at a time: HSDS 3.0 Pages (`contents`, `last_page`) and the
ORUK 1.0 style that openplace feeds use (`content`, `totalPages`, `last`). A feed that fails (times out,
answers HTML, loops its paging, is too big) stops the pull with one line and nothing from that run is stored.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from directory.index import bump_generation
from directory.pull_fetch import PullFailed
from directory.pull_tidy import MAX_VALUE, cut_at_sentence, fix_url, plain_text
from directory.store import stable_uuid
from schedules.time.clock import Clock
from storage import audit
from storage.errors import DomainError
from storage.models import Agency, ContactRoute, Team

MAX_NAME = 200
MAX_TEXT = 2000
HOLD_REMOVALS_OVER = 0.20
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


class PullHeld(DomainError):
    """The pull would remove too many of a source's services; an admin must confirm it."""

    def __init__(self, source: str, removing: int, held: int) -> None:
        super().__init__(
            f"The pull of {source} would remove {removing} of its {held} services (more than 20%); "
            f"nothing was changed. Check the feed, then pull again with --confirm-removals."
        )
        self.removing = removing


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
    has_hours: bool


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
        has_hours = bool(record.get("schedules") or record.get("regular_schedules"))
        report.with_hours += has_hours
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
                has_hours=has_hours,
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


@dataclass(frozen=True, slots=True)
class PullSummary:
    """What a pull changed."""

    added: int
    updated: int
    unchanged: int
    removed: int

    def line(self) -> str:
        """One line for the admin."""
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, {self.removed} removed"
        )


def _short(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _routes(team_key: str, service: PulledService) -> list[tuple[str, str, str]]:
    """(key, kind, value) for each way to reach a pulled service, in preference order."""
    routes = [(f"{team_key}-phone-{n}", "phone", number) for n, number in enumerate(service.phones, start=1)]
    if service.email:
        routes.append((f"{team_key}-email", "email", service.email))
    if service.url:
        routes.append((f"{team_key}-web", "portal", service.url))
    return routes


def store_pull(
    *, session: Session, clock: Clock, report: SourceReport, actor: str, confirm_removals: bool = False
) -> PullSummary:
    """Store a pull's usable services for its source in the caller's transaction.

    Raises:
        PullHeld: it would remove more than 20% of the source's services and no admin confirmed it.
    """
    source = report.source
    now = clock.now()
    existing = {t.source_id: t for t in session.exec(select(Team).where(col(Team.source) == source))}
    incoming = {s.source_id for s in report.usable}
    dropped = [t for sid, t in existing.items() if sid not in incoming]
    if existing and len(dropped) > HOLD_REMOVALS_OVER * len(existing) and not confirm_removals:
        raise PullHeld(source, len(dropped), len(existing))
    agencies = {a.key: a for a in session.exec(select(Agency).where(col(Agency.source) == source))}
    routes: dict[int, list[ContactRoute]] = {}
    team_ids = [t.id for t in existing.values()]
    for route in session.exec(select(ContactRoute).where(col(ContactRoute.team_id).in_(team_ids))):
        routes.setdefault(route.team_id, []).append(route)
    added = updated = unchanged = 0
    for service in report.usable:
        org_key = f"{source}-org-{_short(service.organization_id or service.organization_name or '-')}"
        agency = agencies.get(org_key)
        org_values = (
            service.organization_name or f"Services published by {source}",
            service.organization_description,
            service.organization_url or None,
        )
        if agency is None:
            agency = Agency(key=org_key, uuid=stable_uuid("pulled-agency", org_key), name="", kind="other",
                            source=source)  # fmt: skip
            agencies[org_key] = agency
        if (agency.name, agency.description, agency.website) != org_values:
            agency.name, agency.description, agency.website = org_values
            session.add(agency)
            session.flush()
        team = existing.get(service.source_id)
        key = f"{source}-{_short(service.source_id)}"
        values = (service.name, service.description, agency.id)
        wanted = _routes(key, service)
        if team is None:
            team = Team(key=key, uuid=stable_uuid("pulled", f"{source}:{service.source_id}"), agency_id=0,
                        name="", source=source, source_id=service.source_id, is_public=True)  # fmt: skip
            added += 1
        elif (team.name, team.purpose, team.agency_id) == values and [
            (r.key, r.kind, r.value) for r in sorted(routes.get(team.id or 0, []), key=lambda r: r.priority)
        ] == wanted:
            unchanged += 1
            continue
        else:
            updated += 1
        team.name, team.purpose, team.agency_id = values[0], values[1], agency.id or 0
        team.source_pulled_at = now
        session.add(team)
        session.flush()
        session.execute(delete(ContactRoute).where(col(ContactRoute.team_id) == team.id))
        for priority, (route_key, kind, value) in enumerate(wanted):
            session.add(
                ContactRoute(key=route_key, uuid=stable_uuid("pulled-route", route_key), team_id=team.id or 0,
                             kind=kind, value=value, priority=priority, is_public=True)
            )  # fmt: skip
    for team in dropped:
        session.execute(delete(ContactRoute).where(col(ContactRoute.team_id) == team.id))
        session.delete(team)
    # Every pulled service carries the time of the last good pull, changed or not.
    session.execute(update(Team).where(col(Team.source) == source).values(source_pulled_at=now))
    session.flush()
    summary = PullSummary(added=added, updated=updated, unchanged=unchanged, removed=len(dropped))
    bump_generation()
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="directory.pulled",
        subject=f"source:{source}",
        data={
            "pulled": report.pulled,
            "usable": len(report.usable),
            "quarantined": len(report.quarantined),
            "added": added,
            "updated": updated,
            "unchanged": unchanged,
            "removed": len(dropped),
        },
    )
    return summary
