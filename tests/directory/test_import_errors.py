"""Import problems are reported with file, line or row and field, and a bad file changes nothing."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, col, func, select

from directory.document import DirectoryInvalid, Problem
from directory.exporter import export_text
from directory.importer import import_text
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, ContactRoute, Team

GOOD_TEAM = """\
version: 1
agencies:
  - key: test-agency
    name: Test agency
    kind: health
    teams:
      - key: test-team
        name: Test team
        hours:
          mon: ["09:00-17:00"]
        routes:
          - key: test-phone
            kind: phone
            value: 0161 496 0001
"""


def problems(session: Session, clock: FakeClock, text: str, fmt: str = "yaml") -> list[Problem]:
    with pytest.raises(DirectoryInvalid) as raised:
        import_text(session=session, clock=clock, text=text, file=f"bad.{fmt}", fmt=fmt, actor="admin.nadia")
    return raised.value.problems


def team_count(session: Session) -> int:
    return session.exec(select(func.count(col(Team.id)))).one()


@pytest.mark.parametrize(
    ("old", "new", "field", "line", "words"),
    [
        ('mon: ["09:00-17:00"]', 'mon: ["9-5:15pm"]', "hours", 10, "not a time like 09:00"),
        ("value: 0161 496 0001", "value: 12345", "value", 14, "not a UK phone number"),
        ("kind: phone", "kind: pager", "kind", 13, "not one of phone"),
        (
            "name: Test team",
            "name: Test team\n        review_interval_days: -5",
            "review_interval_days",
            9,
            "too small",
        ),
        (
            "name: Test team",
            "name: Test team\n        out_of_hours: nowhere",
            "out_of_hours",
            9,
            "no team nowhere",
        ),
        ("key: test-team", "key: Test Team!", "key", 7, "not a valid id"),
        ("name: Test team", "name: ''", "name", 8, "is empty"),
    ],
)
def test_each_bad_value_is_named_with_its_line(
    demo: Session, clock: FakeClock, old: str, new: str, field: str, line: int, words: str
) -> None:
    before = team_count(demo)
    found = problems(demo, clock, GOOD_TEAM.replace(old, new))
    assert [(p.field, p.location) for p in found] == [(field, f"line {line}")], found
    assert words in found[0].message
    assert str(found[0]).startswith(f"bad.yaml, line {line}, {field}: ")
    assert team_count(demo) == before


def test_invalid_email_is_reported(demo: Session, clock: FakeClock) -> None:
    text = GOOD_TEAM.replace(
        "kind: phone\n            value: 0161 496 0001",
        "kind: secure_email\n            value: not-an-address",
    )
    found = problems(demo, clock, text)
    assert found[0].field == "value" and "not an e-mail address" in found[0].message


def test_duplicate_ids_and_unknown_agency(demo: Session, clock: FakeClock) -> None:
    team = GOOD_TEAM.split("    teams:\n", 1)[1]
    text = (
        GOOD_TEAM
        + team.replace("test-phone", "other-phone")
        + "  - key: orphan\n    name: Orphan\n    kind: x\n    teams: 3\n"
    )
    found = problems(demo, clock, text)
    messages = " | ".join(str(p) for p in found)
    assert "team test-team appears twice" in messages
    assert "must be a list of teams" in messages


def test_not_yaml_at_all(demo: Session, clock: FakeClock) -> None:
    found = problems(demo, clock, "agencies: [\n  - {")
    assert found[0].field == "file" and found[0].location.startswith("line ")


def test_every_problem_is_listed_and_nothing_is_stored(demo: Session, clock: FakeClock) -> None:
    yaml_text = export_text(session=demo, fmt="yaml")
    bad = yaml_text.replace("0161 496 0100", "0161 496", 1).replace("- 09:00-17:15", "- 9am-5pm", 1)
    routes_before = demo.exec(select(func.count(col(ContactRoute.id)))).one()
    audits_before = demo.exec(select(func.count(col(AuditEvent.id)))).one()
    found = problems(demo, clock, bad)
    assert {p.field for p in found} == {"value", "hours"}
    assert demo.exec(select(func.count(col(ContactRoute.id)))).one() == routes_before
    assert demo.exec(select(func.count(col(AuditEvent.id)))).one() == audits_before


def test_csv_problems_name_the_row(demo: Session, clock: FakeClock) -> None:
    lines = export_text(session=demo, fmt="csv").splitlines()
    row = next(i for i, line in enumerate(lines) if ",mash@northbrook.example.org," in line)
    lines[row] = lines[row].replace(",mash@northbrook.example.org,", ",mash-at-northbrook,")
    found = problems(demo, clock, "\n".join(lines) + "\n", fmt="csv")
    assert [(p.location, p.field) for p in found] == [(f"row {row + 1}", "value")]


def test_csv_without_its_key_columns(demo: Session, clock: FakeClock) -> None:
    found = problems(demo, clock, "name,phone\nx,0161 496 0000\n", fmt="csv")
    assert found[0].location == "row 1" and "team_key" in found[0].field


def test_oruk_problems_name_the_line(demo: Session, clock: FakeClock) -> None:
    data = json.loads(export_text(session=demo, fmt="oruk"))
    data["services"][2]["joinup"]["hours"] = {"mon": ["9-5"]}
    del data["services"][3]["name"]
    text = json.dumps(data, indent=2)
    found = problems(demo, clock, text, fmt="oruk")
    by_field = {p.field: p for p in found}
    assert "hours" in by_field and by_field["hours"].location.startswith("line ")
    line = int(by_field["hours"].location.split()[1])
    assert '"hours"' in text.splitlines()[line - 1]
    assert "'name' is a required property" in by_field["service"].message


def test_oruk_not_json(demo: Session, clock: FakeClock) -> None:
    found = problems(demo, clock, '{"services": [', fmt="oruk")
    assert found[0].location == "line 1" and "not valid JSON" in found[0].message


@pytest.mark.parametrize("text", ["\r\x11", 'agency_key,team_key,team_name\n"unclosed,x,y\n', "a\rb\x00c"])
def test_csv_that_is_not_csv_is_refused_with_a_problem(demo: Session, clock: FakeClock, text: str) -> None:
    found = problems(demo, clock, text, fmt="csv")
    assert found and all(p.location.startswith("row ") for p in found)


def test_a_uuid_another_record_holds_is_refused(demo: Session, clock: FakeClock) -> None:
    # An export whose agency id was renamed but kept its uuid: importing it would give two agencies one uuid.
    exported = json.loads(export_text(session=demo, fmt="oruk"))
    first, second = exported["organizations"][:2]
    first["id"] = first["joinup"]["uuid"] = second["id"]
    first["joinup"]["key"] = "renamed-agency"
    second["joinup"]["uuid"] = second["id"] = "11111111-2222-5333-8444-555555555555"
    found = problems(demo, clock, json.dumps(exported), fmt="oruk")
    (problem,) = [p for p in found if p.field == "uuid"]
    assert "already belongs to agency" in problem.message and "its own uuid" in problem.message
    # Same shape in YAML: a new team with the uuid of a stored one.
    lado = demo.exec(select(Team).where(col(Team.key) == "lado")).one()
    text = GOOD_TEAM.replace("        name: Test team", f"        uuid: {lado.uuid}\n        name: Test team")
    [problem] = problems(demo, clock, text)
    assert problem.message.startswith(f"{lado.uuid} already belongs to team lado")
    assert team_count(demo) == demo.exec(select(func.count()).select_from(Team)).one()
