"""The concern taxonomy: shipped data, refusing bad files, concern-first answers and coverage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, func, select

from bot.cli.directory import directory
from directory.answer import answer
from directory.concern_match import matcher_for
from directory.concerns import ConcernsInvalid, parse_concerns, shipped_taxonomy, shipped_text, store_taxonomy
from directory.csv_format import dump_csv
from directory.demo import DEMO_FILE, demo_document
from directory.document import DirectoryInvalid
from directory.importer import import_text
from directory.oruk_export import concern_term_id, dump_oruk
from directory.oruk_format import parse_oruk
from handlers.find.screen import duty_line
from schedules.time.clock import FakeClock
from storage.db import make_engine
from storage.models import AuditEvent, ConcernTaxonomy
from tests.conftest import START

# The concerns the issue names, by the words a practitioner would use for them.
REQUIRED = {
    "neglect": "neglect",
    "bruise on a baby who is not mobile": "bruising-non-mobile-baby",
    "child disclosed sexual abuse": "sexual-abuse-disclosure",
    "CSE": "cse",
    "county lines": "county-lines",
    "missing from home": "missing-from-home",
    "child missing education": "missing-education",
    "trafficking": "child-trafficking",
    "modern slavery adult": "adult-modern-slavery",
    "online abuse": "online-abuse",
    "FGM": "fgm",
    "forced marriage": "forced-marriage",
    "honour based abuse": "honour-based-abuse",
    "radicalisation": "radicalisation",
    "private fostering": "private-fostering",
    "young carer": "young-carer",
    "homeless 16 year old": "homeless-16-17",
    "child on child abuse": "child-on-child-abuse",
    "allegation against a foster carer": "allegation-foster-carer",
    "concern about a volunteer": "allegation-volunteer",
    "parental mental health": "parental-mental-health",
    "dad drinking kids at home": "parental-substance-use",
    "domestic abuse children at home": "domestic-abuse-children",
    "perinatal mental health": "perinatal-mental-health",
    "concern about an unborn baby": "pregnancy-concern",
    "self harm": "self-harm",
    "suicidal adult": "suicidal-adult",
    "financial abuse": "adult-financial-abuse",
    "self neglect": "self-neglect",
    "hoarding": "hoarding",
    "elderly man neglected by his carer": "adult-neglect-by-carer",
    "adult with learning disabilities exploited": "adult-ld-exploitation",
    "strategy discussion": "strategy-discussion",
    "ICPC": "icpc",
    "core group": "core-group",
    "MARAC": "high-risk-domestic-abuse",
    "section 47": "section-47",
    "early help assessment": "early-help-assessment",
}


def test_the_shipped_taxonomy_has_at_least_80_concerns_and_duties_only_from_domain() -> None:
    taxonomy = shipped_taxonomy()
    assert len(taxonomy.concerns) >= 80
    assert len({c.id for c in taxonomy.concerns}) == len(taxonomy.concerns)
    duties = {c.id: c.duty for c in taxonomy.concerns if c.duty is not None}
    # The "who must be told" table: FGM, Prevent, forced marriage, private fostering, homeless 16/17s,
    # bruising in non-mobile babies, missing children, missing education, exploitation, allegations.
    sources = {d.source.split(" ")[0] for d in duties.values()}
    assert sources <= {"FGM", "Counter-Terrorism", "forcing", "Children", "R", "local", "DfE", "Education",
                       "Modern", "Working"}  # fmt: skip
    fgm = duties["fgm"]
    assert fgm.nations == ("ENG", "WLS") and "101" in fgm.who and fgm.unverified
    assert duties["private-fostering"].nations == ("ENG",)
    assert all(d.source and d.who and d.scope and d.nations for d in duties.values())


@pytest.mark.parametrize(("said", "concern"), sorted(REQUIRED.items()))
def test_practitioners_words_map_to_the_concern(said: str, concern: str) -> None:
    matches = matcher_for(shipped_taxonomy()).match(said)
    assert concern in [m.concern.id for m in matches]


@pytest.mark.parametrize(
    ("typed", "concern"),
    [("privat fostring", "private-fostering"), ("forced marrige", "forced-marriage"),
     ("radicalization", "radicalisation"), ("hording", "hoarding"), ("domestik abuse", "domestic-abuse"),
     ("kids", None), ("the and of", None), ("?!", None)],
)  # fmt: skip
def test_typos_are_forgiven_and_generic_words_alone_are_not_a_concern(
    typed: str, concern: str | None
) -> None:
    matches = [m.concern.id for m in matcher_for(shipped_taxonomy()).match(typed)]
    assert matches == ([concern] if concern else [])


BAD_FILE = """
version: 1
defaults: {child: front-door, adult: no-such-team}
concerns:
  - {id: fgm, about: child, says: [fgm], means: "FGM.", duty: {who: police, scope: under 18, nations: [ENG], line: Report it.}}
  - {id: fgm, about: child, says: [cutting], means: "Again."}
  - {id: odd, about: pets, says: [], means: ""}
"""


def test_a_bad_concern_file_is_refused_with_every_problem_listed_and_nothing_changes(
    demo: Session, clock: FakeClock
) -> None:
    with pytest.raises(ConcernsInvalid) as caught:
        store_taxonomy(session=demo, clock=clock, text=BAD_FILE, loaded_by="admin.nadia")
    problems = "\n".join(caught.value.problems)
    assert "there is no team no-such-team in the directory" in problems
    assert "the id fgm is used twice" in problems
    assert "concern fgm: the duty has no source (the Act, regulation or guidance it comes from)" in problems
    assert "about must be child, adult or both, not 'pets'" in problems
    assert "says must list the words" in problems and "means must say in one line" in problems
    assert demo.exec(select(func.count()).select_from(ConcernTaxonomy)).one() == 0


def test_a_good_concern_file_is_stored_audited_and_used_by_search(
    sessions: sessionmaker[Session], demo: Session, clock: FakeClock
) -> None:
    edited = shipped_text().replace(
        "says: [private fostering,", "says: [informal fostering, private fostering,"
    )
    with sessions.begin() as session:
        version, is_new = store_taxonomy(session=session, clock=clock, text=edited, loaded_by="admin.nadia")
    assert (version, is_new) == (1, True)
    with sessions() as session:
        found = answer(session, "informal fostering", at=clock.now())
        assert found.results[0].team.key == "front-door" and not found.is_safe_default
        actions = session.exec(select(AuditEvent.action)).all()
    assert "concerns.loaded" in actions
    with sessions.begin() as session:
        assert store_taxonomy(session=session, clock=clock, text=edited, loaded_by="admin.nadia") == (
            1,
            False,
        )


def test_dropping_a_concern_a_team_handles_is_refused(demo: Session, clock: FakeClock) -> None:
    text = shipped_text()
    start = text.index("  - {id: young-carer,")
    edited = text[:start] + text[text.index("\n", start) + 1 :]
    with pytest.raises(ConcernsInvalid) as caught:
        store_taxonomy(session=demo, clock=clock, text=edited, loaded_by="admin.nadia")
    assert "team young-carers handles young-carer, which this file no longer defines" in "\n".join(
        caught.value.problems
    )


def test_a_directory_file_tagging_an_unknown_concern_is_refused(demo: Session, clock: FakeClock) -> None:
    text = DEMO_FILE.read_text(encoding="utf-8").replace(
        "concerns: [young-carer]", "concerns: [young-carerz]"
    )
    with pytest.raises(DirectoryInvalid) as caught:
        import_text(session=demo, clock=clock, text=text, file="demo.yaml", fmt="yaml", actor="t")
    assert any("there is no concern young-carerz" in str(p) for p in caught.value.problems)


@pytest.mark.parametrize("text", ["the and of", "?!", "", "...", "and the"])
def test_stopwords_or_punctuation_get_the_safe_default(demo: Session, clock: FakeClock, text: str) -> None:
    found = answer(demo, text, at=clock.now())
    assert found.is_safe_default and [r.team.key for r in found.results] == ["front-door"]


def test_an_adult_safe_default_is_the_adults_front_door(demo: Session, clock: FakeClock) -> None:
    found = answer(demo, "elderly neighbour worried", at=clock.now())
    assert found.about == "adult"
    assert [r.team.key for r in found.results] in (["adults-front-door"], ["adult-safeguarding"])


@pytest.mark.parametrize(
    ("text", "first", "never"),
    [
        ("private fostering", "front-door", {"lado"}),
        ("prevent", "prevent-lead", {"housing"}),
        ("female genital mutilation", "front-door", {"housing"}),
        ("domestic abuse children at home", "front-door", {"housing"}),
        ("dad drinking heavily and kids at home", "front-door", {"housing"}),
        ("young carer", "young-carers", {"lado", "camhs"}),
        ("elderly man neglected by his carer", "adult-safeguarding", {"front-door", "lado"}),
        ("16 year old sofa surfing", "front-door", {"perinatal"}),
    ],
)
def test_the_issues_examples_rank_the_right_team_first(
    demo: Session, clock: FakeClock, text: str, first: str, never: set[str]
) -> None:
    found = answer(demo, text, at=clock.now())
    keys = [r.team.key for r in found.results]
    assert keys[0] == first and not (set(keys) & never) and len(keys) <= 3


def test_results_are_never_padded(demo: Session, clock: FakeClock) -> None:
    assert [r.team.key for r in answer(demo, "private fostering", at=clock.now()).results] == ["front-door"]


def test_untagged_teams_are_still_found_by_their_words_and_listed_by_coverage(tmp_path: Path) -> None:
    # An area's first CSV import says nothing about concerns: its teams are found by their words.
    doc = demo_document()
    for team in doc.teams:
        team.concerns = [c for c in team.concerns if c != "young-carer"]
        team.also_concerns = [c for c in team.also_concerns if c != "young-carer"]
    db = f"sqlite:///{tmp_path / 'joinup.db'}"
    first_import = tmp_path / "area.csv"
    first_import.write_text(dump_csv(doc), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(directory, ["import", str(first_import), "--db", db])
    assert result.exit_code == 0, result.output
    result = runner.invoke(directory, ["coverage", "--db", db])
    assert "Young carers service (young-carers)" in result.output
    assert "nobody handles young-carer" in result.output
    engine = make_engine(db)
    with Session(engine) as session:
        found = answer(session, "young carer", at=START)
    assert [r.team.key for r in found.results][:1] == ["young-carers"] and not found.is_safe_default


def test_the_concerns_command_lists_every_problem_and_changes_nothing(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'joinup.db'}"
    bad = tmp_path / "concerns.yaml"
    bad.write_text(BAD_FILE, encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(directory, ["import", str(DEMO_FILE), "--db", db]).exit_code == 0
    result = runner.invoke(directory, ["concerns", str(bad), "--db", db])
    assert result.exit_code == 1
    assert "problem(s) in concerns.yaml; nothing was changed" in result.output
    assert "the id fgm is used twice" in result.output and "no-such-team" in result.output
    good = tmp_path / "good.yaml"
    good.write_text(shipped_text(), encoding="utf-8")
    result = runner.invoke(directory, ["concerns", str(good), "--db", db])
    assert result.exit_code == 0 and "loaded as concern taxonomy version 1" in result.output


def test_parse_refuses_invalid_yaml() -> None:
    with pytest.raises(ConcernsInvalid) as caught:
        parse_concerns("concerns: [unclosed")
    assert "not valid YAML" in caught.value.problems[0]


def test_oruk_export_carries_concerns_as_taxonomy_terms_with_stable_ids_and_imports_them_back() -> None:
    doc = demo_document()
    exported = json.loads(dump_oruk(doc))
    service = next(s for s in exported["services"] if s["name"] == "Young carers service")
    [attribute] = service["attributes"]
    assert attribute["value"] == "primary" and attribute["taxonomy_term"]["code"] == "young-carer"
    assert attribute["taxonomy_term"]["taxonomy"] == "joinup-safeguarding-concerns"
    assert (
        attribute["taxonomy_term_id"]
        == concern_term_id("young-carer")
        == json.loads(dump_oruk(doc))["services"][exported["services"].index(service)]["attributes"][0][
            "taxonomy_term_id"
        ]
    )
    # A plain ORUK feed from another system has no joinup record: the terms alone say what it handles.
    for each in exported["services"]:
        each.pop("joinup", None)
    exported.pop("joinup", None)
    parsed, _, problems = parse_oruk(json.dumps(exported), file="feed.json")
    by_name = {t.name: t for t in parsed.teams}
    assert not [p for p in problems if "concern" in str(p)]
    assert by_name["Young carers service"].concerns == ["young-carer"]
    assert "fgm" in by_name["Police emergencies and non-emergency line"].concerns


def test_a_duty_says_where_it_applies_and_what_to_do_elsewhere() -> None:
    fgm = shipped_taxonomy().by_id()["fgm"].duty
    assert fgm is not None
    england = duty_line(fgm, "ENG")
    assert england.startswith("Duty (England and Wales; FGM Act 2003 s.5B): Regulated health and social care")
    assert england.endswith("Check your local procedures.")  # the reporting window is unverified: no deadline
    assert "within" not in england
    scotland = duty_line(fgm, "SCT")
    assert scotland.startswith("Duty (England and Wales only):")
    assert "In Scotland there is no mandatory reporting duty" in scotland
