"""Registered neighbour feeds (sources): add, list, pull on a schedule, and what the last pull found.

The admin says at `add` whether a source holds professional routes or public services; nothing is guessed
per record. A pull reads the whole feed first (one request at a time, Retry-After honoured), then stores it
in one transaction: a feed that fails stores nothing and the last good copy stays; a pull that would remove
more than a fifth of a source's services is held until an admin confirms it. Every outcome is recorded on
the source and in the audit log, so `source list` and the admins' notice can say what happened.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from directory.cards import SOURCE_KINDS
from directory.pull import SourceReport, read_records, source_name
from directory.pull_fetch import PullFailed, fetch_records, records_from_text
from directory.pull_store import PullHeld, PullSummary, store_pull
from schedules.time.clock import Clock
from storage import audit
from storage.errors import InvalidInput, NotFound
from storage.models import DirectorySource

DEFAULT_EVERY = timedelta(days=1)
MIN_EVERY = timedelta(hours=1)
_EVERY = re.compile(r"^\s*(\d{1,4})\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
USER_AGENT = "joinup directory pull"

# What happened to a pull, for the caller (and the admins' notice).
PULLED, FAILED, HELD = "pulled", "failed", "held"


def parse_every(value: str) -> timedelta:
    """'1d', '12h', '2w' → a timedelta of at least an hour.

    Raises:
        InvalidInput: it is not a number and a unit, or it is under an hour.
    """
    match = _EVERY.match(value or "")
    if match is None:
        raise InvalidInput("every", f"{value!r} is not an interval; use a number and h, d or w", example="1d")
    every = timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    if every < MIN_EVERY:
        raise InvalidInput("every", "pull a source at most once an hour", example="1d")
    return every


def every_words(seconds: int) -> str:
    """86400 → 'every 1d'."""
    for unit, size in (("w", 604_800), ("d", 86_400), ("h", 3_600)):
        if seconds % size == 0:
            return f"every {seconds // size}{unit}"
    return f"every {seconds // 60}m"


def add_source(
    *, session: Session, clock: Clock, name: str, url: str, kind: str, every: timedelta, actor: str
) -> DirectorySource:
    """Register a feed to pull; it is first pulled at once, then every `every`.

    Raises:
        InvalidInput: a bad name, kind or address, or a source of that name exists.
    """
    try:
        name = source_name(name)
    except PullFailed as error:
        raise InvalidInput("name", str(error), example="millbridge") from None
    if kind not in SOURCE_KINDS:
        raise InvalidInput("kind", "say whether the source holds professional routes or public services",
                           example="--kind public")  # fmt: skip
    url = url.strip()
    if not url or len(url) > 500 or (" " in url and not Path(url).exists()):
        raise InvalidInput("url", "give the feed's address (https://…/services) or a saved JSON file")
    if session.exec(select(DirectorySource.id).where(col(DirectorySource.name) == name)).first() is not None:
        raise InvalidInput("name", f"there is already a source called {name}; pick another name")
    now = clock.now()
    source = DirectorySource(
        name=name, url=url, kind=kind, every_seconds=int(every.total_seconds()), added_at=now,
        added_by=actor, next_pull_at=now,
    )  # fmt: skip
    session.add(source)
    session.flush()
    audit.record(session=session, at=now, actor=actor, action="directory.source_added",
                 subject=f"source:{name}", data={"url": url, "kind": kind, "every_seconds": source.every_seconds})  # fmt: skip
    return source


def list_sources(*, session: Session) -> list[DirectorySource]:
    """Every registered source, by name."""
    return list(session.exec(select(DirectorySource).order_by(col(DirectorySource.name))))


def get_source(*, session: Session, name: str) -> DirectorySource:
    """The source called `name`.

    Raises:
        NotFound: no source has that name.
    """
    found = session.exec(
        select(DirectorySource).where(col(DirectorySource.name) == name.strip().lower())
    ).first()
    if found is None:
        known = ", ".join(s.name for s in list_sources(session=session))
        raise NotFound("source", name, hint=f"Sources: {known}." if known else "Add one with source add.")
    return found


def read_feed(url: str, *, client: httpx.Client, sleep: Callable[[float], None]) -> list[Any]:
    """A feed's raw records, from its address (followed page by page) or a saved JSON file.

    Raises:
        PullFailed: the feed could not be read whole.
    """
    if url.startswith(("http://", "https://")):
        return fetch_records(url, client=client, sleep=sleep)
    path = Path(url)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise PullFailed(f"I can't read {path}: {error}") from None
    return records_from_text(text, where=path.name)


def report_counts(report: SourceReport) -> dict[str, Any]:
    """The data-quality counts kept on the source for `source report`."""
    return {
        "pulled": report.pulled,
        "usable": len(report.usable),
        "quarantined": dict(report.reasons().most_common()),
        "with_contacts": report.with_contacts,
        "with_valid_id": report.with_valid_id,
        "with_hours": report.with_hours,
        "flagged": len(report.flagged),
        "fixed": len(report.fixed),
        # Personal-looking contacts are the publisher's data: listed for the admin, never refused.
        "flagged_notes": [f"{n.name or '(no name)'} [{n.source_id}]: {n.text}" for n in report.flagged[:200]],
    }


@dataclass(frozen=True, slots=True)
class PullOutcome:
    """What one pull of a source did: pulled (with its summary), failed or held, in one line."""

    source: str
    status: str
    line: str
    summary: PullSummary | None = None
    report: SourceReport | None = None


def pull_source(
    *,
    sessions: sessionmaker[Session],
    clock: Clock,
    name: str,
    actor: str,
    client: httpx.Client | None = None,
    confirm_removals: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> PullOutcome:
    """Pull one registered source now and record the outcome on it (never raises for a bad feed).

    Raises:
        NotFound: no source has that name.
    """
    with sessions() as session:
        source = get_source(session=session, name=name)
        url, source_name_ = source.url, source.name
    owned = client is None
    http = client or httpx.Client(headers={"User-Agent": USER_AGENT}, follow_redirects=True)
    try:
        records = read_feed(url, client=http, sleep=sleep)
    except PullFailed as error:
        return _record_failure(
            sessions=sessions, clock=clock, name=source_name_, actor=actor, problem=str(error)
        )
    finally:
        if owned:
            http.close()
    report = read_records(SourceReport(source_name_), records)
    try:
        with sessions.begin() as session:
            source = get_source(session=session, name=source_name_)
            summary = store_records(session=session, clock=clock, source=source, report=report, actor=actor,
                                    confirm_removals=confirm_removals)  # fmt: skip
    except PullHeld as held:
        return _record_failure(sessions=sessions, clock=clock, name=source_name_, actor=actor,
                               problem=str(held), held=True, report=report)  # fmt: skip
    return PullOutcome(source_name_, PULLED, f"Stored for {source_name_}: {summary.line()}.", summary, report)


def store_records(
    *, session: Session, clock: Clock, source: DirectorySource, report: SourceReport, actor: str,
    confirm_removals: bool = False,
) -> PullSummary:  # fmt: skip
    """Store a read feed for a registered source and mark the pull good, in the caller's transaction.

    Raises:
        PullHeld: it would remove more than 20% of the source's services and no admin confirmed it.
    """
    summary = store_pull(session=session, clock=clock, report=report, actor=actor,
                         confirm_removals=confirm_removals, kind=source.kind)  # fmt: skip
    now = clock.now()
    source.last_attempt_at = source.last_good_at = now
    source.next_pull_at = now + timedelta(seconds=source.every_seconds)
    source.last_error = source.held = ""
    source.report = report_counts(report)
    session.add(source)
    return summary


def _record_failure(
    *, sessions: sessionmaker[Session], clock: Clock, name: str, actor: str, problem: str,
    held: bool = False, report: SourceReport | None = None,
) -> PullOutcome:  # fmt: skip
    line = (
        problem
        if held
        else f"Pull of {name} stopped: {problem} Nothing was changed; the last good copy stays."
    )
    with sessions.begin() as session:
        source = get_source(session=session, name=name)
        now = clock.now()
        source.last_attempt_at = now
        source.next_pull_at = now + timedelta(seconds=source.every_seconds)
        source.last_error = "" if held else line
        source.held = line if held else ""
        if report is not None:
            source.report = report_counts(report)
        session.add(source)
        audit.record(session=session, at=now, actor=actor,
                     action="directory.pull_held" if held else "directory.pull_failed",
                     subject=f"source:{name}", data={"problem": line[:300]})  # fmt: skip
    return PullOutcome(name, HELD if held else FAILED, line, report=report)


def due_sources(*, session: Session, clock: Clock) -> list[str]:
    """The sources due a scheduled pull now, by name (a held pull waits for an admin instead)."""
    now = clock.now()
    return [
        s.name
        for s in list_sources(session=session)
        if not s.held and (s.next_pull_at is None or s.next_pull_at <= now)
    ]


def report_lines(source: DirectorySource) -> list[str]:
    """`source report`: the last pull's data quality, in the spirit of the ORUK dashboard."""
    counts = source.report or {}
    lines = [f"Source {source.name} ({source.kind}, {every_words(source.every_seconds)}): {source.url}"]
    if not counts:
        lines.append("Not pulled yet.")
    else:
        quarantined = counts.get("quarantined", {})
        lines += [
            f"Services pulled: {counts.get('pulled', 0)}. Usable: {counts.get('usable', 0)}. "
            f"Quarantined: {sum(quarantined.values())}.",
            *(f"Quarantined, {reason}: {n}" for reason, n in quarantined.items()),
            f"With a contact: {counts.get('with_contacts', 0)}. With a valid id: {counts.get('with_valid_id', 0)}. "
            f"With opening hours: {counts.get('with_hours', 0)}.",
            f"Fixed: {counts.get('fixed', 0)}. Flagged (personal-looking contacts): {counts.get('flagged', 0)}.",
            *(f"Flagged: {note}" for note in counts.get("flagged_notes", [])),
        ]
    if source.last_good_at is not None:
        lines.append(f"Last good pull: {source.last_good_at.isoformat(timespec='minutes')}.")
    if source.last_error:
        lines.append(f"Last pull failed: {source.last_error}")
    if source.held:
        lines.append(f"Held: {source.held}")
    return lines
