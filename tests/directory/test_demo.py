"""The shipped Northbrook demo: valid, big enough, idempotent, with its demo people."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, func, select

from directory.concerns import shipped_taxonomy, unknown_concern_ids
from directory.demo import DEMO_PEOPLE, demo_document, load_demo
from directory.fields import check_email, check_phone
from schedules.time.clock import FakeClock
from storage.models import Agency, AuditEvent, ContactRoute, EscalationContact, Person, RoleGrant, Team

REQUIRED_TEAMS = {
    "front-door", "edt", "adults-front-door", "cmht-north", "perinatal", "health-visiting", "school-nursing",
    "midwifery", "gp-safeguarding", "police-mash", "early-help", "lado", "camhs", "housing", "probation",
    "drug-alcohol", "designated-nurse", "schools", "partnership",
    # A Prevent route, missing children, exploitation and the other services a safeguarding lead expects.
    "prevent-lead", "police-prevent", "channel-panel", "police-missing", "return-home-interviews", "cme-officer",
    "young-carers", "sarc", "exploitation-team", "youth-justice", "virtual-school", "disabled-children",
    "adult-ld", "fmu",
}  # fmt: skip


def test_demo_file_is_valid_and_big_enough() -> None:
    doc = demo_document()
    assert len(doc.agencies) >= 10
    assert len(doc.teams) >= 45
    assert sum(len(t.routes) for t in doc.teams) >= 40
    assert {t.key for t in doc.teams} >= REQUIRED_TEAMS
    four_levels = [t.key for t in doc.teams if {e.level for e in t.escalation} >= {1, 2, 3, 4}]
    assert {"front-door", "adults-front-door", "health-visiting", "cmht-north", "police-mash"} <= set(
        four_levels
    )


def test_demo_uses_only_fictional_contact_details() -> None:
    national = {a.key for a in demo_document().agencies if a.kind == "national"}
    for team in demo_document().teams:
        if team.agency_key in national:
            continue  # a national line (the Forced Marriage Unit) has its one published number
        for route in team.routes:
            if route.kind == "phone":
                digits = check_phone(route.value).replace(" ", "")
                assert digits in ("999", "101") or digits.startswith(("01614960", "07700900")), route.key
            elif "email" in route.kind:
                assert check_email(route.value).endswith("example.org"), route.key
            else:
                assert ".example.org/" in route.value, route.key


def test_front_door_hours_match_the_issue() -> None:
    team = next(t for t in demo_document().teams if t.key == "front-door")
    assert team.hours["thu"] == [("09:00", "17:15")]
    assert team.hours["fri"] == [("09:00", "17:00")]
    assert team.out_of_hours_team_key == "edt"
    assert "sat" not in team.hours


def test_load_demo_is_idempotent(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    for _ in range(2):
        with sessions.begin() as session:
            load_demo(session, clock)
    with sessions() as session:
        assert session.exec(select(func.count(col(Team.id)))).one() == len(demo_document().teams)
        assert session.exec(select(func.count(col(Agency.id)))).one() == len(demo_document().agencies)
        assert session.exec(select(func.count(col(ContactRoute.id)))).one() >= 40
        assert session.exec(select(func.count(col(EscalationContact.id)))).one() >= 40
        assert session.exec(select(func.count(col(Person.id)))).one() == len(DEMO_PEOPLE)
        loaded = session.exec(
            select(AuditEvent).where(col(AuditEvent.action) == "directory.demo_loaded")
        ).all()
        assert len(loaded) == 1


def test_demo_people_have_teams_managers_and_grants(demo: Session) -> None:
    people = {p.handle: p for p in demo.exec(select(Person))}
    teams = {t.id: t.key for t in demo.exec(select(Team))}
    assert all(p.is_onboarded and (p.email or "").endswith("@example.org") for p in people.values())
    assert teams[people["hv.amy"].team_id] == "health-visiting"
    assert people["hv.amy"].manager_id == people["mgr.kate"].id
    assert people["amh.lee"].manager_id == people["mgr.ben"].id
    assert people["sw.jo"].manager_id == people["mgr.tom"].id
    assert teams[people["dsl.priya"].team_id] == "schools"
    grants: dict[tuple[int | None, str], RoleGrant] = {
        (g.person_id, g.role): g for g in demo.exec(select(RoleGrant))
    }
    assert teams[grants[(people["mgr.kate"].id, "manager")].team_id] == "health-visiting"
    admin = grants[(people["admin.nadia"].id, "directory_admin")]
    agency = demo.get(Agency, admin.agency_id)
    assert agency is not None and agency.key == "nb-childrens"
    assert (people["partnership.chair"].id, "partnership") in grants
    assert (people["audit.sam"].id, "auditor") in grants


def test_demo_keeps_one_entry_stale_and_the_rest_fresh(demo: Session, clock: FakeClock) -> None:
    from datetime import timedelta

    now = clock.now()
    stale = [
        t.key
        for t in demo.exec(select(Team))
        if t.last_verified_at is None or t.last_verified_at + timedelta(days=t.review_interval_days) <= now
    ]
    assert stale == ["hidden-harm"]


def test_every_team_handles_concerns_the_taxonomy_defines_and_most_are_tagged() -> None:
    taxonomy = shipped_taxonomy()
    doc = demo_document()
    for team in doc.teams:
        assert unknown_concern_ids(taxonomy, [*team.concerns, *team.also_concerns]) == [], team.key
    tagged = [t for t in doc.teams if t.concerns or t.also_concerns]
    assert len(tagged) >= 44
    handled = {c for t in doc.teams for c in (*t.concerns, *t.also_concerns)}
    # Every concern with a duty has a team that handles it.
    assert {c.id for c in taxonomy.concerns if c.duty is not None} <= handled
