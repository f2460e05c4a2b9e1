"""Who decides an escalation: the raiser's side decides, the challenged side responds (seed 001)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from handlers.messages import Reply
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, Escalation, EscalationStep, Person
from tests.escalation_world import World, build_world

CASE = "NB-204518"


def full(reply: Reply) -> str:
    return "\n".join([reply.text, *(f"{f.label}: {f.value}" for f in reply.fields)])


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def world(sessions: sessionmaker[Session], clock: FakeClock) -> World:
    return build_world(sessions, clock)


def escalation(world: World) -> Escalation:
    with world.sessions() as session:
        return session.exec(select(Escalation).where(col(Escalation.ref) == "ES-0001")).one()


def actions(world: World) -> list[tuple[int, str, str]]:
    with world.sessions() as session:
        rows = session.exec(select(EscalationStep).order_by(col(EscalationStep.at), col(EscalationStep.id)))
        return [(s.level, s.action, s.outcome) for s in rows]


def sent_to(world: World, handle: str) -> list[Reply]:
    person_id = world.person(handle).id
    return [reply for to, reply in world.notifier.sent if to == person_id]


async def raise_against_front_door(world: World) -> None:
    item = world.item(case_ref=CASE, handle="hv.amy", team="front-door", outcome="no_further_action")
    await world.say("hv.amy", f"disagree {item}")
    card = await world.say("hv.amy", "no")
    assert "I've opened ES-0001 at level 1" in card.text


async def test_the_challenged_side_cannot_close_an_escalation_against_itself(world: World) -> None:
    await raise_against_front_door(world)
    # The front door's manager presses Resolved (a stale or forwarded button): refused, audited, still open.
    refused = await world.press("mgr.tom", "escalation_resolved", "ES-0001")
    assert "You can't change ES-0001" in refused.text
    assert "press Record our response" in refused.text
    assert escalation(world).status == "open"
    with world.sessions() as session:
        audited = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "access.refused")).one()
    assert (audited.actor, audited.subject) == ("mgr.tom", "escalation:ES-0001")
    assert audited.data["action"] == "escalation.change"

    # His own view of it offers a response, not a decision, and is addressed to him.
    card = await world.say("mgr.tom", "escalations ES-0001")
    assert [b.label for b in card.buttons] == ["Record our response"]
    assert "Amy Hughes (Health visiting) disagrees with your team's decision" in card.text
    assert "Your manager" not in full(card)
    # The refusal stays in the audit log: it is not part of the case's history.
    chronology = full(await world.say("hv.amy", f"chronology {CASE}"))
    assert "Escalation started" in chronology and "refused" not in chronology.lower()


async def test_a_response_goes_to_the_raiser_who_decides_and_her_manager_hears_if_she_does_not(
    world: World,
) -> None:
    await raise_against_front_door(world)
    ask = await world.press("mgr.tom", "escalation_respond", "ES-0001")
    assert "Type maintained, changed or more information" in ask.text
    assert ask.form is not None and [i.id for i in ask.form.inputs] == ["decision", "why"]
    assert "Choose one" in (await world.say("mgr.tom", "we closed it")).text  # asked again, nothing stored
    assert "Why?" in (await world.say("mgr.tom", "we maintain our decision")).text
    done = await world.say("mgr.tom", "Below threshold: the family accepted early help last week")
    assert (
        "I've recorded your response to ES-0001 (decision maintained) and sent it to Amy Hughes" in done.text
    )
    assert escalation(world).status == "open"
    assert actions(world)[-1] == (1, "response", "maintained")
    chronology = full(await world.say("hv.amy", f"chronology {CASE}"))
    assert "Response at level 1 (Practitioner to practitioner): decision maintained" in chronology

    (told,) = sent_to(world, "hv.amy")
    assert "Tom Rahman of Children's front door (MASH) responded to ES-0001" in told.text
    assert "decision maintained" in told.text
    assert [b.label for b in told.buttons][:2] == ["Accept: resolved", "Don't accept: go to level 2"]

    # Amy doesn't answer within level 1's two working days: her manager is reminded, not the front door.
    delivered = await world.advance_to(at(2026, 11, 30, 9, 30))
    kate = [reply for to, reply in delivered if to == "mgr.kate"]
    assert len(kate) == 1 and "responded to Amy Hughes's escalation ES-0001" in kate[0].text
    assert "nobody has accepted it or moved it up" in kate[0].text
    assert not any(to == "mgr.tom" for to, _ in delivered)

    # Amy doesn't accept: only "why" is asked; level 2 carries both positions; Kate's card is hers.
    ask = await world.press("hv.amy", "escalation_next", "ES-0001")
    assert "one question before it moves to level 2: why it didn't resolve." in ask.text
    assert ask.form is not None and ask.form.inputs[0].initial.startswith(
        "Level 1: Children's front door (MASH) responded, decision maintained"
    )
    moved = full(await world.say("hv.amy", "Three missed health visits since; the risk has grown"))
    assert "ES-0001 is now at level 2" in moved
    assert "Their position: Children's front door (MASH): decision maintained." in moved
    assert "Raiser's position: Three missed health visits since" in moved
    kate_card = sent_to(world, "mgr.kate")[-1]
    assert "Amy Hughes moved ES-0001 (case NB-204518) to level 2" in kate_card.text
    assert "Your manager" not in full(kate_card) and "Raised by: Amy Hughes" in full(kate_card)
    assert "I'm Kate Morris" in full(kate_card) and "Tell your manager" not in full(kate_card)


async def test_accepting_the_response_resolves_it_with_the_raisers_rationale(world: World) -> None:
    await raise_against_front_door(world)
    await world.press("sw.jo", "escalation_respond", "ES-0001")
    await world.say("sw.jo", "changed")
    await world.say("sw.jo", "New information from the school: we will assess")
    ask = await world.press("hv.amy", "escalation_resolved", "ES-0001")
    assert "one question to record the outcome: why it is the right outcome." in ask.text
    done = await world.say("hv.amy", "An assessment is what I asked for")
    assert "ES-0001 is resolved at level 1" in done.text
    found = escalation(world)
    assert found.status == "resolved"
    assert found.outcome.startswith(
        "Accepted the response from Children's front door (MASH): decision changed"
    )
    assert found.rationale == "An assessment is what I asked for"


async def test_hand_over_to_a_colleague_moves_the_reminders_and_keeps_the_deadline(world: World) -> None:
    with world.sessions.begin() as session:
        amy = session.exec(select(Person).where(col(Person.handle) == "hv.amy")).one()
        session.add(
            Person(
                handle="hv.bea",
                display_name="Bea Lewis",
                job_title="Health visitor",
                team_id=amy.team_id,
                manager_id=amy.manager_id,
                is_onboarded=True,
                created_at=world.clock.now(),
            )
        )
    await raise_against_front_door(world)
    due_before = escalation(world).level_due_at
    refused = await world.say("mgr.tom", "hand over ES-0001 to Tom Rahman")
    assert "You can't change ES-0001" in refused.text
    not_colleague = await world.say("hv.amy", "hand over ES-0001 to sw.jo")
    assert "isn't in Amy Hughes's team" in not_colleague.text
    done = await world.say("hv.amy", "hand over ES-0001 to Bea Lewis")
    assert "ES-0001 is now held by Bea Lewis" in done.text
    found = escalation(world)
    assert found.raised_by_person_id == world.person("hv.bea").id and found.level_due_at == due_before
    assert "handed ES-0001 (case NB-204518) to you" in sent_to(world, "hv.bea")[-1].text
    assert [r.recipient_person_id for r in world.pending()] == [world.person("hv.bea").id]
    assert actions(world)[-1] == (1, "handed_over", "")
    assert "Resolved" in [b.label for b in (await world.say("hv.bea", "escalations ES-0001")).buttons]


async def test_only_the_partnership_level_says_its_decision_is_final(world: World) -> None:
    await raise_against_front_door(world)
    level_1 = full(await world.say("hv.amy", "escalations ES-0001"))
    assert "decision is final" not in level_1
    for tried, why in (
        ("called", "no change"),
        ("managers spoke", "no change"),
        ("heads spoke", "no change"),
    ):
        await world.press("hv.amy", "escalation_next", "ES-0001")
        await world.say("hv.amy", tried)
        reply = full(await world.say("hv.amy", why))
    assert "The partnership sets its own timescale; its decision is final." in reply
    card = await world.say("partnership.chair", "escalations ES-0001")
    assert [b.label for b in card.buttons] == ["Record the decision"]


async def test_escalation_lists_split_raised_by_and_about_your_team_overdue_first(world: World) -> None:
    await raise_against_front_door(world)
    # A second escalation, raised by the front door about health visiting, still in time.
    item = world.item(case_ref="NB-300002", handle="sw.jo", team="health-visiting")
    await world.say("sw.jo", f"escalate NB-300002 about {item}")
    await world.say("sw.jo", "no")
    await world.advance_to(at(2026, 11, 30, 10))  # ES-0001's level 1 ran out on Friday 27 November
    await world.say("sw.jo", "escalate NB-300003 about health visiting")
    await world.say("sw.jo", "no")
    tom = await world.say("mgr.tom", "escalations")
    assert tom.text == (
        "Your open escalations: 2 raised by your team (1 overdue); 1 raised about your team (1 overdue)."
    )
    titles = [s.title for s in tom.sections]
    assert titles == [
        "Raised by your team: ES-0002, case NB-300002, level 1",
        "Raised by your team: ES-0003, case NB-300003, level 1",
        "Raised about your team: ES-0001, case NB-204518, level 1",
    ]
    assert tom.sections[0].text.startswith("Overdue at level 1: it was due by")
    assert tom.sections[2].text == "Overdue at level 1: it was due by 5pm on Friday 27 November"
    amy = await world.say("hv.amy", "escalations")
    assert [s.title.split(":")[0] for s in amy.sections] == [
        "Raised by your team",
        "Raised about your team",
        "Raised about your team",
    ]
