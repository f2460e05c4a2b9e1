"""Pulled services in answers: a named neighbour's routes, public services for signposting, and team lists."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from directory.answer import answer
from directory.search import resolve_team, search
from schedules.time.clock import FakeClock
from storage.errors import NotFound
from storage.models import Team
from tests.neighbours import ED_QUESTION, pull_millbridge


@pytest.fixture
def world(demo: Session, sessions: sessionmaker[Session], clock: FakeClock) -> sessionmaker[Session]:
    demo.close()
    pull_millbridge(sessions, clock)
    return sessions


def names(found: tuple[object, ...]) -> list[str]:
    return [r.team.name for r in found]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "said", [ED_QUESTION, "front door in Millbridge", "child from millbridge", "millbridge mash"]
)
def test_naming_the_neighbour_finds_its_front_door_and_out_of_hours_team(
    world: sessionmaker[Session], clock: FakeClock, said: str
) -> None:
    with world() as session:
        found = answer(session, said, at=clock.now())
    assert names(found.results)[0] == "Millbridge children's front door (MASH)"
    assert "Millbridge emergency duty team (out of hours)" in names(found.results)
    assert found.neighbour == "millbridge" and not found.is_safe_default
    assert all(r.team.source == "millbridge" for r in found.results)


@pytest.mark.parametrize(
    "said", ["worried about a baby", "front door", "child at risk", "out of hours social worker"]
)
def test_the_own_borough_answers_when_no_neighbour_is_named(
    world: sessionmaker[Session], clock: FakeClock, said: str
) -> None:
    with world() as session:
        found = answer(session, said, at=clock.now())
        plain = search(session, said, at=clock.now())
    assert found.results and all(not r.team.source for r in (*found.results, *plain))
    assert not found.public


@pytest.mark.parametrize(
    ("said", "public"),
    [
        ("parenting support group", "Parenting support group (Millbridge)"),
        ("drop-in for families", "Millbridge Family Hub drop-in"),
        ("young carers group", "Millbridge young carers group"),
    ],
)
def test_signposting_questions_bring_public_services_never_as_the_route(
    world: sessionmaker[Session], clock: FakeClock, said: str, public: str
) -> None:
    with world() as session:
        found = answer(session, said, at=clock.now())
    assert public in names(found.public)
    assert all(r.team.is_public_service for r in found.public)
    assert all(not r.team.is_public_service for r in found.results), "never the recommended route"


def test_a_safeguarding_worry_brings_no_public_services(
    world: sessionmaker[Session], clock: FakeClock
) -> None:
    with world() as session:
        assert answer(session, "bruise on a baby", at=clock.now()).public == ()


def test_team_lookups_never_take_a_public_service_and_a_neighbour_only_by_name(
    world: sessionmaker[Session],
) -> None:
    with world() as session:
        assert (
            resolve_team(session=session, text="Millbridge LADO (allegations against staff)").source
            == "millbridge"
        )
        assert resolve_team(session=session, text="front door").key == "front-door"
        with pytest.raises(NotFound) as near:
            resolve_team(session=session, text="Millbridge LADO")
        assert "Millbridge" not in near.value.hint, "a neighbour is never guessed from a spelling"
        with pytest.raises(NotFound) as public:
            resolve_team(session=session, text="Millbridge Family Hub drop-in")
        assert "public service from the millbridge-families feed, for signposting" in public.value.hint
        pulled = session.exec(select(Team.key).where(col(Team.source) != "")).all()
    assert len(pulled) == 8
