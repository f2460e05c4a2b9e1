"""Manager digests: periods, content for a seeded team at a fake time, late catch-up, never twice, the command."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.runtime import build_router
from handlers.context import HandlerContext
from handlers.digest import commands as digest
from handlers.messages import DeliveryFailed, InboundMessage, RecordingNotifier, Reply
from schedules.digest import schedule as digests
from schedules.settings import DomainSettings
from schedules.time.clock import FakeClock
from storage.errors import InvalidInput
from storage.models import AuditEvent, DigestRun, Escalation, Person, Team
from tests.conftest import START
from tests.roles_world import World, add_escalation, add_item, build_world


def at(text: str) -> datetime:
    """A UTC moment from "2026-11-27 08:30" (November is GMT, so London time is UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- periods -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("schedule", "now", "key", "due"),
    [
        ("daily", "2026-11-25 10:00", "daily:2026-11-25", "2026-11-25 08:30"),
        ("daily", "2026-11-25 08:29", "daily:2026-11-24", "2026-11-24 08:30"),
        ("daily", "2026-11-28 12:00", "daily:2026-11-27", "2026-11-27 08:30"),  # Saturday
        ("daily", "2026-12-28 12:00", "daily:2026-12-24", "2026-12-24 08:30"),  # bank holidays 25 and 28 Dec
        ("weekly", "2026-11-25 10:00", "weekly:2026-W48", "2026-11-23 08:30"),
        ("weekly", "2026-12-29 09:00", "weekly:2026-W53", "2026-12-29 08:30"),  # Monday 28 Dec is a holiday
    ],
)
def test_latest_period(schedule: str, now: str, key: str, due: str) -> None:
    period = digests.latest_period(schedule=schedule, now=at(now))
    assert period is not None
    assert (period.key, period.due_at) == (key, at(due))


def test_next_due_skips_weekends_and_off() -> None:
    assert digests.next_due_at(schedule="daily", now=at("2026-11-27 09:00")) == at("2026-11-30 08:30")
    assert digests.next_due_at(schedule="weekly", now=at("2026-11-23 08:30")) == at("2026-11-30 08:30")
    assert digests.next_due_at(schedule="off", now=at("2026-11-27 09:00")) is None
    assert digests.latest_period(schedule="off", now=at("2026-11-27 09:00")) is None


def test_summer_time_digest_is_at_830_london() -> None:
    period = digests.latest_period(schedule="daily", now=at("2026-06-03 12:00"))
    assert period is not None and period.due_at == at("2026-06-03 07:30")


# --- content -------------------------------------------------------------------------------------
def seed_team(session: Session) -> World:
    """Kate's health visiting team on Friday 27 November 2026, with work in every state."""
    world = build_world(session, now=START)
    monday = at("2026-11-23 10:00")
    add_item(
        session, world, ref="TI-0001", case_ref="NB-1", sender="hv.amy", to_team="front-door",
        sent_at=monday, ack_due_at=at("2026-11-24 17:00"),
    )  # fmt: skip
    add_item(
        session, world, ref="TI-0004", case_ref="NB-4", sender="hv.bea", to_team="cmht-north",
        sent_at=monday, acknowledged_at=monday, feedback_due_at=at("2026-11-30 17:00"),
    )  # fmt: skip
    add_item(
        session, world, ref="TI-0005", case_ref="NB-5", sender="fd.raj", to_team="health-visiting",
        sent_at=at("2026-11-25 12:00"), ack_due_at=at("2026-11-26 17:00"),
    )  # fmt: skip
    add_item(
        session, world, ref="TI-0006", case_ref="NB-6", sender="hv.amy", to_team="front-door",
        sent_at=monday, status="closed", closed_at=monday,
    )  # fmt: skip
    nfa = add_item(
        session, world, ref="TI-0007", case_ref="NB-7", sender="hv.amy", to_team="front-door",
        sent_at=monday, acknowledged_at=monday, feedback_at=at("2026-11-26 12:00"),
    )  # fmt: skip
    nfa.outcome = "no_further_action"
    add_item(
        session,
        world,
        ref="TI-0008",
        case_ref="NB-8",
        sender="cmht.cal",
        to_team="front-door",
        sent_at=monday,
        ack_due_at=at("2026-11-24 17:00"),
    )  # fmt: skip  (another area's item: never in Kate's digest)
    add_escalation(
        session, world, ref="ES-0001", case_ref="NB-1", raiser="hv.amy", other_team="front-door",
        level=2, level_started_at=monday,
    )  # fmt: skip
    # The front door challenges health visiting; level 1 ran out on Wednesday.
    about_us = add_escalation(
        session, world, ref="ES-0002", case_ref="NB-5", raiser="fd.raj", other_team="health-visiting",
        level=1, level_started_at=monday,
    )  # fmt: skip
    about_us.level_due_at = at("2026-11-25 17:00")
    team = session.get(Team, world.team_id("health-visiting"))
    assert team is not None
    team.last_verified_at = at("2026-08-01 09:00")  # review was due 30 October
    return world


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    with sessions.begin() as session:
        return seed_team(session)


def run(sessions: sessionmaker[Session], clock: FakeClock, notifier: Any) -> digest.SendReport:
    return asyncio.run(digest.send_due_digests(sessions=sessions, clock=clock, notifier=notifier))


def sent_to(notifier: RecordingNotifier, world: World, handle: str) -> list[Reply]:
    return [reply for person_id, reply in notifier.sent if person_id == world.person_id(handle)]


def text_of(reply: Reply) -> str:
    return "\n".join([reply.text, *(f"{f.label}: {f.value}" for f in reply.fields)] + [
        f"{s.title}\n{s.text}" for s in reply.sections
    ])  # fmt: skip


def test_digest_content_for_a_seeded_team(sessions: sessionmaker[Session], world: World) -> None:
    clock = FakeClock(at("2026-11-27 08:30"))
    notifier = RecordingNotifier()
    report = run(sessions, clock, notifier)
    assert report.sent == 3 and report.late == 0  # Kate, Tom and Ben
    [reply] = sent_to(notifier, world, "mgr.kate")
    assert reply.kind == "digest"
    assert "Health visiting" in reply.text and "Friday 27 November" in reply.text
    titles = [s.title for s in reply.sections]
    assert titles == [
        "Waiting on other agencies (2)",
        "Your teams owe a response (1)",
        "Escalations raised by your teams (1)",
        "Escalations raised about your teams (1, 1 past the level deadline)",
        "Directory entries you own that need review (1)",
        "Came back since the last digest",
    ]
    waiting, owed, raised_by, raised_about, stale, came_back = (s.text for s in reply.sections)
    assert waiting.splitlines() == [
        "• TI-0001 (case NB-1) sent to Children's front door and MASH: acknowledgement, 3 working days overdue",
        "• TI-0004 (case NB-4) sent to Adult CMHT (north): feedback, due by 5pm on Monday 30 November",
    ]
    assert owed.splitlines() == [
        "• TI-0005 (case NB-5) from Children's front door and MASH: acknowledgement, 1 working day overdue"
    ]
    assert (
        raised_by
        == "• ES-0001 (case NB-1) with Children's front door and MASH: at level 2 for 4 working days"
    )
    assert raised_about == (
        "• ES-0002 (case NB-5) from Children's front door and MASH: at level 1 for 4 working days, "
        "past its level deadline by 2 working days"
    )
    assert stale.startswith("• Health visiting: review was due Friday 30 October")
    assert came_back == "1 item got feedback, 1 with no further action."
    fields = {f.label: f.value for f in reply.fields}
    assert fields["Overdue from other agencies"] == "1"
    assert fields["Escalations raised by your teams"] == "1"
    assert fields["Escalations raised about your teams"] == "1"
    assert fields["Escalations past their level deadline"] == "1"
    assert "NB-8" not in text_of(reply) and "NB-6" not in text_of(reply)
    # Tom's front door owes TI-0008 (from another area: a party to it) and waits on TI-0005.
    [tom] = sent_to(notifier, world, "mgr.tom")
    assert "TI-0008" in text_of(tom) and "TI-0005" in text_of(tom)
    # The same two escalations, from the front door's side.
    tom_titles = [s.title for s in tom.sections]
    assert "Escalations raised by your teams (1, 1 past the level deadline)" in tom_titles
    assert "Escalations raised about your teams (1)" in tom_titles
    assert "ES-0001 (case NB-1) from Health visiting: at level 2" in text_of(tom)
    assert "ES-0002 (case NB-5) with Health visiting: at level 1" in text_of(tom)


def test_never_twice_and_counts_compare_with_last_period(
    sessions: sessionmaker[Session], world: World
) -> None:
    clock = FakeClock(at("2026-11-27 08:30"))
    notifier = RecordingNotifier()
    run(sessions, clock, notifier)
    clock.advance(timedelta(hours=2))
    assert run(sessions, clock, notifier).sent == 0
    assert len(sent_to(notifier, world, "mgr.kate")) == 1
    clock.set(at("2026-11-28 09:00"))  # Saturday: no digest
    assert run(sessions, clock, notifier).sent == 0
    clock.set(at("2026-11-30 08:30"))
    run(sessions, clock, notifier)
    kate = sent_to(notifier, world, "mgr.kate")
    assert len(kate) == 2
    fields = {f.label: f.value for f in kate[1].fields}
    assert fields["Overdue from other agencies"] == "1 (was 1)"
    assert fields["Came back since the last digest"] == "0 (was 1)"
    with sessions() as session:
        runs = session.exec(
            select(DigestRun).where(col(DigestRun.recipient_person_id) == world.person_id("mgr.kate"))
        ).all()
    assert [(r.period, r.status, r.is_late) for r in runs] == [
        ("daily:2026-11-27", "sent", False),
        ("daily:2026-11-30", "sent", False),
    ]


def test_a_missed_digest_is_sent_late_when_the_service_returns_never_twice(
    sessions: sessionmaker[Session], world: World
) -> None:
    clock = FakeClock(at("2026-11-27 07:00"))
    notifier = RecordingNotifier()
    assert run(sessions, clock, notifier).sent == 0  # before 8:30: yesterday's is not sent now
    clock.set(at("2026-11-27 11:40"))  # down from 7am to 11:40
    report = run(sessions, clock, notifier)
    assert report.sent == 3 and report.late == 3
    [reply] = sent_to(notifier, world, "mgr.kate")
    assert "It is late because joinup was not running at 8:30am." in reply.text
    clock.advance(timedelta(minutes=1))
    assert run(sessions, clock, notifier).sent == 0
    with sessions() as session:
        late = session.exec(select(DigestRun).where(col(DigestRun.is_late))).all()
        events = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "digest.run")).all()
    assert len(late) == 3
    assert [(run["to"], run["status"], run["late"]) for event in events for run in event.data["runs"]] == [
        ("mgr.kate", "sent", True),
        ("mgr.tom", "sent", True),
        ("mgr.ben", "sent", True),
    ]


def test_a_weekend_outage_sends_only_mondays_digest(sessions: sessionmaker[Session], world: World) -> None:
    clock = FakeClock(at("2026-11-30 10:00"))
    notifier = RecordingNotifier()
    run(sessions, clock, notifier)
    with sessions() as session:
        periods = set(session.exec(select(DigestRun.period)).all())
    assert periods == {"daily:2026-11-30"}


class FlakyNotifier(RecordingNotifier):
    """Fails the first delivery to each person, then works."""

    def __init__(self) -> None:
        super().__init__()
        self.failed: set[int] = set()

    async def notify(self, *, person_id: int, reply: Reply) -> dict[str, Any]:
        if person_id not in self.failed:
            self.failed.add(person_id)
            raise DeliveryFailed("platform timeout")
        return await super().notify(person_id=person_id, reply=reply)


def test_a_failed_delivery_is_retried_at_the_next_run(sessions: sessionmaker[Session], world: World) -> None:
    clock = FakeClock(at("2026-11-27 08:30"))
    notifier = FlakyNotifier()
    assert run(sessions, clock, notifier).failed == 3
    clock.advance(timedelta(seconds=30))
    assert run(sessions, clock, notifier).sent == 3
    clock.advance(timedelta(seconds=30))
    assert run(sessions, clock, notifier).sent == 0
    assert len(sent_to(notifier, world, "mgr.kate")) == 1


def test_off_and_weekly_schedules(sessions: sessionmaker[Session], world: World) -> None:
    with sessions.begin() as session:
        for handle, schedule in (("mgr.tom", "off"), ("mgr.ben", "weekly")):
            person = session.get(Person, world.person_id(handle))
            assert person is not None
            person.digest_schedule = schedule
    clock = FakeClock(at("2026-11-27 08:30"))  # Friday: the service was not running on Monday
    notifier = RecordingNotifier()
    run(sessions, clock, notifier)
    assert sent_to(notifier, world, "mgr.tom") == []
    assert len(sent_to(notifier, world, "mgr.ben")) == 1  # the week's digest, late
    assert "weekly digest" in sent_to(notifier, world, "mgr.ben")[0].text
    wake = digest.next_wakeup(sessions=sessions, clock=clock)
    assert wake == at("2026-11-30 08:30")


# --- the chat command ----------------------------------------------------------------------------
def say(sessions: sessionmaker[Session], world: World, handle: str, text: str, clock: FakeClock) -> Reply:
    with sessions() as session:
        person = session.get(Person, world.person_id(handle))
        assert person is not None
        session.expunge(person)
    msg = InboundMessage(platform="console", sender_key=handle, text=text)
    ctx = HandlerContext(
        person=person,
        clock=clock,
        sessions=sessions,
        notifier=RecordingNotifier(),
        settings=DomainSettings(),
        message=msg,
        args=build_router().parse(text).args,  # as the Dispatcher hands the command its arguments
    )
    return asyncio.run(digest.digest_command(msg, ctx))


def test_digest_command_changes_the_schedule(sessions: sessionmaker[Session], world: World) -> None:
    clock = FakeClock(at("2026-11-25 10:00"))
    reply = say(sessions, world, "mgr.kate", "digest weekly", clock)
    assert reply.text.startswith("Done. You get a digest on Mondays at 8:30am.")
    assert "Monday 30 November" in reply.text
    assert say(sessions, world, "mgr.kate", "digest", clock).text.startswith("You get a digest on Mondays")
    off = say(sessions, world, "mgr.kate", "Digest off", clock)
    assert "Your digest is off" in off.text
    with sessions() as session:
        person = session.get(Person, world.person_id("mgr.kate"))
        assert person is not None and person.digest_schedule == "off"
        changes = session.exec(
            select(AuditEvent).where(col(AuditEvent.action) == "digest.schedule_changed")
        ).all()
    assert [c.data for c in changes] == [{"from": "daily", "to": "weekly"}, {"from": "weekly", "to": "off"}]


def test_digest_command_refuses_non_managers_and_odd_words(
    sessions: sessionmaker[Session], world: World
) -> None:

    clock = FakeClock(at("2026-11-25 10:00"))
    from storage.errors import NotAllowed

    with pytest.raises(NotAllowed) as refused:
        say(sessions, world, "hv.amy", "digest daily", clock)
    assert refused.value.action == "get a manager's digest"
    with sessions() as session:
        [event] = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "access.refused")).all()
    assert (event.actor, event.data["action"]) == ("hv.amy", "digest.receive")
    with pytest.raises(InvalidInput):
        say(sessions, world, "mgr.kate", "digest hourly", clock)


def test_digest_preview_shows_what_would_be_sent(sessions: sessionmaker[Session], world: World) -> None:
    reply = say(sessions, world, "mgr.kate", "digest preview", FakeClock(at("2026-11-27 09:00")))
    assert reply.text.startswith("Preview of your digest for Health visiting, Friday 27 November.")
    assert any("TI-0001" in s.text for s in reply.sections)


def test_switching_schedule_mid_period_sends_no_catch_up(
    sessions: sessionmaker[Session], world: World
) -> None:
    clock = FakeClock(at("2026-11-25 10:00"))
    say(sessions, world, "mgr.kate", "digest weekly", clock)
    notifier = RecordingNotifier()
    run(sessions, clock, notifier)
    assert sent_to(notifier, world, "mgr.kate") == []  # this week's (due Monday) is not sent late
    clock.set(at("2026-11-30 08:30"))
    run(sessions, clock, notifier)
    [weekly] = sent_to(notifier, world, "mgr.kate")
    assert weekly.text.startswith("Your weekly digest for Health visiting, Monday 30 November.")


def test_an_item_due_today_shows_the_time() -> None:
    from handlers.digest.render import render_digest
    from schedules.digest.content import Digest, ItemLine

    now = at("2026-11-25 09:00")
    line = ItemLine(
        "TI-0009", "NB-9", "Children's front door", "acknowledgement", at("2026-11-25 13:00"), None
    )
    digest_ = Digest("mgr.kate", ("Health visiting",), now, (line,), (), (), (), (), 0, 0)
    reply = render_digest(digest_)
    assert reply.sections[0].text == (
        "• TI-0009 (case NB-9) sent to Children's front door: acknowledgement, due today by 1pm"
    )


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-11-25 08:29", False),
        ("2026-11-25 08:30", True),
        ("2026-11-25 16:59", True),
        ("2026-11-25 17:00", False),  # a late digest waits for the next morning's, which supersedes it
        ("2026-11-28 10:00", False),  # Saturday
        ("2026-12-28 10:00", False),  # a bank holiday
    ],
)
def test_digests_go_out_in_working_hours_only(now: str, expected: bool) -> None:
    assert digests.is_sending_time(now=at(now)) is expected


def test_a_claim_left_by_a_dead_sender_is_taken_over_after_its_lease(
    sessions: sessionmaker[Session], world: World
) -> None:
    clock = FakeClock(at("2026-11-27 08:40"))
    with sessions.begin() as session:
        for handle, minutes_ago in (("mgr.kate", 5), ("mgr.tom", 11)):
            session.add(
                DigestRun(
                    recipient_person_id=world.person_id(handle),
                    period="daily:2026-11-27",
                    status="claimed",
                    created_at=clock.now() - timedelta(minutes=minutes_ago),
                )
            )
    notifier = RecordingNotifier()
    run(sessions, clock, notifier)
    assert sent_to(notifier, world, "mgr.kate") == []  # its sender may still be at work
    assert len(sent_to(notifier, world, "mgr.tom")) == 1  # its sender died: the lease ran out
    assert len(sent_to(notifier, world, "mgr.ben")) == 1


def test_a_long_section_says_which_command_lists_it_all() -> None:
    from handlers.digest.render import MAX_LINES, render_digest
    from schedules.digest.content import Digest, EscalationLine, ItemLine

    now = at("2026-11-25 09:00")
    items = tuple(
        ItemLine(f"TI-{n:04d}", f"NB-{n}", "Children's front door", "acknowledgement", now, None)
        for n in range(MAX_LINES + 2)
    )
    escalations = tuple(
        EscalationLine(f"ES-{n:04d}", f"NB-{n}", 1, 3, "Children's front door", "open", False)
        for n in range(MAX_LINES + 1)
    )
    reply = render_digest(Digest("mgr.kate", ("Health visiting",), now, items, (), escalations, (), (), 0, 0))
    waiting, open_escalations = reply.sections
    assert waiting.text.endswith("…and 2 more. Type mine to see them all.")
    assert open_escalations.text.endswith("…and 1 more. Type escalations to see them all.")


def test_a_manager_chooses_the_time_of_their_digest(sessions: sessionmaker[Session], world: World) -> None:
    clock = FakeClock(at("2026-11-25 10:00"))
    reply = say(sessions, world, "mgr.kate", "digest daily at 7:45am", clock)
    assert reply.text.startswith("Done. You get a digest every working day at 7:45am.")
    assert "The next one comes at 7:45am on Thursday 26 November." in reply.text
    assert (
        "at 2pm" in say(sessions, world, "mgr.kate", "digest at 2", clock).text
    )  # a bare 2 is the afternoon
    for odd in ("digest at 6am", "digest at 5pm", "digest daily at 25"):
        with pytest.raises(InvalidInput) as refused:
            say(sessions, world, "mgr.kate", odd, clock)
        assert "between 7am and 4pm" in refused.value.problem
    say(sessions, world, "mgr.kate", "digest at 9:15am", clock)

    notifier = RecordingNotifier()
    clock.set(at("2026-11-26 08:30"))
    run(sessions, clock, notifier)
    assert sent_to(notifier, world, "mgr.kate") == [] and sent_to(
        notifier, world, "mgr.tom"
    )  # Tom keeps 8:30
    assert digest.next_wakeup(sessions=sessions, clock=clock) == at("2026-11-26 09:15")
    clock.set(at("2026-11-26 09:15"))
    run(sessions, clock, notifier)
    [kate] = sent_to(notifier, world, "mgr.kate")
    assert kate.text.startswith("Your daily digest for Health visiting, Thursday 26 November.")
    with sessions() as session:
        change = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.action) == "digest.schedule_changed")
            .order_by(col(AuditEvent.id))
        ).first()
    assert change is not None and change.data == {
        "from": "daily", "to": "daily", "time_from": "08:30", "time_to": "07:45"
    }  # fmt: skip


def test_an_overdue_escalation_counts_the_challenged_teams_working_days_not_the_readers(
    sessions: sessionmaker[Session], world: World
) -> None:
    from schedules.digest.content import build

    # Health visiting (the challenged side of ES-0002) is in Scotland; its reader Kate stays in England.
    with sessions.begin() as session:
        team = session.get(Team, world.team_id("health-visiting"))
        assert team is not None
        team.nation = "SCT"
        escalation = session.exec(select(Escalation).where(col(Escalation.ref) == "ES-0002")).one()
        escalation.level_due_at = at("2026-11-27 17:00")
    with sessions() as session:
        # Tuesday 1 December: Monday was St Andrew's Day, not a working day for the Scottish team.
        digest_ = build(
            session=session,
            now=at("2026-12-01 10:00"),
            handle="mgr.tom",
            team_ids=[world.team_id("front-door")],
            since=at("2026-11-30 08:30"),
            nation="ENG",
        )
    [line] = digest_.raised_by
    assert (line.ref, line.side, line.is_overdue, line.working_days_overdue) == (
        "ES-0002",
        "raised_by",
        True,
        1,
    )
    assert line.working_days_at_level == 5  # 24, 25, 26, 27 November and 1 December
    assert digest_.counts["escalations_overdue"] == 1 and digest_.counts["raised_about"] == 1
