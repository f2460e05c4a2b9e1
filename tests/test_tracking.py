"""Tracked items on working-day clocks: referring, chase plans for both sides, ack, feedback, attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from schedules.outbox import rows as outbox
from schedules.settings import ReminderSettings
from schedules.time.clock import FakeClock
from schedules.tracking import chasing
from schedules.tracking.attempts import record_attempt
from schedules.tracking.items import acknowledge, due_dates, record_feedback, refer
from storage.errors import InvalidInput, NotAllowed, PersonalDataRefused, WrongState
from storage.models import (
    Agency,
    AuditEvent,
    ContactAttempt,
    ContactRoute,
    Person,
    Reminder,
    Team,
    TrackedItem,
)
from storage.references import parse_item_ref

SETTINGS = ReminderSettings()
OFFICE_HOURS = {d: [["08:45", "17:15"]] for d in ("mon", "tue", "wed", "thu")} | {"fri": [["08:45", "16:45"]]}


@dataclass
class World:
    sessions: sessionmaker[Session]
    front_door: int
    amy: int
    jo: int
    kate: int
    lee: int

    def person(self, session: Session, person_id: int) -> Person:
        person = session.get(Person, person_id)
        assert person is not None
        return person

    def team(self, session: Session) -> Team:
        team = session.get(Team, self.front_door)
        assert team is not None
        return team


def build_world(sessions: sessionmaker[Session], *, ack: int | None = 1, response: int | None = 3) -> World:
    with sessions.begin() as session:
        agency = Agency(
            key="nb-childrens", name="Northbrook children's services", kind="children_social_care"
        )
        session.add(agency)
        session.flush()
        assert agency.id is not None
        front_door = Team(
            key="front-door",
            agency_id=agency.id,
            name="Children's front door",
            hours=OFFICE_HOURS,
            contact_person_handle="sw.jo",
        )
        health = Team(key="health-visiting", agency_id=agency.id, name="Health visiting")
        session.add_all([front_door, health])
        session.flush()
        assert front_door.id is not None
        session.add(
            ContactRoute(
                key="front-door-phone",
                team_id=front_door.id,
                kind="phone",
                value="0161 496 0100",
                how_to_leave_message="Give your case reference and a number to call back.",
                ack_expected=ack,
                response_expected=response,
            )
        )
        kate = Person(handle="mgr.kate", display_name="Kate", role="manager", team_id=health.id)
        jo = Person(handle="sw.jo", display_name="Jo", team_id=front_door.id)
        lee = Person(handle="amh.lee", display_name="Lee")
        session.add_all([kate, jo, lee])
        session.flush()
        amy = Person(handle="hv.amy", display_name="Amy", team_id=health.id, manager_id=kate.id)
        session.add(amy)
        session.flush()
        assert amy.id and jo.id and kate.id and lee.id
        return World(sessions, front_door.id, amy.id, jo.id, kate.id, lee.id)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    return build_world(sessions)


def do_refer(world: World, clock: FakeClock, case_ref: str = "NB-204518", about: str = "") -> TrackedItem:
    with world.sessions.begin() as session:
        return refer(
            session=session,
            clock=clock,
            settings=SETTINGS,
            person=world.person(session, world.amy),
            team=world.team(session),
            case_ref=case_ref,
            about=about,
        )


def pending(world: World, item_id: int) -> list[Reminder]:
    with world.sessions() as session:
        return outbox.pending_for(session=session, subject_kind="item", subject_id=item_id)


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    from schedules.time.calendar import LONDON

    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def test_item_refs_are_forgiving() -> None:
    assert [parse_item_ref(t) for t in ("TI-42", "ti0042", "TI-0042", "NB-1")] == ["TI-0042"] * 3 + [None]


def test_a_referral_starts_both_clocks_from_the_route(world: World, clock: FakeClock) -> None:
    item = do_refer(world, clock)

    assert item.ref == "TI-0001" and item.case_ref == "NB-204518" and item.status == "open"
    # Sent Wednesday 25 November 10:00: acknowledgement by the end of Thursday, feedback by the end of Monday,
    # each at the front door's own closing time (17:15 Monday to Thursday), not the configured 17:00.
    assert item.ack_due_at == datetime(2026, 11, 26, 17, 15, tzinfo=UTC)
    assert item.feedback_due_at == datetime(2026, 11, 30, 17, 15, tzinfo=UTC)
    with world.sessions() as session:
        event = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "item.referred")).one()
        assert event.subject == "item:TI-0001" and event.data["case_ref"] == "NB-204518"
        assert session.exec(select(ContactAttempt)).one().result == "sent"


def test_christmas_2026_referral_is_acknowledged_by_the_end_of_tuesday_29_december(
    sessions: sessionmaker[Session],
) -> None:
    world = build_world(sessions, ack=None, response=None)
    item = do_refer(world, FakeClock(london(2026, 12, 24, 15)))
    # 25 Dec (Fri), the weekend and 28 Dec (the substitute Boxing Day) are not working days; the front door
    # closes at 17:15 on a Tuesday.
    assert item.ack_due_at == london(2026, 12, 29, 17, 15)


def test_working_hour_clocks_cross_the_october_clock_change(world: World) -> None:
    with world.sessions.begin() as session:
        team = world.team(session)
        route = ContactRoute(
            key="r", team_id=team.id or 0, kind="phone", value="x", ack_expected=4, ack_unit="working_hours"
        )
        ack, _ = due_dates(settings=SETTINGS, team=team, route=route, sent_at=london(2026, 10, 23, 15))
    # Friday 23 October 15:00 BST: 2 working hours that day, 2 more on Monday 26 October (now GMT).
    assert ack == london(2026, 10, 26, 11) == datetime(2026, 10, 26, 11, 0, tzinfo=UTC)


def test_overdue_acknowledgement_chases_the_referrer_and_the_receiving_team(
    world: World, clock: FakeClock
) -> None:
    item = do_refer(world, clock)
    assert item.id is not None

    reminders = pending(world, item.id)

    ack_chases = [(r.recipient_person_id, r.kind, r.due_at) for r in reminders if r.kind in chasing.ACK_KINDS]
    # The ack clock runs out at 17:00 on Thursday; the first chase waits for 9am Friday, then each working day.
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    tuesday = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert sorted(ack_chases) == sorted(
        [(world.amy, chasing.ACK_CHASE, at) for at in (friday, monday, tuesday)]
        + [(world.jo, chasing.RECEIVER_ACK_CHASE, at) for at in (friday, monday, tuesday)]
    )
    nudges = [r for r in reminders if r.kind == chasing.ESCALATION_NUDGE]
    assert len(nudges) == 1 and nudges[0].recipient_person_id == world.amy
    assert all(r.payload["item_ref"] == "TI-0001" for r in reminders)


def test_acknowledging_stops_the_ack_chases_and_feedback_closes_the_item(
    world: World, clock: FakeClock
) -> None:
    item = do_refer(world, clock)
    assert item.id is not None
    clock.advance(timedelta(hours=3))
    with world.sessions.begin() as session:
        acknowledge(
            session=session,
            clock=clock,
            settings=SETTINGS,
            ref="ti-1",
            person=world.person(session, world.jo),
        )
    left = pending(world, item.id)
    assert left and not [r for r in left if r.kind in chasing.ACK_KINDS]

    with world.sessions.begin() as session:
        done = record_feedback(
            session=session,
            clock=clock,
            settings=SETTINGS,
            ref="TI-0001",
            person=world.person(session, world.jo),
            outcome="early_help",
        )
        assert (done.status, done.outcome, done.ack_working_minutes) == ("closed", "early_help", 180)
    assert pending(world, item.id) == []
    with world.sessions() as session:
        actions = session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all()
    assert actions[-2:] == ["item.acknowledged", "item.feedback"]


def test_no_further_action_needs_a_reason_and_outcomes_are_checked(world: World, clock: FakeClock) -> None:
    do_refer(world, clock)
    with world.sessions.begin() as session:
        jo = world.person(session, world.jo)
        with pytest.raises(InvalidInput, match="reason"):
            record_feedback(
                session=session,
                clock=clock,
                settings=SETTINGS,
                ref="TI-1",
                person=jo,
                outcome="no_further_action",
            )
        with pytest.raises(InvalidInput, match="outcome"):
            record_feedback(
                session=session, clock=clock, settings=SETTINGS, ref="TI-1", person=jo, outcome="lost"
            )


def test_only_the_two_sides_may_change_an_item(world: World, clock: FakeClock) -> None:
    do_refer(world, clock)
    with world.sessions.begin() as session, pytest.raises(NotAllowed):
        acknowledge(
            session=session,
            clock=clock,
            settings=SETTINGS,
            ref="TI-1",
            person=world.person(session, world.lee),
        )


def test_a_closed_item_cannot_be_acknowledged(world: World, clock: FakeClock) -> None:
    do_refer(world, clock)
    with world.sessions.begin() as session:
        jo = world.person(session, world.jo)
        record_feedback(
            session=session, clock=clock, settings=SETTINGS, ref="TI-1", person=jo, outcome="signposted"
        )
    with world.sessions.begin() as session, pytest.raises(WrongState):
        acknowledge(
            session=session,
            clock=clock,
            settings=SETTINGS,
            ref="TI-1",
            person=world.person(session, world.jo),
        )


@pytest.mark.parametrize(
    ("case_ref", "about"),
    [("9434765919", ""), ("NB-1", "family at M1 1AE"), ("NB-1", "mum's mobile 07700 900123")],
)
def test_personal_data_is_refused_and_nothing_is_stored(
    world: World, clock: FakeClock, case_ref: str, about: str
) -> None:
    with pytest.raises(PersonalDataRefused):
        do_refer(world, clock, case_ref=case_ref, about=about)
    with world.sessions() as session:
        assert session.exec(select(TrackedItem)).all() == []


def test_the_third_contact_about_a_case_prompts_escalation(world: World, clock: FakeClock) -> None:
    do_refer(world, clock)
    results = []
    for result in ("no_answer", "left_message"):
        clock.advance(timedelta(hours=1))
        with world.sessions.begin() as session:
            recorded = record_attempt(
                session=session,
                clock=clock,
                settings=SETTINGS,
                person=world.person(session, world.amy),
                result=result,
                item_ref="TI-0001",
            )
            results.append((recorded.contacts, recorded.should_escalate))
    assert results == [(2, False), (3, True)]


def test_an_attempt_by_team_and_case_joins_the_open_item(world: World, clock: FakeClock) -> None:
    item = do_refer(world, clock)
    with world.sessions.begin() as session:
        recorded = record_attempt(
            session=session,
            clock=clock,
            settings=SETTINGS,
            person=world.person(session, world.amy),
            result="spoke",
            team=world.team(session),
            case_ref="nb-204518",
        )
        assert recorded.item is not None and recorded.item.id == item.id
        assert recorded.attempt.item_id == item.id
