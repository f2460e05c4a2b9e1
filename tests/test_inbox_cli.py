"""joinup inbox list|retry|drop and joinup outbox list|retry: an admin sees failures (never content) and acts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlmodel import SQLModel, col, select

from bot.cli import cli
from schedules.inbox import rows
from schedules.inbox.rows import InboxSettings
from schedules.time.clock import SystemClock
from storage.db import make_engine, make_sessions
from storage.models import AuditEvent, InboxItem, Person, Reminder


def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'joinup.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    now = SystemClock().now()
    sessions = make_sessions(engine)
    settings = InboxSettings(max_attempts=1)
    with sessions.begin() as session:
        rows.receive(
            session.connection(),
            platform="slack",
            event_key="slack:command:T1",
            kind="slack.command",
            content={"user_id": "U1", "text": "refer NB-204518 to the front door"},
            now=now,
        )
    with sessions.begin() as session:
        (item,), _ = rows.claim(session, now=now, settings=settings)
        rows.give_up(session, item=item, now=now, error="ResponseUrlRefused 500", is_told=False)
        person = Person(handle="hv.amy", display_name="Amy Hughes")
        session.add(person)
        session.flush()
        assert person.id is not None
        session.add(
            Reminder(
                dedupe_key="r1",
                recipient_person_id=person.id,
                kind="ack_chase",
                due_at=now - timedelta(hours=1),
                status="failed",
                attempts=5,
                last_error="gave up: too many attempts",
                created_at=now,
            )
        )
    engine.dispose()
    return url


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_inbox_list_shows_the_failure_but_never_what_was_written(tmp_path: Path) -> None:
    url = database(tmp_path)

    listed = run("inbox", "list", "--db", url)

    assert "slack.command\tfailed\t1 attempts" in listed
    assert "ResponseUrlRefused 500" in listed
    assert "NB-204518" not in listed and "front door" not in listed


def test_inbox_retry_hands_the_request_back_and_is_audited(tmp_path: Path) -> None:
    url = database(tmp_path)

    assert "will be tried again" in run("inbox", "retry", "1", "--db", url, "--by", "admin.sam")

    sessions = make_sessions(make_engine(url))
    with sessions() as session:
        row = session.exec(select(InboxItem)).one()
        audit = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "inbox.retried")).one()
    assert (row.status, row.attempts) == ("pending", 0)
    assert audit.actor == "admin.sam"


def test_inbox_drop_empties_the_request_and_a_second_drop_is_one_line(tmp_path: Path) -> None:
    url = database(tmp_path)
    run("inbox", "drop", "1", "--db", url)

    again = CliRunner().invoke(cli, ["inbox", "drop", "1", "--db", url])

    assert again.exit_code == 1
    assert again.output.strip() == "Error: Can't drop inbox item 1: it is already dropped."
    sessions = make_sessions(make_engine(url))
    with sessions() as session:
        row = session.exec(select(InboxItem)).one()
    assert (row.status, row.content) == ("dropped", {})


def test_outbox_list_and_retry(tmp_path: Path) -> None:
    url = database(tmp_path)

    assert "ack_chase\tperson 1\tfailed\t5 attempts" in run("outbox", "list", "--db", url)
    assert "will be sent at the next sweep" in run("outbox", "retry", "1", "--db", url)
    refused = CliRunner().invoke(cli, ["outbox", "retry", "1", "--db", url])

    assert refused.output.strip() == "Error: Can't retry reminder 1: it is pending, not failed."
    sessions = make_sessions(make_engine(url))
    with sessions() as session:
        reminder = session.exec(select(Reminder)).one()
        actions = session.exec(select(AuditEvent.action)).all()
    assert (reminder.status, reminder.attempts) == ("pending", 0)
    assert "reminder.retried" in actions
