"""The chronology of a case reference: everything joinup holds about it, in time order, with working-day gaps.

This is the document a practice review asks for: referrals, contact attempts, acknowledgements, feedback,
escalation steps and information-sharing decisions. Every read or export is audited by `export`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from schedules.chronology.events import (
    Entry,
    audit_entries,
    escalation_entries,
    item_entries,
    sharing_entries,
)
from schedules.time.calendars import day_calendar
from schedules.time.clock import Clock
from schedules.time.words import moment_in_words
from storage import audit
from storage.errors import NotFound
from storage.models import ContactAttempt, Escalation, SharingDecision, TrackedItem

Format = Literal["md", "csv", "json"]
FORMATS: tuple[Format, ...] = ("md", "csv", "json")


@dataclass(frozen=True, slots=True)
class Chronology:
    """The whole timeline of one case reference."""

    case_ref: str
    nation: str
    produced_at: datetime
    entries: tuple[Entry, ...]


def _same_case(column: Any, case_ref: str) -> ColumnElement[bool]:
    return func.upper(column) == case_ref.upper()


def build(*, session: Session, clock: Clock, case_ref: str, nation: str | None = None) -> Chronology:
    """Collect every event about `case_ref`, oldest first, with working-day gaps on the case's calendar.

    Raises:
        NotFound: joinup holds nothing about this case reference.
    """
    case_ref = case_ref.strip().upper()
    items = session.exec(select(TrackedItem).where(_same_case(col(TrackedItem.case_ref), case_ref))).all()
    attempts = session.exec(
        select(ContactAttempt).where(_same_case(col(ContactAttempt.case_ref), case_ref))
    ).all()
    escalations = session.exec(select(Escalation).where(_same_case(col(Escalation.case_ref), case_ref))).all()
    decisions = session.exec(
        select(SharingDecision).where(_same_case(col(SharingDecision.case_ref), case_ref))
    ).all()
    if not (items or attempts or escalations or decisions):
        raise NotFound("case", case_ref, hint="Check the reference, or type mine to see your cases.")
    raw = [
        *item_entries(session=session, items=items, attempts=attempts),
        *escalation_entries(session=session, escalations=escalations),
        *sharing_entries(session=session, decisions=decisions),
        *audit_entries(
            session=session,
            subjects=[
                f"case:{case_ref}",
                *(f"item:{i.ref}" for i in items),
                *(f"escalation:{e.ref}" for e in escalations),
            ],
        ),
    ]
    ordered = sorted(raw, key=lambda e: e.at)  # sorted() is stable: same-moment events keep their order
    nation = nation or (items[0].nation if items else "ENG")
    calendar = day_calendar(nation=nation)
    entries: list[Entry] = []
    for entry in ordered:
        gap = None
        if entries:
            previous = calendar.local(entries[-1].at).date()
            gap = calendar.working_days_between(previous, calendar.local(entry.at).date())
        entries.append(replace(entry, gap_working_days=gap))
    return Chronology(case_ref=case_ref, nation=nation, produced_at=clock.now(), entries=tuple(entries))


def _gap(entry: Entry) -> str:
    if entry.gap_working_days is None:
        return ""
    return "same day" if entry.gap_working_days == 0 else str(entry.gap_working_days)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(chronology: Chronology) -> str:
    """Render the chronology as a Markdown document with one table row per event."""
    lines = [
        f"# Chronology for case {chronology.case_ref}",
        "",
        f"Produced {moment_in_words(chronology.produced_at, with_year=True)}. Times are London time; "
        f"working days follow the {chronology.nation} bank holidays.",
        "",
        "| # | when | working days since previous | ref | event | who | detail |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, entry in enumerate(chronology.entries, start=1):
        cells = [
            str(number),
            moment_in_words(entry.at, with_year=True),
            _gap(entry),
            entry.ref,
            entry.event,
            entry.who,
            entry.detail,
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


CSV_COLUMNS = (
    "number",
    "at",
    "when",
    "working_days_since_previous",
    "source",
    "ref",
    "event",
    "who",
    "detail",
)


def render_csv(chronology: Chronology) -> str:
    """Render the chronology as CSV with a header row; times are ISO 8601 in UTC."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for number, entry in enumerate(chronology.entries, start=1):
        writer.writerow(
            [
                number,
                entry.at.isoformat(),
                moment_in_words(entry.at, with_year=True),
                "" if entry.gap_working_days is None else entry.gap_working_days,
                entry.source,
                entry.ref,
                entry.event,
                entry.who,
                entry.detail,
            ]
        )
    return out.getvalue()


def render_json(chronology: Chronology) -> str:
    """Render the chronology as one JSON document."""
    entries = []
    for number, entry in enumerate(chronology.entries, start=1):
        record = asdict(entry)
        record["at"] = entry.at.isoformat()
        entries.append({"number": number, **record, "when": moment_in_words(entry.at, with_year=True)})
    document = {
        "case_ref": chronology.case_ref,
        "nation": chronology.nation,
        "produced_at": chronology.produced_at.isoformat(),
        "entries": entries,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def render(chronology: Chronology, fmt: Format) -> str:
    """Render in one of md, csv or json."""
    return {"md": render_markdown, "csv": render_csv, "json": render_json}[fmt](chronology)


def record_read(*, session: Session, clock: Clock, chronology: Chronology, fmt: str, actor: str) -> None:
    """Audit that someone read or exported a chronology."""
    audit.record(
        session=session,
        at=clock.now(),
        actor=actor,
        action="chronology.exported",
        subject=f"case:{chronology.case_ref}",
        data={"format": fmt, "entries": len(chronology.entries)},
    )


def export(
    *,
    session: Session,
    clock: Clock,
    case_ref: str,
    fmt: Format,
    actor: str,
    nation: str | None = None,
) -> str:
    """Build, render and audit a chronology.

    Raises:
        NotFound: nothing is held about the case.
    """
    chronology = build(session=session, clock=clock, case_ref=case_ref, nation=nation)
    record_read(session=session, clock=clock, chronology=chronology, fmt=fmt, actor=actor)
    return render(chronology, fmt)
