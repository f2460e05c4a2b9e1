"""The role matrix: each role × each action → allowed or refused, refusals audited, lists filtered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from handlers.access import auth
from schedules.time.clock import FakeClock
from storage import audit
from storage.errors import NotAllowed
from storage.models import AuditEvent, Escalation, TrackedItem
from tests.conftest import START
from tests.roles_world import World, add_escalation, add_item, build_world

EVERYONE = (
    "hv.amy",
    "hv.bea",
    "mgr.kate",
    "mgr.tom",
    "fd.raj",
    "mgr.ben",
    "cmht.cal",
    "admin.nadia",
    "partnership.chair",
    "audit.sam",
)

# (action, target) → the people allowed; everyone else is refused.
MATRIX: dict[tuple[str, str], set[str]] = {
    (auth.VIEW_ITEM, "TI-0001"): {"hv.amy", "hv.bea", "mgr.kate", "mgr.tom", "fd.raj", "audit.sam"},
    (auth.VIEW_ITEM, "TI-0002"): {"cmht.cal", "mgr.ben", "mgr.tom", "fd.raj", "audit.sam"},
    (auth.CHANGE_ITEM, "TI-0001"): {"hv.amy", "mgr.kate", "mgr.tom", "fd.raj"},
    (auth.CHANGE_ITEM, "TI-0003"): {"fd.raj", "mgr.tom", "mgr.ben", "cmht.cal"},
    (auth.CREATE_ITEM, ""): set(EVERYONE) - {"audit.sam"},
    (auth.VIEW_ESCALATION, "ES-0001"): {"hv.amy", "hv.bea", "mgr.kate", "mgr.tom", "fd.raj", "audit.sam"},
    # Only the raiser's side decides; the team the disagreement is with responds (seed 001).
    (auth.CHANGE_ESCALATION, "ES-0001"): {"hv.amy", "mgr.kate"},
    (auth.RESPOND_ESCALATION, "ES-0001"): {"mgr.tom", "fd.raj"},
    (auth.VIEW_ESCALATION, "ES-0002"): {
        "cmht.cal",
        "mgr.ben",
        "mgr.tom",
        "fd.raj",
        "partnership.chair",
        "audit.sam",
    },
    (auth.CHANGE_ESCALATION, "ES-0002"): {"cmht.cal", "mgr.ben", "partnership.chair"},
    (auth.RESPOND_ESCALATION, "ES-0002"): {"mgr.tom", "fd.raj"},
    (auth.READ_CHRONOLOGY, "NB-2"): {
        "cmht.cal",
        "mgr.ben",
        "mgr.tom",
        "fd.raj",
        "partnership.chair",
        "audit.sam",
    },
    (auth.READ_CHRONOLOGY, "NB-1"): {"hv.amy", "hv.bea", "mgr.kate", "mgr.tom", "fd.raj", "audit.sam"},
    (auth.READ_AUDIT, ""): {"audit.sam"},
    (auth.EXPORT_AUDIT, ""): {"audit.sam"},
    (auth.EDIT_DIRECTORY, "front-door"): {"admin.nadia"},
    (auth.EDIT_DIRECTORY, "health-visiting"): set(),
    (auth.REVIEW_DIRECTORY, "front-door"): {"admin.nadia", "mgr.tom"},
    (auth.REVIEW_DIRECTORY, "health-visiting"): {"mgr.kate"},
    (auth.VIEW_INSIGHT, "health-visiting"): {"mgr.kate", "partnership.chair", "audit.sam"},
    (auth.VIEW_INSIGHT, "front-door"): {"mgr.tom", "partnership.chair", "audit.sam"},
    (auth.VIEW_PARTNERSHIP_INSIGHT, ""): {"partnership.chair", "audit.sam"},
    (auth.RECEIVE_DIGEST, ""): {"mgr.kate", "mgr.tom", "mgr.ben"},
}


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> Iterator[World]:
    with sessions.begin() as session:
        world = build_world(session, now=START)
        add_item(
            session,
            world,
            ref="TI-0001",
            case_ref="NB-1",
            sender="hv.amy",
            to_team="front-door",
            sent_at=START,
        )
        add_item(
            session,
            world,
            ref="TI-0002",
            case_ref="NB-2",
            sender="cmht.cal",
            to_team="front-door",
            sent_at=START,
        )
        add_item(
            session,
            world,
            ref="TI-0003",
            case_ref="NB-3",
            sender="fd.raj",
            to_team="cmht-north",
            sent_at=START,
        )
        add_escalation(
            session,
            world,
            ref="ES-0001",
            case_ref="NB-1",
            raiser="hv.amy",
            other_team="front-door",
            level=2,
            level_started_at=START,
        )
        add_escalation(
            session,
            world,
            ref="ES-0002",
            case_ref="NB-2",
            raiser="cmht.cal",
            other_team="front-door",
            level=4,
            level_started_at=START,
            status="partnership",
        )
    yield world


def _target(session: Session, world: World, action: str, key: str) -> dict[str, object]:
    if key.startswith("TI-"):
        return {"item": session.exec(select(TrackedItem).where(col(TrackedItem.ref) == key)).one()}
    if key.startswith("ES-"):
        return {"escalation": session.exec(select(Escalation).where(col(Escalation.ref) == key)).one()}
    if key.startswith("NB-"):
        return {"case_ref": key}
    if key:
        return {"team_id": world.team_id(key)}
    return {}


@pytest.mark.parametrize("handle", EVERYONE)
@pytest.mark.parametrize(("action", "key"), list(MATRIX), ids=[f"{a}:{k}" for a, k in MATRIX])
def test_role_matrix(
    sessions: sessionmaker[Session], world: World, handle: str, action: str, key: str
) -> None:
    with sessions() as session:
        person = world.people[handle]
        allowed = auth.can(session, person, action, **_target(session, world, action, key))  # type: ignore[arg-type]
    assert allowed is (handle in MATRIX[(action, key)])


def test_a_refusal_is_a_clear_message_and_a_committed_audit_event(
    sessions: sessionmaker[Session], world: World, clock: FakeClock
) -> None:
    with pytest.raises(NotAllowed) as refused, sessions.begin() as session:
        item = session.exec(select(TrackedItem).where(col(TrackedItem.ref) == "TI-0002")).one()
        item.about = "changed before the check"  # pending work is thrown away, not committed
        auth.require(session, world.people["hv.amy"], auth.CHANGE_ITEM, clock=clock, item=item)
    assert refused.value.action == "change TI-0002"
    assert "referrer" in refused.value.reason
    with sessions() as session:
        events = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "access.refused")).all()
        assert [(e.actor, e.subject, e.data["action"]) for e in events] == [
            ("hv.amy", "item:TI-0002", auth.CHANGE_ITEM)
        ]
        item = session.exec(select(TrackedItem).where(col(TrackedItem.ref) == "TI-0002")).one()
        assert item.about == "referral"
        assert audit.verify(session=session).is_intact


def test_reading_someone_elses_item_is_audited_but_your_own_is_not(
    sessions: sessionmaker[Session], world: World, clock: FakeClock
) -> None:
    with sessions.begin() as session:
        item = session.exec(select(TrackedItem).where(col(TrackedItem.ref) == "TI-0001")).one()
        auth.require(session, world.people["hv.amy"], auth.VIEW_ITEM, clock=clock, item=item)
        auth.require(session, world.people["mgr.kate"], auth.VIEW_ITEM, clock=clock, item=item)
    with sessions() as session:
        reads = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "access.read")).all()
    assert [(e.actor, e.subject) for e in reads] == [("mgr.kate", "item:TI-0001")]


@pytest.mark.parametrize(
    ("handle", "refs"),
    [
        ("hv.amy", {"TI-0001"}),
        ("hv.bea", {"TI-0001"}),
        ("mgr.kate", {"TI-0001"}),
        ("mgr.tom", {"TI-0001", "TI-0002", "TI-0003"}),
        ("mgr.ben", {"TI-0002", "TI-0003"}),
        ("admin.nadia", set()),
        ("audit.sam", {"TI-0001", "TI-0002", "TI-0003"}),
    ],
)
def test_visible_items_filters_lists(
    sessions: sessionmaker[Session], world: World, handle: str, refs: set[str]
) -> None:
    with sessions() as session:
        where = auth.visible_items(session, world.people[handle])
        found = set(session.exec(select(TrackedItem.ref).where(where)).all())
    assert found == refs


@pytest.mark.parametrize(
    ("handle", "refs"),
    [
        ("hv.amy", {"ES-0001"}),
        ("mgr.ben", {"ES-0002"}),
        ("partnership.chair", {"ES-0002"}),
        ("admin.nadia", set()),
        ("audit.sam", {"ES-0001", "ES-0002"}),
    ],
)
def test_visible_escalations_filters_lists(
    sessions: sessionmaker[Session], world: World, handle: str, refs: set[str]
) -> None:
    with sessions() as session:
        where = auth.visible_escalations(session, world.people[handle])
        found = set(session.exec(select(Escalation.ref).where(where)).all())
    assert found == refs


def test_a_new_grant_counts_at_once(sessions: sessionmaker[Session], world: World) -> None:
    from storage.models import RoleGrant

    with sessions.begin() as session:
        session.add(
            RoleGrant(
                person_id=world.person_id("hv.bea"), role="manager", team_id=world.team_id("front-door")
            )
        )
    with sessions() as session:
        access = auth.access_of(session, world.people["hv.bea"])
        assert access.managed_team_ids == {world.team_id("front-door")}
        assert auth.can(session, world.people["hv.bea"], auth.RECEIVE_DIGEST)


def test_unknown_actions_are_a_programming_error(sessions: sessionmaker[Session], world: World) -> None:
    with sessions() as session, pytest.raises(ValueError):
        auth.can(session, world.people["hv.amy"], "item.delete")


def test_refusal_words_name_the_subject(
    sessions: sessionmaker[Session], world: World, clock: FakeClock
) -> None:
    clock.advance(timedelta(minutes=1))
    with pytest.raises(NotAllowed) as refused, sessions() as session:
        auth.require(
            session,
            world.people["hv.amy"],
            auth.EDIT_DIRECTORY,
            clock=clock,
            team_id=world.team_id("front-door"),
        )
    assert refused.value.action == "edit Children's front door and MASH in the directory"
