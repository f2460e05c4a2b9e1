"""The Northbrook demo borough: the directory shipped in demo.yaml and the demo people who use it."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, col, select

from directory.cards import PROFESSIONAL, PUBLIC
from directory.checks import check_document
from directory.document import DirectoryDoc, DirectoryInvalid
from directory.pull import SourceReport, read_records
from directory.pull_fetch import records_from_text
from directory.records import Collector
from directory.sources import DEFAULT_EVERY, add_source, store_records
from directory.store import apply_document
from directory.yaml_format import parse_yaml
from schedules.time.clock import Clock
from storage import audit
from storage.models import Agency, DirectorySource, Person, RoleGrant, Team

DEMO_FILE = Path(__file__).with_name("demo.yaml")
# The newest verification in the demo file lands this long before "now", so the demo is fresh
# (except the entry kept deliberately stale) whatever day it is started on.
_NEWEST_VERIFIED_AGO = timedelta(days=7)
DEMO_ACTOR = "system:demo"


@dataclass(frozen=True, slots=True)
class DemoPerson:
    """One demo user: who they are, where they work, and any extra role."""

    handle: str
    display_name: str
    job_title: str
    role: str = "practitioner"
    team: str | None = None
    manager: str | None = None
    grant_team: str | None = None  # manager of this team
    grant_agency: str | None = None  # directory admin of this agency


# Managers come first so the people who report to them can point at them.
DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(
        "mgr.kate",
        "Kate Morris",
        "Health visiting team leader",
        "manager",
        "health-visiting",
        grant_team="health-visiting",
    ),
    DemoPerson(
        "mgr.tom", "Tom Rahman", "Front door team manager", "manager", "front-door", grant_team="front-door"
    ),
    DemoPerson(
        "mgr.ben", "Ben Okafor", "CMHT team manager (north)", "manager", "cmht-north", grant_team="cmht-north"
    ),
    DemoPerson("hv.amy", "Amy Hughes", "Health visitor", team="health-visiting", manager="mgr.kate"),
    DemoPerson("gp.omar", "Dr Omar Siddiqui", "GP and practice safeguarding lead", team="gp-safeguarding"),
    DemoPerson(
        "dsl.priya", "Priya Shah", "Designated safeguarding lead, Ashgrove Primary School", team="schools"
    ),
    DemoPerson(
        "amh.lee", "Lee Walker", "Adult mental health practitioner", team="cmht-north", manager="mgr.ben"
    ),
    DemoPerson(
        "sw.jo", "Jo Bennett", "Social worker, children's front door", team="front-door", manager="mgr.tom"
    ),
    DemoPerson(
        "admin.nadia",
        "Nadia Osei",
        "Directory administrator",
        "directory_admin",
        "front-door",
        grant_agency="nb-childrens",
    ),
    DemoPerson(
        "partnership.chair",
        "Morgan Ellis",
        "Safeguarding partnership business manager",
        "partnership",
        "partnership",
    ),
    DemoPerson("audit.sam", "Sam Taylor", "Information governance auditor", "auditor"),
)


def demo_document() -> DirectoryDoc:
    """Read and check the shipped demo directory (a fresh copy each call).

    Raises:
        DirectoryInvalid: the shipped file has problems (a packaging bug; the tests guard against it).
    """
    return copy.deepcopy(_demo_document())


@lru_cache(maxsize=1)
def _demo_document() -> DirectoryDoc:
    doc, wheres, problems = parse_yaml(DEMO_FILE.read_text(encoding="utf-8"), file=DEMO_FILE.name)
    collector = Collector(DEMO_FILE.name)
    collector.problems.extend(problems)
    check_document(collector, doc, wheres)
    if collector.problems:
        raise DirectoryInvalid(collector.problems)
    return doc


def _shift_verification(doc: DirectoryDoc, now: datetime) -> None:
    verified = [t.last_verified_at for t in doc.teams if t.last_verified_at is not None]
    if not verified:
        return
    delta = (now - _NEWEST_VERIFIED_AGO) - max(verified)
    for team in doc.teams:
        if team.last_verified_at is not None:
            team.last_verified_at += delta


def load_demo(session: Session, clock: Clock) -> None:
    """Load the Northbrook directory and demo people, adding only what is missing (safe to run twice)."""
    if session.exec(select(Team.id).where(col(Team.key) == "front-door")).first() is None:
        doc = demo_document()
        _shift_verification(doc, clock.now())
        apply_document(session=session, doc=doc)
        audit.record(
            session=session,
            at=clock.now(),
            actor=DEMO_ACTOR,
            action="directory.demo_loaded",
            subject="directory:demo",
            data={"agencies": len(doc.agencies), "teams": len(doc.teams)},
        )
    _seed_people(session, clock)


def _seed_people(session: Session, clock: Clock) -> None:
    teams = {t.key: t.id for t in session.exec(select(Team))}
    agencies = {a.key: a.id for a in session.exec(select(Agency))}
    people = {p.handle: p for p in session.exec(select(Person))}
    added: list[str] = []
    for item in DEMO_PEOPLE:
        person = people.get(item.handle)
        if person is None:
            manager = people.get(item.manager or "")
            person = Person(
                handle=item.handle,
                display_name=item.display_name,
                email=f"{item.handle}@example.org",
                job_title=item.job_title,
                role=item.role,
                team_id=teams.get(item.team) if item.team else None,
                manager_id=manager.id if manager else None,
                is_onboarded=True,
                created_at=clock.now(),
            )
            session.add(person)
            session.flush()
            people[item.handle] = person
            added.append(item.handle)
        _grant(session, person, item, teams=teams, agencies=agencies)
    if added:
        audit.record(
            session=session,
            at=clock.now(),
            actor=DEMO_ACTOR,
            action="person.demo_seeded",
            subject="people:demo",
            data={"handles": added},
        )


def _grant(
    session: Session,
    person: Person,
    item: DemoPerson,
    *,
    teams: dict[str, int | None],
    agencies: dict[str, int | None],
) -> None:
    if item.role == "practitioner":
        return
    team_id = teams.get(item.grant_team) if item.grant_team else None
    agency_id = agencies.get(item.grant_agency) if item.grant_agency else None
    exists = session.exec(
        select(RoleGrant.id).where(
            col(RoleGrant.person_id) == person.id,
            col(RoleGrant.role) == item.role,
            col(RoleGrant.team_id) == team_id if team_id else col(RoleGrant.team_id).is_(None),
            col(RoleGrant.agency_id) == agency_id if agency_id else col(RoleGrant.agency_id).is_(None),
        )
    ).first()
    if exists is None:
        assert person.id is not None
        session.add(RoleGrant(person_id=person.id, role=item.role, team_id=team_id, agency_id=agency_id))


# Millbridge, the neighbouring authority, publishes its safeguarding routes and its family services as Open
# Referral feeds; the demo registers both as sources and pulls the bundled copies of them.
DEMO_FEEDS = Path(__file__).with_name("demo_feeds")
NEIGHBOUR_FEEDS = (("millbridge", "millbridge.json", PROFESSIONAL), ("millbridge-families", "millbridge-family-services.json", PUBLIC))  # fmt: skip


def load_demo_neighbours(session: Session, clock: Clock) -> None:
    """Register and pull the demo's neighbour feeds (Millbridge), adding only what is missing."""
    for name, file, kind in NEIGHBOUR_FEEDS:
        if (
            session.exec(select(DirectorySource.id).where(col(DirectorySource.name) == name)).first()
            is not None
        ):
            continue
        path = DEMO_FEEDS / file
        source = add_source(session=session, clock=clock, name=name, url=str(path), kind=kind,
                            every=DEFAULT_EVERY, actor=DEMO_ACTOR)  # fmt: skip
        records = records_from_text(path.read_text(encoding="utf-8"), where=file)
        report = read_records(SourceReport(name), records)
        store_records(session=session, clock=clock, source=source, report=report, actor=DEMO_ACTOR)
