"""Import a directory file (YAML, CSV or ORUK JSON): all or nothing, every problem reported at once."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from directory.checks import Where, check_document
from directory.concerns import active_taxonomy, unknown_concern_ids
from directory.csv_format import parse_csv
from directory.document import DirectoryDoc, DirectoryInvalid, Problem
from directory.index import bump_generation
from directory.oruk_format import parse_oruk
from directory.public_text import check_public_text
from directory.records import Collector
from directory.store import ImportSummary, apply_document, summarise
from directory.yaml_format import parse_yaml
from schedules.time.clock import Clock
from storage import audit
from storage.errors import InvalidInput
from storage.models import Agency, ContactRoute, Team

FORMATS = ("yaml", "csv", "oruk")


def format_for(path: Path) -> str:
    """Tell the format from the file name: .yaml/.yml, .csv or .json (ORUK).

    Raises:
        InvalidInput: the extension is none of those.
    """
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".csv":
        return "csv"
    if suffix == ".json":
        return "oruk"
    raise InvalidInput("file", f"I can't tell the format of {path.name}; use .yaml, .csv or .json (ORUK)")


def parse_text(text: str, *, file: str, fmt: str) -> tuple[DirectoryDoc, dict[int, Where], list[Problem]]:
    """Read `text` in format `fmt` into a document, without checking references."""
    if fmt == "yaml":
        return parse_yaml(text, file=file)
    if fmt == "csv":
        return parse_csv(text, file=file)
    if fmt == "oruk":
        return parse_oruk(text, file=file)
    raise InvalidInput("format", f"{fmt!r} is not a directory format; use {', '.join(FORMATS)}")


def import_text(
    *, session: Session, clock: Clock, text: str, file: str, fmt: str, actor: str, dry_run: bool = False
) -> ImportSummary:
    """Check a directory file and, unless `dry_run`, store it in the caller's transaction.

    Raises:
        DirectoryInvalid: the file has problems (every one is listed); nothing was stored.
    """
    doc, wheres, problems = parse_text(text, file=file, fmt=fmt)
    collector = Collector(file)
    collector.problems.extend(problems)
    check_document(
        collector,
        doc,
        wheres,
        known_agency_keys=set(session.exec(select(Agency.key)).all()),
        known_team_keys=set(session.exec(select(Team.key)).all()),
        known_uuids={
            **{uuid: f"agency {key}" for uuid, key in session.exec(select(Agency.uuid, Agency.key))},
            **{uuid: f"team {key}" for uuid, key in session.exec(select(Team.uuid, Team.key))},
            **{
                uuid: f"route {key}"
                for uuid, key in session.exec(select(ContactRoute.uuid, ContactRoute.key))
            },
        },
    )
    taxonomy = active_taxonomy(session)
    for team in doc.teams:
        for concern_id in unknown_concern_ids(taxonomy, [*team.concerns, *team.also_concerns]):
            where = wheres.get(id(team))
            collector.add(
                where("concerns") if where is not None else "start of file",
                "concerns",
                f"there is no concern {concern_id} in the concern taxonomy; fix the id or add the concern",
            )
    check_public_text(collector, doc, wheres)
    if collector.problems:
        raise DirectoryInvalid(collector.problems)
    summary = summarise(session=session, doc=doc)
    if dry_run:
        return summary
    apply_document(session=session, doc=doc)
    bump_generation()
    audit.record(
        session=session,
        at=clock.now(),
        actor=actor,
        action="directory.imported",
        subject=f"directory:{Path(file).name}"[:120],
        data={"format": fmt, **summary.as_dict()},
    )
    return summary


def import_file(
    *, session: Session, clock: Clock, path: Path, actor: str, dry_run: bool = False
) -> ImportSummary:
    """Import the file at `path`, choosing the format from its name.

    Raises:
        InvalidInput: the file can't be read or its format can't be told.
        DirectoryInvalid: the file has problems; nothing was stored.
    """
    fmt = format_for(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput("file", f"I can't read {path}: {error}") from None
    return import_text(
        session=session, clock=clock, text=text, file=str(path), fmt=fmt, actor=actor, dry_run=dry_run
    )
