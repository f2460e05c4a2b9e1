"""The chronology of a case: every source merged in time order, with working-day gaps, in md, csv and json."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel, col, select

from bot.cli import cli
from schedules.chronology import timeline as chronology
from schedules.escalation import ladder as escalation
from schedules.settings import ReminderSettings
from schedules.time.clock import FakeClock
from schedules.tracking import attempts as tracking_attempts
from schedules.tracking import items as tracking
from schedules.tracking import lifecycle as tracking_lifecycle
from storage.db import make_engine, make_sessions
from storage.models import AuditEvent, Person, SharingDecision, Team
from tests.escalation_world import World, build_world

CASE = "NB-204518"
SETTINGS = ReminderSettings()


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def person(session: Session, handle: str) -> Person:
    return session.exec(select(Person).where(col(Person.handle) == handle)).one()


def build_case(world: World) -> None:
    """A referral, a missed call, a late acknowledgement, a pause, NFA, a disagreement and a sharing decision."""
    clock, sessions = world.clock, world.sessions
    with sessions.begin() as session:
        front_door = session.exec(select(Team).where(col(Team.key) == "front-door")).one()
        tracking.refer(
            session=session,
            clock=clock,
            settings=SETTINGS,
            person=person(session, "hv.amy"),
            team=front_door,
            case_ref=CASE,
            method="phone",
            about="Baby missed two health visits",
        )
    clock.set(at(2026, 11, 26, 11))
    with sessions.begin() as session:
        tracking_attempts.record_attempt(
            session=session,
            clock=clock,
            settings=SETTINGS,
            person=person(session, "hv.amy"),
            result="no_answer",
            item_ref="TI-0001",
        )
    clock.set(at(2026, 11, 26, 15))
    with sessions.begin() as session:
        tracking.acknowledge(
            session=session, clock=clock, settings=SETTINGS, ref="TI-0001", person=person(session, "sw.jo")
        )
    clock.set(at(2026, 11, 26, 16))
    with sessions.begin() as session:
        tracking_lifecycle.pause(
            session=session,
            clock=clock,
            settings=SETTINGS,
            ref="TI-0001",
            person=person(session, "hv.amy"),
            reason="waiting for the GP report",
        )
    clock.set(at(2026, 11, 27, 9, 30))
    with sessions.begin() as session:
        tracking_lifecycle.resume(
            session=session, clock=clock, settings=SETTINGS, ref="TI-0001", person=person(session, "hv.amy")
        )
    clock.set(at(2026, 11, 27, 10))
    with sessions.begin() as session:
        tracking.record_feedback(
            session=session,
            clock=clock,
            settings=SETTINGS,
            ref="TI-0001",
            person=person(session, "sw.jo"),
            outcome="no_further_action",
            reason="below threshold for statutory help",
        )
    clock.set(at(2026, 11, 30, 10))
    with sessions.begin() as session:
        amy = person(session, "hv.amy")
        subject = escalation.check_subject(
            session=session, person_id=amy.id or 0, item_ref="TI-0001", is_disagreement=True
        )
        escalation.start(
            session=session, clock=clock, settings=ReminderSettings(), person_id=amy.id or 0, subject=subject
        )
    clock.set(at(2026, 12, 2, 10))
    with sessions.begin() as session:
        escalation.not_resolved(
            session=session,
            clock=clock,
            settings=ReminderSettings(),
            ref="ES-0001",
            person_id=person(session, "hv.amy").id or 0,
            tried="called the duty senior practitioner",
            why_failed="the decision stands without new reasons",
        )
    clock.set(at(2026, 12, 2, 11))
    with sessions.begin() as session:
        session.add(
            SharingDecision(
                case_ref=CASE,
                person_id=person(session, "hv.amy").id or 0,
                at=clock.now(),
                decision="shared",
                with_whom="CMHT care coordinator",
                purpose="to protect the baby",
                lawful_basis="UK GDPR 6(1)(e) public task",
                reason="parental mental health affects the baby",
            )
        )
    clock.set(at(2026, 12, 3, 9))


@pytest.fixture
def world(sessions: sessionmaker[Session], clock: FakeClock) -> World:
    built = build_world(sessions, clock)
    build_case(built)
    return built


EXPECTED_ROWS = [
    "| 1 | 10am on Wednesday 25 November 2026 |  | TI-0001 | Referral sent to Children's front door (MASH) | Amy Hughes "
    "| By phone. Acknowledgement due Wednesday 25 November. Feedback due Friday 27 November. "
    "Note: Baby missed two health visits. |",
    "| 2 | 11am on Thursday 26 November 2026 | 1 | TI-0001 | Contact attempt to Children's front door (MASH): no answer "
    "| Amy Hughes | By phone. |",
    "| 3 | 3pm on Thursday 26 November 2026 | same day | TI-0001 | Acknowledged by Children's front door (MASH) "
    "| Jo Bennett | Later than expected. |",
    "| 4 | 4pm on Thursday 26 November 2026 | same day | TI-0001 | Clocks paused | Amy Hughes |  |",
    "| 5 | 9:30am on Friday 27 November 2026 | 1 | TI-0001 | Clocks resumed | Amy Hughes |  |",
    "| 6 | 10am on Friday 27 November 2026 | same day | TI-0001 "
    "| Feedback from Children's front door (MASH): no further action | Jo Bennett "
    "| Reason: below threshold for statutory help. On time. |",
    "| 7 | 10am on Monday 30 November 2026 | 1 | ES-0001 | Escalation started at level 1 (Practitioner to practitioner) "
    "| Amy Hughes | With Children's front door (MASH). Policy: Northbrook resolution of professional disagreement "
    "(4 levels), version 1. Disagreement about the decision on TI-0001. |",
    "| 8 | 10am on Wednesday 2 December 2026 | 2 | ES-0001 | Not resolved at level 1 (Practitioner to practitioner) "
    "| Amy Hughes | Tried: called the duty senior practitioner. Why: the decision stands without new reasons. |",
    "| 9 | 10am on Wednesday 2 December 2026 | same day | ES-0001 | Moved up to level 2 (Manager to manager) "
    "| Amy Hughes |  |",
    "| 10 | 11am on Wednesday 2 December 2026 | same day | NB-204518 | Information shared with CMHT care coordinator "
    "| Amy Hughes | Purpose: to protect the baby. Lawful basis: UK GDPR 6(1)(e) public task. "
    "Reason: parental mental health affects the baby. |",
]


def test_markdown_lists_every_event_in_order_with_working_day_gaps(world: World) -> None:
    with world.sessions.begin() as session:
        text = chronology.export(
            session=session, clock=world.clock, case_ref="nb-204518", fmt="md", actor="audit.sam"
        )
    lines = text.splitlines()
    assert lines[:6] == [
        "# Chronology for case NB-204518",
        "",
        "Produced 9am on Thursday 3 December 2026. Times are London time; working days follow the ENG bank holidays.",
        "",
        "| # | when | working days since previous | ref | event | who | detail |",
        "|---|---|---|---|---|---|---|",
    ]
    assert lines[6:] == EXPECTED_ROWS
    with world.sessions() as session:
        exported = session.exec(
            select(AuditEvent).where(col(AuditEvent.action) == "chronology.exported")
        ).one()
    assert (exported.actor, exported.subject, exported.data) == (
        "audit.sam",
        "case:NB-204518",
        {"format": "md", "entries": 10},
    )


def test_csv_and_json_carry_the_same_entries_with_utc_times(world: World) -> None:
    with world.sessions.begin() as session:
        rows = list(
            csv.DictReader(
                io.StringIO(
                    chronology.export(session=session, clock=world.clock, case_ref=CASE, fmt="csv", actor="t")
                )
            )
        )
        document = json.loads(
            chronology.export(session=session, clock=world.clock, case_ref=CASE, fmt="json", actor="t")
        )
    assert [r["source"] for r in rows] == [
        "item",
        "attempt",
        "item",
        "audit",
        "audit",
        "item",
        "escalation",
        "escalation",
        "escalation",
        "sharing",
    ]
    assert rows[0]["at"] == "2026-11-25T10:00:00+00:00" and rows[0]["working_days_since_previous"] == ""
    assert [r["working_days_since_previous"] for r in rows[1:]] == [
        "1",
        "0",
        "0",
        "1",
        "0",
        "1",
        "2",
        "0",
        "0",
    ]
    assert rows[7]["event"] == "Not resolved at level 1 (Practitioner to practitioner)"
    assert document["case_ref"] == CASE and len(document["entries"]) == 10
    assert document["entries"][2]["who"] == "Jo Bennett" and document["entries"][2]["number"] == 3


async def test_chat_chronology_is_for_the_people_involved(world: World) -> None:
    reply = await world.say("hv.amy", "chronology NB-204518")
    lines = reply.text.splitlines()
    assert lines[0] == "Chronology for case NB-204518, oldest first:"
    assert lines[1] == (
        "1. 10am on Wednesday 25 November 2026: TI-0001 Referral sent to Children's front door (MASH), Amy Hughes. "
        "By phone. Acknowledgement due Wednesday 25 November. Feedback due Friday 27 November. "
        "Note: Baby missed two health visits."
    )
    assert lines[8] == (
        "8. 10am on Wednesday 2 December 2026 (+2 working days): ES-0001 Not resolved at level 1 "
        "(Practitioner to practitioner), Amy Hughes. Tried: called the duty senior practitioner. "
        "Why: the decision stands without new reasons."
    )
    assert (
        lines[-1] == "For the full document, ask an administrator to run: joinup chronology export NB-204518"
    )
    assert "I can't find case NB-000000" in (await world.say("hv.amy", "chronology NB-000000")).text
    refused = await world.say("dsl.priya", "chronology NB-204518")
    assert refused.text.startswith("You can't see the chronology for NB-204518.")
    with world.sessions() as session:
        audited = session.exec(
            select(AuditEvent.action, AuditEvent.actor).where(col(AuditEvent.subject) == "case:NB-204518")
        ).all()
    assert ("chronology.exported", "hv.amy") in audited and ("access.refused", "dsl.priya") in audited
    # The auditor may read every chronology.
    assert (await world.say("audit.sam", "chronology NB-204518")).text.startswith("Chronology for case")


def test_cli_export_writes_a_file_and_refuses_an_unknown_case(tmp_path: Path, clock: FakeClock) -> None:
    url = f"sqlite:///{tmp_path}/joinup.db"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    build_case(build_world(make_sessions(engine), clock))
    engine.dispose()
    out = tmp_path / "chronology.csv"
    result = CliRunner().invoke(
        cli, ["chronology", "export", "NB-204518", "--format", "csv", "--output", str(out), "--db", url]
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote the chronology for NB-204518 to {out}.\n"
    assert out.read_text(encoding="utf-8").splitlines()[0] == (
        "number,at,when,working_days_since_previous,source,ref,event,who,detail"
    )
    printed = CliRunner().invoke(cli, ["chronology", "export", "NB-204518", "--db", url])
    assert printed.output.splitlines()[6:] == EXPECTED_ROWS
    unknown = CliRunner().invoke(cli, ["chronology", "export", "NB-000000", "--db", url])
    assert unknown.exit_code == 1 and "joinup holds nothing about case NB-000000" in unknown.output
