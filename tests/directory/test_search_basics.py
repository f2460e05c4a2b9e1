"""Search over the demo borough: plain words, typos, synonyms, and who to call when a team is closed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from directory.search import DANGER_NOTE, resolve_team, search
from schedules.time.clock import FakeClock
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
        # A worry about a child, put any way, goes to the front door first (the demo's synonyms say so).
        ("who do I call about a child", "front-door"),
        ("concern about a child", "front-door"),
        ("concerned about a child", "front-door"),
        ("child protection", "front-door"),
        ("child abuse police", "police-ppu"),
        ("child mental health", "camhs"),
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


def test_edits_reach_search_at_once(demo: Session, clock: FakeClock) -> None:
    assert keys(demo, "Zephyr outreach", clock.now()) == []
    team = resolve_team(session=demo, text="marac")
    team.name = "Zephyr outreach coordinator"
    demo.commit()
    assert keys(demo, "Zephyr outreach", clock.now())[0] == "marac"


def test_area_and_open_now_filters(demo: Session) -> None:
    assert (
        keys(demo, "adult mental health", datetime(2026, 11, 25, 10, tzinfo=UTC), area="south")[0]
        == "cmht-south"
    )
    assert (
        keys(demo, "adult mental health", datetime(2026, 11, 25, 10, tzinfo=UTC), area="north")[0]
        == "cmht-north"
    )
    saturday = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    open_keys = keys(demo, "social worker", saturday, open_now=True)
    assert "front-door" not in open_keys and open_keys[0] == "edt"
    results = search(demo, "mental health", at=saturday, open_now=True)
    assert results and all(r.open_now for r in results)


def test_ranking_is_stable_and_explained(demo: Session, clock: FakeClock) -> None:
    first = search(demo, "worried about a baby", at=clock.now(), limit=10)
    again = search(demo, "worried about a baby", at=clock.now(), limit=10)
    assert [r.team.key for r in first] == [r.team.key for r in again]
    assert [r.score for r in first] == sorted((r.score for r in first), reverse=True)
    assert first[0].score == 100.0 and "baby" in first[0].matched
    assert first[0].routes and first[0].routes[0].priority <= first[0].routes[-1].priority


def test_nothing_matches(demo: Session, clock: FakeClock) -> None:
    assert search(demo, "qqqxxzz", at=clock.now()) == []


def test_agency_kind_filter(demo: Session, clock: FakeClock) -> None:
    health = search(demo, "safeguarding", at=clock.now(), agency_kind="health", limit=10)
    assert health and all(r.team.agency_kind == "health" for r in health)
    assert keys(demo, "MASH", clock.now(), agency_kind="police")[0] == "police-mash"


def test_synonyms_are_configurable_by_import(demo: Session, clock: FakeClock) -> None:
    from directory.importer import import_text

    assert keys(demo, "pdu", clock.now()) == []
    text = "version: 1\nagencies: []\nsynonyms:\n  pdu: [probation delivery unit]\n"
    import_text(session=demo, clock=clock, text=text, file="synonyms.yaml", fmt="yaml", actor="admin.nadia")
    assert keys(demo, "PDU", clock.now())[0] == "probation"
