"""Pausing, resuming, snoozing and closing tracked items, and the lists behind `mine`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from schedules.time.clock import FakeClock
from schedules.tracking import chasing
from schedules.tracking.lifecycle import close, pause, resume, sent_by, snooze, waiting_on_my_team
from storage.errors import InvalidInput, WrongState
from tests.test_tracking import SETTINGS, World, build_world, do_refer, pending


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    return build_world(sessions)


def test_pause_and_resume_keep_the_working_time_left(world: World, clock: FakeClock) -> None:
    item = do_refer(
        world, clock
    )  # Wednesday 25 November, 10:00: ack due Thursday 17:15, feedback Monday 17:15 (the front door's hours:
    # 08:45-17:15 Monday to Thursday, 08:45-16:45 on Friday)
    assert item.id is not None
    clock.set(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    with world.sessions.begin() as session:
        paused = pause(
            session=session,
            clock=clock,
            settings=SETTINGS,
            ref="TI-1",
            person=world.person(session, world.amy),
            reason="waiting for the family",
        )
        assert (paused.status, paused.ack_remaining_minutes, paused.feedback_remaining_minutes) == (
            "paused",
            315 + 510,  # the rest of Wednesday and all of Thursday
            315 + 510 + 480 + 510,  # and Friday (to 16:45) and Monday
        )
    assert pending(world, item.id) == []

    clock.set(datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    with world.sessions.begin() as session:
        resumed = resume(
            session=session,
            clock=clock,
            settings=SETTINGS,
            ref="TI-1",
            person=world.person(session, world.amy),
        )
        assert resumed.status == "open"
        # 825 minutes from Monday 10:00: 435 on Monday, 390 from 08:45 on Tuesday.
        assert resumed.ack_due_at == datetime(2026, 12, 1, 15, 15, tzinfo=UTC)
        # 1815 minutes: 435 on Monday, 510 on Tuesday and Wednesday, 360 from 08:45 on Thursday.
        assert resumed.feedback_due_at == datetime(2026, 12, 3, 14, 45, tzinfo=UTC)
    first_ack_chase = min(r.due_at for r in pending(world, item.id) if r.kind == chasing.ACK_CHASE)
    assert first_ack_chase == datetime(2026, 12, 1, 15, 15, tzinfo=UTC)


def test_only_an_open_item_can_be_paused_and_only_a_paused_one_resumed(
    world: World, clock: FakeClock
) -> None:
    do_refer(world, clock)
    with world.sessions.begin() as session, pytest.raises(WrongState):
        resume(
            session=session,
            clock=clock,
            settings=SETTINGS,
            ref="TI-1",
            person=world.person(session, world.amy),
        )


def test_snooze_moves_only_my_reminders(world: World, clock: FakeClock) -> None:
    item = do_refer(world, clock)
    assert item.id is not None
    before = {(r.recipient_person_id, r.kind, r.payload["chase"]): r.due_at for r in pending(world, item.id)}
    until = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # first ack chase was due Friday 9am
    with world.sessions.begin() as session:
        next_at = snooze(
            session=session,
            clock=clock,
            settings=SETTINGS,
            ref="TI-1",
            person=world.person(session, world.amy),
            until=until,
        )
    assert next_at == until
    after = {(r.recipient_person_id, r.kind, r.payload["chase"]): r.due_at for r in pending(world, item.id)}
    assert after[(world.amy, chasing.ACK_CHASE, 1)] == until
    assert (
        after[(world.jo, chasing.RECEIVER_ACK_CHASE, 1)] == before[(world.jo, chasing.RECEIVER_ACK_CHASE, 1)]
    )
    assert all(after[key] >= until for key in after if key[0] == world.amy)


def test_snooze_is_limited_to_twenty_working_days(world: World, clock: FakeClock) -> None:
    do_refer(world, clock)
    with world.sessions.begin() as session, pytest.raises(InvalidInput):
        snooze(
            session=session,
            clock=clock,
            settings=SETTINGS,
            ref="TI-1",
            person=world.person(session, world.amy),
            until=clock.now() + timedelta(days=60),
        )


def test_close_cancels_everything_and_the_lists_follow(world: World, clock: FakeClock) -> None:
    item = do_refer(world, clock)
    assert item.id is not None
    with world.sessions() as session:
        assert [i.ref for i in sent_by(session=session, person=world.person(session, world.amy))] == [
            "TI-0001"
        ]
        assert [
            i.ref for i in waiting_on_my_team(session=session, person=world.person(session, world.jo))
        ] == ["TI-0001"]
    with world.sessions.begin() as session:
        close(
            session=session,
            clock=clock,
            ref="TI-1",
            person=world.person(session, world.amy),
            reason="logged twice",
        )
    assert pending(world, item.id) == []
    with world.sessions() as session:
        assert sent_by(session=session, person=world.person(session, world.amy)) == []


def test_time_spent_paused_is_left_out_of_the_response_times(world: World, clock: FakeClock) -> None:
    from schedules.tracking.items import acknowledge, record_feedback

    do_refer(world, clock)  # Wednesday 25 November, 10:00
    steps = (
        (datetime(2026, 11, 25, 11, 0, tzinfo=UTC), "pause"),  # 1 working hour running
        (datetime(2026, 11, 26, 11, 0, tzinfo=UTC), "resume"),  # 8.5 of the front door's working hours paused
        (datetime(2026, 11, 26, 12, 0, tzinfo=UTC), "ack"),  # 1 more hour: 2 hours to acknowledge
        (datetime(2026, 11, 26, 13, 0, tzinfo=UTC), "pause"),  # 1 more hour on the feedback clock
        (
            datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
            "feedback",
        ),  # given while paused: those 2 hours don't count
    )
    for at, step in steps:
        clock.set(at)
        with world.sessions.begin() as session:
            amy = world.person(session, world.amy)
            if step == "pause":
                pause(
                    session=session, clock=clock, settings=SETTINGS, ref="TI-1", person=amy, reason="family"
                )
            elif step == "resume":
                resume(session=session, clock=clock, settings=SETTINGS, ref="TI-1", person=amy)
            elif step == "ack":
                acknowledge(session=session, clock=clock, settings=SETTINGS, ref="TI-1", person=amy)
            else:
                item = record_feedback(
                    session=session, clock=clock, settings=SETTINGS, ref="TI-1", person=amy,
                    outcome="early_help", reason="",
                )  # fmt: skip
    assert (item.ack_paused_minutes, item.feedback_paused_minutes) == (510, 510)
    assert (item.ack_working_minutes, item.feedback_working_minutes) == (120, 180)
