"""Export → import round-trips without loss in every format; the ORUK export follows HSDS 3.0."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, SQLModel

from directory.document import AgencyDoc, DirectoryDoc, EscalationDoc, RouteDoc, TeamDoc
from directory.exporter import dump, export_text
from directory.importer import import_text
from directory.oruk_format import SCHEMA_DIR
from directory.store import apply_document, load_document
from schedules.time.clock import FakeClock
from storage.db import make_engine

SHARED_ORUK = Path(__file__).resolve().parents[3] / "shared" / "oruk" / "hsds-3.0" / "compiled"
FORMATS = ("yaml", "csv", "oruk")


def fresh_session() -> Session:
    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    return Session(engine)


def reimport(doc: DirectoryDoc, fmt: str, clock: FakeClock) -> DirectoryDoc:
    with fresh_session() as session:
        import_text(session=session, clock=clock, text=dump(doc, fmt), file=f"x.{fmt}", fmt=fmt, actor="t")
        return load_document(session=session)


@pytest.mark.parametrize("fmt", FORMATS)
def test_demo_round_trips(demo: Session, clock: FakeClock, fmt: str) -> None:
    original = load_document(session=demo)
    back = reimport(original, fmt, clock)
    if fmt == "csv":  # synonyms are YAML and ORUK only
        assert back.synonyms == {}
        back.synonyms = original.synonyms
    assert back == original


def test_reimporting_the_same_export_changes_nothing(demo: Session, clock: FakeClock) -> None:
    before = load_document(session=demo)
    summary = import_text(
        session=demo,
        clock=clock,
        text=export_text(session=demo, fmt="yaml"),
        file="x.yaml",
        fmt="yaml",
        actor="t",
    )
    assert (
        summary.teams_added == 0
        and summary.routes_removed == 0
        and summary.teams_updated == len(before.teams)
    )
    assert load_document(session=demo) == before


def validator(path: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_oruk_export_validates_against_the_hsds_schema(demo: Session) -> None:
    data = json.loads(export_text(session=demo, fmt="oruk"))
    check = validator(SCHEMA_DIR / "service.json")
    assert len(data["services"]) >= 18
    for service in data["services"]:
        errors = [e.message for e in check.iter_errors(service)]
        assert errors == [], (service["name"], errors)
    front_door = next(s for s in data["services"] if s["joinup"]["key"] == "front-door")
    assert {p["number"] for p in front_door["phones"]} >= {"0161 496 0100", "0161 496 0101"}
    thursday = next(s for s in front_door["schedules"] if s.get("byday") == "TH")
    assert (thursday["opens_at"], thursday["closes_at"], thursday["freq"]) == ("09:00", "17:15", "WEEKLY")


def test_shipped_schema_is_the_shared_copy() -> None:
    if not SHARED_ORUK.is_dir():
        pytest.skip("the shared ORUK folder is not beside this checkout")
    for name in ("service.json", "service_list.json"):
        assert (SCHEMA_DIR / name).read_bytes() == (SHARED_ORUK / name).read_bytes()


def test_plain_hsds_feed_imports(clock: FakeClock) -> None:
    """A feed from another system (no joinup extension) still becomes agencies, teams, routes and hours."""
    example = {
        "services": [
            {
                "id": "ac148810-d857-441c-9679-408f346de14b",
                "name": "Community Counselling",
                "description": "Counselling for adults.",
                "status": "active",
                "email": "counselling@example.org",
                "organization": {"id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c174", "name": "Example Org", "description": "x"},
                "phones": [{"id": "1554f2e2-a373-45db-a3fa-9fc48a61c15e", "number": "0161 496 0999"}],
                "schedules": [
                    {"id": "48102e86-bb50-41c4-8f1e-e269368c41d1", "freq": "WEEKLY", "byday": "MO,TU",
                     "opens_at": "09:00", "closes_at": "17:00"},
                ],
                "service_areas": [{"id": "a8f3e2c3-7f6b-4a39-9a6d-8a2e7e1d5c11", "name": "north"}],
                "contacts": [
                    {"id": "5e4b3c2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a", "title": "Service manager",
                     "department": "Escalation level 2", "email": "manager@example.org"},
                ],
            }
        ]
    }  # fmt: skip
    with fresh_session() as session:
        import_text(
            session=session, clock=clock, text=json.dumps(example), file="feed.json", fmt="oruk", actor="t"
        )
        doc = load_document(session=session)
    team = doc.teams[0]
    assert (team.key, team.agency_key, team.areas) == ("community-counselling", "example-org", ["north"])
    assert team.hours == {"mon": [("09:00", "17:00")], "tue": [("09:00", "17:00")]}
    assert [(r.kind, r.value) for r in team.routes] == [
        ("phone", "0161 496 0999"),
        ("email", "counselling@example.org"),
    ]
    assert team.escalation == [EscalationDoc(2, "Service manager", "email", "manager@example.org")]


# --- property: any valid directory survives every format ----------------------------------------------
_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\u2028\u2029"
    ),
    max_size=30,
).map(str.strip)
_key = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
_phone = st.integers(0, 999).map(lambda n: f"0161 496 {n:04d}")
_email = st.sampled_from(["duty@northbrook.example.org", "mash@northbrook.example.org", "a.b@example.org"])
_minutes = st.integers(0, 23 * 60).map(lambda m: m - m % 15)


@st.composite
def _hours(draw: st.DrawFn) -> dict[str, list[tuple[str, str]]]:
    hours: dict[str, list[tuple[str, str]]] = {}
    for day in draw(
        st.lists(
            st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun", "bank_holiday"]), unique=True
        )
    ):
        start = draw(_minutes)
        end = max(start + 15, draw(st.integers(start + 15, 24 * 60)) // 15 * 15)
        hours[day] = [(f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}")]
    return hours


@st.composite
def _route(draw: st.DrawFn, key: str) -> RouteDoc:
    kind = draw(st.sampled_from(["phone", "secure_email", "email", "portal", "chat"]))
    value = draw(
        _phone if kind == "phone" else _email if "email" in kind else st.just("https://portal.example.org/x")
    )
    return RouteDoc(
        key=key, kind=kind, value=value, label=draw(_text), when_to_use=draw(_text),
        how_to_leave_message=draw(_text), ack_expected=draw(st.none() | st.integers(0, 20)),
        ack_unit=draw(st.sampled_from(["working_hours", "working_days"])),
        response_expected=draw(st.none() | st.integers(0, 20)), priority=draw(st.integers(0, 5)),
        is_public=draw(st.booleans()),
    )  # fmt: skip


@st.composite
def directories(draw: st.DrawFn) -> DirectoryDoc:
    agency_keys = draw(st.lists(_key, min_size=1, max_size=2, unique=True))
    agencies = [
        AgencyDoc(key=k, name=draw(_text.filter(bool)), kind="health", description=draw(_text))
        for k in agency_keys
    ]
    team_keys = draw(st.lists(_key, min_size=1, max_size=3, unique=True))
    teams = []
    for number, key in enumerate(team_keys):
        verified = draw(
            st.none()
            | st.integers(0, 400).map(lambda d: datetime(2026, 1, 1, 9, tzinfo=UTC) + timedelta(days=d))
        )
        teams.append(
            TeamDoc(
                key=key, name=draw(_text.filter(bool)), agency_key=draw(st.sampled_from(agency_keys)),
                purpose=draw(_text), handles=draw(_text), not_for=draw(_text),
                areas=draw(st.lists(_text.filter(lambda t: bool(t) and ";" not in t), max_size=2, unique=True)),
                hours=draw(_hours()), is_open_bank_holidays=draw(st.booleans()),
                out_of_hours_team_key=draw(st.none() | st.sampled_from([k for k in team_keys if k != key] or [""]))
                or None,
                owner_handle=draw(st.none() | st.just("admin.nadia")), last_verified_at=verified,
                review_interval_days=draw(st.integers(1, 400)), is_public=draw(st.booleans()),
                is_immediate_danger=draw(st.booleans()),
                routes=[draw(_route(f"{key}-r{n}")) for n in range(draw(st.integers(0, 2)))],
                escalation=[EscalationDoc(level, f"Level {level} lead", "phone", f"0161 496 0{number}{level}0")
                            for level in range(1, draw(st.integers(1, 4)))],
            )
        )  # fmt: skip
    synonyms = draw(
        st.dictionaries(
            st.sampled_from(["mash", "hv", "edt"]), st.lists(_key, min_size=1, max_size=2, unique=True)
        )
    )
    return DirectoryDoc(agencies=agencies, teams=teams, synonyms=synonyms)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=directories())
def test_any_directory_round_trips(doc: DirectoryDoc) -> None:
    clock = FakeClock(datetime(2026, 11, 25, 10, tzinfo=UTC))
    with fresh_session() as session:
        apply_document(session=session, doc=doc)
        stored = load_document(session=session)
    for fmt in FORMATS:
        back = reimport(stored, fmt, clock)
        if fmt == "csv":  # CSV has no synonyms
            back.synonyms = stored.synonyms
        assert canonical(back) == canonical(stored), fmt


def canonical(doc: DirectoryDoc) -> DirectoryDoc:
    """The same directory with agencies and teams in key order (YAML groups teams under their agency)."""
    return DirectoryDoc(
        agencies=sorted(doc.agencies, key=lambda a: a.key),
        teams=sorted(doc.teams, key=lambda t: t.key),
        synonyms=doc.synonyms,
    )
