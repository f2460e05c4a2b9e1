"""Search over the demo borough: plain words, typos, synonyms, and who to call when a team is closed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from directory.search import DANGER_NOTE, resolve_team, search
from schedules.clock import FakeClock
from storage.errors import InvalidInput, NotFound


def keys(session: Session, text: str, at: datetime, **kwargs: object) -> list[str]:
    return [r.team.key for r in search(session, text, at=at, **kwargs)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("allegation against a teacher", "lado"),
        ("helth visitor", "health-visiting"),
        ("HV", "health-visiting"),
        ("MASH", "front-door"),
        ("ASC", "adults-front-door"),
        ("DSL", "schools"),
        ("EDT", "edt"),
        ("parent hearing voices, pregnant", "perinatal"),
        ("domestic abuse", "idva"),
        ("homeless 16 year old", "housing"),
        ("camhs", "camhs"),
    ],
)
def test_best_match(demo: Session, clock: FakeClock, query: str, expected: str) -> None:
    assert keys(demo, query, clock.now())[0] == expected


def test_closed_front_door_offers_edt_and_999(demo: Session) -> None:
    saturday = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    best = search(demo, "MASH", at=saturday)[0]
    assert best.team.key == "front-door" and not best.open_now
    assert best.fallback is not None and best.fallback.team.key == "edt" and best.fallback.open_now
    assert best.danger_note == DANGER_NOTE
    assert best.opens_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_empty_search_is_refused(demo: Session, clock: FakeClock) -> None:
    with pytest.raises(InvalidInput):
        search(demo, "   ", at=clock.now())


def test_resolve_team_by_key_name_and_typo(demo: Session) -> None:
    assert resolve_team(session=demo, text="front-door").key == "front-door"
    assert resolve_team(session=demo, text="Health visiting").key == "health-visiting"
    assert resolve_team(session=demo, text="helth visiting").key == "health-visiting"
    with pytest.raises(NotFound) as raised:
        resolve_team(session=demo, text="cmht")
    assert "cmht-north" in raised.value.hint and "cmht-south" in raised.value.hint
