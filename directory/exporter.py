"""Export the stored directory as YAML (native), CSV (one row per route) or ORUK JSON."""

from __future__ import annotations

from sqlmodel import Session

from directory.csv_format import dump_csv
from directory.document import DirectoryDoc
from directory.oruk_export import dump_oruk
from directory.store import load_document
from directory.yaml_format import dump_yaml
from storage.errors import InvalidInput

FORMATS = ("yaml", "csv", "oruk")


def dump(doc: DirectoryDoc, fmt: str) -> str:
    """Write `doc` in format `fmt`.

    Raises:
        InvalidInput: `fmt` is not a directory format.
    """
    if fmt == "yaml":
        return dump_yaml(doc)
    if fmt == "csv":
        return dump_csv(doc)
    if fmt == "oruk":
        return dump_oruk(doc)
    raise InvalidInput("format", f"{fmt!r} is not a directory format; use {', '.join(FORMATS)}")


def export_text(*, session: Session, fmt: str) -> str:
    """Export the whole stored directory (private teams and routes included) in format `fmt`."""
    return dump(load_document(session=session), fmt)
