"""Paging the open feed quickly at any depth: an outline of the published ids, kept per directory generation.

The unfiltered feed (what the ORUK validator and neighbours' pullers walk) is counted and cut into pages
from an outline built once per directory generation: how many services are published, and the id at every
`STRIDE`th place. A page then reads at most `STRIDE` ids of the partial index from its anchor instead of
walking the whole offset, and the total is never counted again. Any write to the directory in this process
(an edit, an import, a pull) bumps the generation, so the next request builds the outline afresh; a write
by another process bumps the database's directory version, checked at most once a second (directory/freshness.py),
as search does.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, literal_column
from sqlmodel import Session, col, select

from directory import freshness
from storage.models import Team

# The partnership's own public teams, written with the empty source inline (not a bound parameter) so that
# PostgreSQL can use the partial index on exactly this condition (storage/models/directory.py).
PUBLISHED = (col(Team.is_public), col(Team.source) == literal_column("''"))
# One anchor per this many services: a page never reads more ids than this past its anchor.
STRIDE = 1_000


@dataclass(frozen=True, slots=True)
class Outline:
    """How many services the feed publishes, and the id at each `stride`th place in id order."""

    generation: int
    version: int  # the database's directory version when built
    checked_at: float  # time.monotonic() when the version was last compared: cache expiry, not domain time
    stride: int
    total: int
    anchors: tuple[int, ...]


_outlines: weakref.WeakKeyDictionary[Engine, Outline] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def outline(session: Session, *, stride: int = STRIDE) -> Outline:
    """Return the feed's outline for this database, building it if the directory changed since."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    cached = _outlines.get(engine)
    current = freshness.generation()
    now = time.monotonic()
    if cached is not None and cached.generation == current and cached.stride == stride:
        if now - cached.checked_at < freshness.VERSION_CHECK_SECONDS:
            return cached
        if freshness.read_version(session) == cached.version:
            with _lock:
                _outlines[engine] = dataclasses.replace(cached, checked_at=now)
            return cached
    version = freshness.read_version(session)
    # Read the generation before the ids: a write landing meanwhile bumps it, and the next request rebuilds.
    ids = [i for i in session.exec(select(Team.id).where(*PUBLISHED).order_by(col(Team.id))) if i is not None]
    built = Outline(generation=current, version=version, checked_at=now, stride=stride, total=len(ids),
                    anchors=tuple(ids[::stride]))  # fmt: skip
    with _lock:
        _outlines[engine] = built
    return built


def page_ids(session: Session, page: int, per_page: int, *, stride: int = STRIDE) -> tuple[list[int], int]:
    """Return the ids on one page of the unfiltered feed, and the feed's total."""
    shape = outline(session, stride=stride)
    skip = (page - 1) * per_page
    if skip >= shape.total:
        return [], shape.total
    query: Any = (
        select(Team.id)
        .where(*PUBLISHED, col(Team.id) >= shape.anchors[skip // stride])
        .order_by(col(Team.id))
        .offset(skip % stride)
        .limit(per_page)
    )
    return [i for i in session.exec(query) if i is not None], shape.total
