"""Neighbours' feeds as registered sources: add, list, pull, report; the scheduled pull and its failures.

The feeds are served by a real local HTTP server (tests/fakes/oruk_feed.py) paged as HSDS 3.0 Pages.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, func, select

from bot.cli import cli
from directory.hours import describe_hours, is_open
from directory.sources import FAILED, HELD, PULLED, add_source, pull_source, report_lines
from handlers.upkeep.source_pulls import SOURCE_PROBLEM, pull_sources_job, render_source_problem
from schedules.time.calendars import hours_for_team
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, DirectorySource, Reminder, Team
from tests.fakes.oruk_feed import feed_server, millbridge_family_records, millbridge_records


@dataclass
class Running:
    """The parts of the runtime the scheduled job reads."""

    sessions: sessionmaker[Session]
    clock: FakeClock


def count(sessions: sessionmaker[Session], source: str) -> int:
    with sessions() as session:
        published = (col(Team.source) == source, col(Team.retired_at).is_(None))
        return session.exec(select(func.count(col(Team.id))).where(*published)).one()


def add(sessions: sessionmaker[Session], clock: FakeClock, name: str, url: str, kind: str) -> None:
    with sessions.begin() as session:
        add_source(session=session, clock=clock, name=name, url=url, kind=kind, every=timedelta(days=1),
                   actor="admin.nadia")  # fmt: skip


def test_add_list_pull_and_report_through_the_cli(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'joinup.db'}"
    runner = CliRunner()
    with feed_server(millbridge_records()) as (url, state):
        added = runner.invoke(cli, ["directory", "source", "add", "Millbridge", url, "--kind", "professional",
                                    "--every", "12h", "--db", db])  # fmt: skip
        assert added.exit_code == 0, added.output
        assert "Added millbridge (professional, every 12h)" in added.output
        again = runner.invoke(
            cli, ["directory", "source", "add", "millbridge", url, "--kind", "public", "--db", db]
        )
        assert again.exit_code == 1 and "already a source called millbridge" in again.output
        assert "Traceback" not in again.output
        pulled = runner.invoke(cli, ["directory", "source", "pull", "millbridge", "--db", db])
        assert pulled.exit_code == 0, pulled.output
        assert "Stored for millbridge: 4 added, 0 updated, 0 unchanged, 0 removed." in pulled.output
        assert all("per_page=50" in path for path in state.requests) and len(state.requests) == 1
    listed = runner.invoke(cli, ["directory", "source", "list", "--db", db])
    assert (
        "millbridge\tprofessional\tevery 12h\tlast good pull" in listed.output and "4 usable" in listed.output
    )
    report = runner.invoke(cli, ["directory", "source", "report", "millbridge", "--db", db])
    assert "Services pulled: 4. Usable: 4. Quarantined: 0." in report.output
    assert "With a contact: 4. With a valid id: 4. With opening hours: 4." in report.output
    missing = runner.invoke(cli, ["directory", "source", "report", "westvale", "--db", db])
    assert missing.exit_code == 1 and "There is no source 'westvale'. Sources: millbridge." in missing.output


@pytest.mark.parametrize(
    ("name", "kind", "every", "problem"),
    [
        ("Mill bridge!", "public", "1d", "lower-case letters"),
        ("millbridge", "council", "1d", "Invalid value for '--kind'"),
        ("millbridge", "public", "5m", "at most once an hour"),
        ("millbridge", "public", "daily", "not an interval"),
    ],
)
def test_a_bad_source_is_refused_with_one_clear_line(
    tmp_path: Path, name: str, kind: str, every: str, problem: str
) -> None:
    db = f"sqlite:///{tmp_path / 'joinup.db'}"
    args = ["directory", "source", "add", name, "https://feeds.example.org/services", "--kind", kind]
    result = CliRunner().invoke(cli, [*args, "--every", every, "--db", db])
    assert result.exit_code != 0 and problem in result.output and "Traceback" not in result.output


def test_imported_hours_and_hours_not_published(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    with feed_server(millbridge_family_records()) as (url, _):
        add(sessions, clock, "millbridge-families", url, "public")
        assert (
            pull_source(sessions=sessions, clock=clock, name="millbridge-families", actor="t").status
            == PULLED
        )
    with sessions() as session:
        teams = {
            t.name: t for t in session.exec(select(Team).where(col(Team.source) == "millbridge-families"))
        }
        hub = teams["Millbridge Family Hub drop-in"]
        assert hub.hours == {"tue": [["10:00", "12:00"]], "thu": [["13:00", "15:00"]]} and hub.hours_published
        play = teams["Stay and play toddler group"]
        assert not play.hours_published and play.hours == {}
        # Unknown hours are never read as open round the clock, at any moment.
        for hours_on in range(0, 24 * 7, 5):
            assert not is_open(play, clock.now() + timedelta(hours=hours_on))
        assert describe_hours(play) == "opening hours not published"
        clocks = hours_for_team(team=play, settings=None)
        assert not clocks.plain_hours and not clocks.own, "its clocks count the configured working day"
        assert all(t.source_kind == "public" and t.is_public for t in teams.values())


def test_retry_after_is_honoured_one_request_at_a_time(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    waits: list[float] = []
    with feed_server(millbridge_records()) as (url, state):
        add(sessions, clock, "millbridge", url, "professional")
        state.fail_next(429, Retry_After="7")
        outcome = pull_source(
            sessions=sessions, clock=clock, name="millbridge", actor="t", sleep=waits.append
        )
    assert outcome.status == PULLED and waits == [7.0]
    assert len(state.requests) == 2, "the same page asked again after the wait, nothing in parallel"


def test_the_scheduled_pull_keeps_the_last_good_copy_and_tells_the_admins(
    demo: Session, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    demo.close()
    running = Running(sessions, clock)
    with feed_server(millbridge_records()) as (url, state):
        add(sessions, clock, "millbridge", url, "professional")
        asyncio.run(pull_sources_job(running))
        assert count(sessions, "millbridge") == 4
        asyncio.run(pull_sources_job(running))
        assert len(state.requests) == 1, "not due again until its interval has passed"
        clock.advance(timedelta(days=1, minutes=1))
        state.fail_next(500)
        asyncio.run(pull_sources_job(running))
    assert count(sessions, "millbridge") == 4, "the last good copy stays"
    with sessions() as session:
        source = session.exec(select(DirectorySource)).one()
        assert "answered HTTP 500" in source.last_error and source.last_good_at is not None
        notices = session.exec(select(Reminder).where(col(Reminder.kind) == SOURCE_PROBLEM)).all()
        assert notices and {n.payload["status"] for n in notices} == {FAILED}
        text = render_source_problem(session, notices[0]).text
        assert "The scheduled pull of the millbridge feed failed" in text
        assert "keeps using the last good copy" in text and "joinup directory source pull millbridge" in text
        actions = session.exec(
            select(AuditEvent.action).where(col(AuditEvent.subject) == "source:millbridge")
        ).all()
        assert {"directory.source_added", "directory.pulled", "directory.pull_failed"} <= set(actions)


def test_a_pull_removing_over_a_fifth_is_held_for_an_admin(
    demo: Session, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    demo.close()
    records = millbridge_records()
    with feed_server(records) as (url, state):
        add(sessions, clock, "millbridge", url, "professional")
        assert pull_source(sessions=sessions, clock=clock, name="millbridge", actor="t").status == PULLED
        state.records = records[:2]
        clock.advance(timedelta(days=1, minutes=1))
        asyncio.run(pull_sources_job(Running(sessions, clock)))
        assert count(sessions, "millbridge") == 4, "a held pull changes nothing"
        with sessions() as session:
            (notice, *_) = session.exec(select(Reminder).where(col(Reminder.kind) == SOURCE_PROBLEM)).all()
            assert notice.payload["status"] == HELD
            assert "--confirm-removals" in render_source_problem(session, notice).text
        confirmed = pull_source(sessions=sessions, clock=clock, name="millbridge", actor="admin.nadia",
                                confirm_removals=True)  # fmt: skip
    assert confirmed.status == PULLED and confirmed.summary is not None and confirmed.summary.removed == 2
    assert count(sessions, "millbridge") == 2
    with sessions() as session:
        assert session.exec(select(DirectorySource.held)).one() == ""


def test_personal_looking_contacts_are_listed_in_the_report_not_refused(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    records = millbridge_family_records()
    records[2]["email"] = "stayandplay.millbridge@gmail.com"
    records[3]["contacts"] = [{"phones": [{"number": "07700 900456"}]}]
    with feed_server(records) as (url, _):
        add(sessions, clock, "millbridge-families", url, "public")
        assert (
            pull_source(sessions=sessions, clock=clock, name="millbridge-families", actor="t").status
            == PULLED
        )
    assert count(sessions, "millbridge-families") == 4, "the publisher's data lands"
    with sessions() as session:
        lines = report_lines(session.exec(select(DirectorySource)).one())
    text = "\n".join(lines)
    assert "Flagged (personal-looking contacts): 2." in text
    assert "Flagged: Stay and play toddler group" in text and "stayandplay.millbridge@gmail.com" in text
    assert "personal-looking mobile 07700 900456" in text
