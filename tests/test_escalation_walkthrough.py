"""The escalation walkthrough end to end through the Dispatcher, with a fake clock and the outbox sweep."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from handlers.messages import InboundMessage, Reply
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, Escalation, EscalationStep, Person, Team, TrackedItem
from tests.escalation_world import World, build_world

CASE = "NB-204518"


def full(reply: Reply) -> str:
    """Return a reply's text and fields as one string."""
    return "\n".join([reply.text, *(f"{f.label}: {f.value}" for f in reply.fields)])


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC moment (London is on GMT in November to January, so this is London time too)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def world(sessions: sessionmaker[Session], clock: FakeClock) -> World:
    return build_world(sessions, clock)


def escalation(world: World, ref: str = "ES-0001") -> Escalation:
    with world.sessions() as session:
        return session.exec(select(Escalation).where(col(Escalation.ref) == ref)).one()


def steps(world: World, ref: str = "ES-0001") -> list[tuple[int, str]]:
    found = escalation(world, ref)
    with world.sessions() as session:
        rows = session.exec(
            select(EscalationStep)
            .where(col(EscalationStep.escalation_id) == found.id)
            .order_by(col(EscalationStep.at), col(EscalationStep.id))
        ).all()
        return [(s.level, s.action) for s in rows]


def pending(world: World) -> list[tuple[str, datetime, int]]:
    handles = {}
    with world.sessions() as session:
        handles = {p.id: p.handle for p in session.exec(select(Person))}
    return [(handles[r.recipient_person_id], r.due_at, r.payload["level"]) for r in world.pending()]


async def open_escalation(
    world: World, handle: str = "hv.amy", *, disagree: bool = True, levels: int = 4
) -> str:
    item = world.item(case_ref=CASE, handle=handle, team="front-door", outcome="no_further_action")
    question = await world.say(handle, f"disagree {item}" if disagree else f"escalate {CASE}")
    assert "immediate risk of harm" in question.text
    card = await world.say(handle, "no")
    assert f"level 1 of {levels}, Practitioner to practitioner" in card.text, card.text
    return item


async def move_up(world: World, handle: str, tried: str, why: str) -> str:
    question = await world.press(handle, "escalation_next", "ES-0001")
    # The form asks the questions; the message says what they are for, without asking them again.
    assert "two questions before it moves to level" in question.text and "?" not in question.text
    assert question.form is not None and question.form.inputs[0].label == "What did you try at this level"
    assert "Why didn't it resolve" in (await world.say(handle, tried)).text
    return full(await world.say(handle, why))


async def test_a_full_four_level_run_times_out_at_each_level_and_reminds_the_right_people(
    world: World,
) -> None:
    await open_escalation(world)
    # Level 1: 2 working days from Wednesday 25 November runs out at 5pm on Friday 27 November; the
    # reminder waits for Monday morning rather than arriving in the evening.
    assert pending(world) == [("hv.amy", at(2026, 11, 30, 9), 1)]
    assert await world.advance_to(at(2026, 11, 27, 17, 30)) == []
    assert [(step, action) for step, action in steps(world)] == [(1, "started"), (1, "timed_out")]
    delivered = await world.advance_to(at(2026, 11, 30, 9))
    assert [to for to, _ in delivered] == ["hv.amy"]
    assert (
        "Time's up for level 1, Practitioner to practitioner, of ES-0001 (case NB-204518)"
        in delivered[0][1].text
    )
    assert "due on Friday 27 November" in delivered[0][1].text
    assert [b.action for b in delivered[0][1].buttons][:2] == ["escalation_resolved", "escalation_next"]

    # Level 2 (5 working days): the raiser and, from now on, their manager.
    reply = await move_up(
        world, "hv.amy", "called the duty senior practitioner twice", "still below threshold"
    )
    assert (
        "level 2 of 4, Manager to manager" in reply
        and "Front door team manager (phone 0161 496 0103)" in reply
    )
    told = [(p, r.text) for p, r in world.notifier.sent]
    kate = world.person("mgr.kate").id
    assert told[-1][0] == kate and "Amy Hughes moved ES-0001 (case NB-204518) to level 2" in told[-1][1]
    assert sorted(pending(world)) == [("hv.amy", at(2026, 12, 8, 9), 2), ("mgr.kate", at(2026, 12, 8, 9), 2)]
    delivered = await world.advance_to(at(2026, 12, 8, 9))
    assert sorted(to for to, _ in delivered) == ["hv.amy", "mgr.kate"]
    manager_text = next(r.text for to, r in delivered if to == "mgr.kate")
    assert "Amy Hughes's escalation ES-0001 (case NB-204518) ran out of time at level 2" in manager_text
    assert "You act at this level" in manager_text

    # Level 3: the manager moves it on; the raiser hears.
    reply = await move_up(world, "mgr.kate", "spoke to the front door team manager", "no change in decision")
    assert "level 3 of 4, Senior managers and designated professionals" in reply
    assert world.notifier.sent[-1][0] == world.person("hv.amy").id
    assert sorted(pending(world)) == [
        ("hv.amy", at(2026, 12, 16, 9), 3),
        ("mgr.kate", at(2026, 12, 16, 9), 3),
    ]
    delivered = await world.advance_to(at(2026, 12, 16, 9))
    assert sorted(to for to, _ in delivered) == ["hv.amy", "mgr.kate"]

    # Level 4: the partnership, with a referral item and who chairs it; no timer of ours.
    reply = await move_up(world, "hv.amy", "head of service emailed", "head of service upheld the decision")
    assert "level 4 of 4, Safeguarding partnership" in reply
    assert "It's now with the safeguarding partnership. I've sent referral TI-0002" in reply
    assert "Morgan Ellis" in reply and "nscp@northbrook.example.org" in reply
    assert pending(world) == []
    with world.sessions() as session:
        referral = session.exec(select(TrackedItem).where(col(TrackedItem.ref) == "TI-0002")).one()
        assert (referral.kind, referral.case_ref) == ("partnership_referral", CASE)
    assert escalation(world).status == "partnership"
    refused = await world.press("hv.amy", "escalation_next", "ES-0001")
    assert "at the last level, so you can't move it up a level" in refused.text

    # The partnership records its decision; the raiser hears the outcome.
    asked = await world.press("partnership.chair", "escalation_resolved", "ES-0001")
    assert asked.form is not None and asked.form.inputs[0].label == "What was agreed"
    await world.say("partnership.chair", "Front door to reassess with a strategy discussion")
    done = await world.say("partnership.chair", "New evidence of injury met the threshold for section 47")
    assert "ES-0001 is resolved at level 4" in done.text
    assert (
        world.notifier.sent[-1]
        == (
            world.person("hv.amy").id,
            world.notifier.sent[-1][1],
        )
        and "Morgan Ellis recorded ES-0001 as resolved" in world.notifier.sent[-1][1].text
    )
    final = escalation(world)
    assert (final.status, final.level, final.outcome) == (
        "resolved",
        4,
        "Front door to reassess with a strategy discussion",
    )
    assert final.resolution_working_days == 15
    assert steps(world) == [
        (1, "started"),
        (1, "timed_out"),
        (1, "not_resolved"),
        (2, "level_started"),
        (2, "timed_out"),
        (2, "not_resolved"),
        (3, "level_started"),
        (3, "timed_out"),
        (3, "not_resolved"),
        (4, "level_started"),
        (4, "resolved"),
    ]
    with world.sessions() as session:
        actions = session.exec(
            select(AuditEvent.action).where(col(AuditEvent.subject) == "escalation:ES-0001")
        ).all()
    assert actions.count("escalation.not_resolved") == 3 and actions[-1] == "escalation.resolved"


@pytest.mark.parametrize(
    ("nation", "level_2_reminder"),
    [
        # 31 Dec, (1 Jan), 4, 5, 6, 7 Jan: due Thursday 7 January, reminded Friday morning.
        ("ENG", at(2027, 1, 8, 9)),
        # Scotland also has 4 January off (2 January fell on a Saturday): due Friday 8, reminded Monday.
        ("SCT", at(2027, 1, 11, 9)),
    ],
)
async def test_level_timers_count_the_challenged_teams_nations_bank_holidays(
    world: World, nation: str, level_2_reminder: datetime
) -> None:
    # The health visitor stays in England: the front door she challenges decides the working days.
    with world.sessions.begin() as session:
        front_door = session.exec(select(Team).where(col(Team.key) == "front-door")).one()
        front_door.nation = nation
    world.clock.set(at(2026, 12, 23, 10))
    await open_escalation(world)
    # 24 Dec is day 1; Christmas Day, the weekend and Monday 28 December (for Boxing Day) are not. The
    # level ends when the front door closes on Tuesday (17:15), so the raiser hears next morning.
    assert escalation(world).level_due_at == at(2026, 12, 29, 17, 15)
    assert pending(world) == [("hv.amy", at(2026, 12, 30, 9), 1)]
    assert await world.advance_to(at(2026, 12, 29, 17, 30)) == []
    assert [to for to, _ in await world.advance_to(at(2026, 12, 30, 9))] == ["hv.amy"]
    await move_up(world, "hv.amy", "called twice", "no reply")
    assert sorted(pending(world)) == [("hv.amy", level_2_reminder, 2), ("mgr.kate", level_2_reminder, 2)]


async def test_immediate_risk_sends_to_999_and_the_open_front_door_and_stops(world: World) -> None:
    world.item(case_ref=CASE, handle="hv.amy", team="front-door")
    await world.say("hv.amy", f"escalate {CASE}")
    reply = await world.press("hv.amy", "escalate_risk_yes", CASE)
    assert reply.text.startswith(
        "Call 999 now, then the Children's front door (MASH) on 0161 496 0100 (open now)."
    )
    assert "not a disagreement to escalate" in reply.text and reply.buttons == ()
    # A risk redirect against the case, in the audit log (and so the chronology): not an escalation.
    with world.sessions() as session:
        assert session.exec(select(Escalation)).all() == []
        redirect = session.exec(
            select(AuditEvent).where(col(AuditEvent.action) == "case.risk_redirect")
        ).one()
    assert (redirect.actor, redirect.subject) == ("hv.amy", f"case:{CASE}") and pending(world) == []
    chronology = await world.say("hv.amy", f"chronology {CASE}")
    assert "a risk redirect, not an escalation" in full(chronology)
    # The walkthrough is over: the next "no" is not an answer to anything.
    assert "expired" in (await world.press("hv.amy", "escalate_risk_no", CASE)).text


async def test_immediate_risk_out_of_hours_gives_the_emergency_duty_team(world: World) -> None:
    world.item(case_ref=CASE, handle="hv.amy", team="front-door")
    world.clock.set(at(2026, 11, 28, 11))  # a Saturday
    await world.say("hv.amy", f"escalate {CASE}")
    reply = await world.say("hv.amy", "yes")
    assert reply.text.startswith(
        "Call 999 now, then the Emergency duty team (out of hours) on 0161 496 0110: "
        "the Children's front door (MASH) is closed now."
    )


async def test_resolved_at_level_2_records_the_outcome_and_stops_the_reminders(world: World) -> None:
    await open_escalation(world, disagree=False)
    # No item named: the other side is the team Amy last referred the case to.
    assert (escalation(world).other_team_id, escalation(world).item_id) == (world.team_id("front-door"), None)
    await move_up(world, "hv.amy", "rang the duty senior practitioner", "decision not reviewed")
    assert len(pending(world)) == 2
    asked = await world.press("hv.amy", "escalation_resolved", "ES-0001")
    assert "what was agreed, and why it is the right outcome" in asked.text
    question = await world.say("hv.amy", "Case accepted for a child and family assessment")
    assert "Why is that the right outcome" in question.text
    done = await world.say("hv.amy", "Managers agreed the parental mental health risk was underweighted")
    assert done.text.startswith("ES-0001 is resolved at level 2.")
    found = escalation(world)
    assert (found.status, found.level, found.outcome, found.rationale) == (
        "resolved",
        2,
        "Case accepted for a child and family assessment",
        "Managers agreed the parental mental health risk was underweighted",
    )
    assert pending(world) == []
    assert steps(world)[-1] == (2, "resolved")
    assert await world.advance_to(at(2026, 12, 8, 12)) == []


async def test_a_reload_of_the_policy_leaves_an_open_escalation_on_its_version(world: World) -> None:
    from schedules.escalation.policy import SHIPPED_DIR, load_policy, parse_policy

    await open_escalation(world)
    text = (SHIPPED_DIR / "northbrook-four-level.yaml").read_text(encoding="utf-8")
    changed = parse_policy(text.replace("working_days: 5", "working_days: 3", 1))
    with world.sessions.begin() as session:
        version, is_new = load_policy(
            session=session, clock=world.clock, policy=changed, loaded_by="admin.nadia"
        )
    assert is_new and version.version == 2
    reply = await move_up(world, "hv.amy", "called", "no change")
    assert "(5 working days)" in reply  # version 1's level 2
    assert escalation(world).level_due_at == at(2026, 12, 2, 17, 15)  # the front door closes at 17:15
    # A new escalation starts on the new version.
    world.item(case_ref="NB-300001", handle="amh.lee", team="front-door")
    await world.say("amh.lee", "escalate NB-300001")
    await world.say("amh.lee", "no")
    assert escalation(world, "ES-0002").policy_version_id == version.id
    assert escalation(world, "ES-0001").policy_version_id != version.id


async def test_bad_input_gets_a_clear_message_and_changes_nothing(world: World) -> None:
    item = world.item(case_ref=CASE, handle="hv.amy", team="front-door", outcome="no_further_action")
    cases = {
        "escalate": "Tell me the case reference",
        "escalate NB-999999": "I can't find case NB-999999",
        f"escalate {item}": "is closed, so you can't escalate it. To challenge its outcome, type disagree",
        "escalate Jane Smith": "looks like a name",
        "disagree NB-204518": "Tell me which item you disagree about",
        "escalate NB-204518 about the moon team": "I can't find team",
        "escalations ES-0042": "I can't find escalation ES-0042",
    }
    for text, expected in cases.items():
        reply = await world.say("hv.amy", text)
        assert expected in reply.text, (text, reply.text)
    refused = await world.say("dsl.priya", f"escalate {CASE}")
    assert "You can't see the chronology for NB-204518" in refused.text
    with world.sessions() as session:
        assert session.exec(select(Escalation)).all() == []


async def test_answers_are_checked_and_asked_again_without_losing_the_place(world: World) -> None:
    await open_escalation(world)
    await world.press("hv.amy", "escalation_resolved", "ES-0001")
    again = await world.say("hv.amy", "Agreed after meeting at M1 1AE")
    assert "looks like a postcode" in again.text and "What was agreed" in again.text
    assert "Why is that the right outcome" in (await world.say("hv.amy", "Agreed to reassess")).text
    assert escalation(world).status == "open"
    assert "stopped that" in (await world.say("hv.amy", "cancel")).text
    assert escalation(world).status == "open" and steps(world) == [(1, "started")]


async def test_one_open_escalation_per_person_and_case(world: World) -> None:
    await open_escalation(world)
    reply = await world.say("hv.amy", f"escalate {CASE}")
    assert "already being escalated (ES-0001, level 1)" in reply.text


async def test_remind_me_once_a_working_day_later_and_withdraw_cancels_it(world: World) -> None:
    await open_escalation(world)
    first = await world.press("hv.amy", "escalation_remind", "ES-0001")
    assert first.text == "I'll remind you at 10am on Thursday 26 November."
    await world.press("hv.amy", "escalation_remind", "ES-0001")
    assert len(pending(world)) == 2  # the level timer and one reminder, not two
    delivered = await world.advance_to(at(2026, 11, 26, 10))
    assert [to for to, _ in delivered] == ["hv.amy"]
    assert delivered[0][1].text.startswith("Reminder: ES-0001 (case NB-204518) is at level 1 of 4")
    asked = await world.press("hv.amy", "escalation_withdraw", "ES-0001")
    assert "why you are withdrawing it" in asked.text
    done = await world.say("hv.amy", "New information came in and I now agree with the decision")
    assert done.text.startswith("ES-0001 is withdrawn")
    assert escalation(world).status == "withdrawn" and pending(world) == []


async def test_the_escalate_button_on_a_chase_starts_the_walkthrough_for_that_item(world: World) -> None:
    item = world.item(case_ref=CASE, handle="hv.amy", team="front-door")
    question = await world.press("hv.amy", "escalate", item)
    assert "case NB-204518" in question.text
    card = await world.say("hv.amy", "no")
    assert "Duty senior practitioner (phone 0161 496 0102)" in full(card)
    assert escalation(world).item_id is not None
    other = await world.press("dsl.priya", "escalation_next", "ES-0001")
    assert "You can't change ES-0001" in other.text


async def test_escalate_about_a_named_team_uses_that_teams_contacts(world: World) -> None:
    world.item(case_ref=CASE, handle="hv.amy", team="front-door")
    await world.say("hv.amy", f"escalate {CASE} about early help hub")
    card = await world.say("hv.amy", "no")
    assert "Disagreement with: Early help hub" in full(card)
    assert "Early help coordinator (phone 0161 496 0121)" in full(card)


async def test_the_risk_question_advises_when_unsure_and_lets_another_command_through(world: World) -> None:
    world.item(case_ref=CASE, handle="hv.amy", team="front-door")
    await world.say("hv.amy", f"escalate {CASE}")
    unsure = await world.say("hv.amy", "not sure")
    assert unsure.text.startswith(
        "If you think a child might be in danger right now, treat it as yes: call 999"
    )
    assert [b.action for b in unsure.buttons] == ["escalate_risk_yes", "escalate_risk_no"]
    other = await world.say("hv.amy", "help escalate")
    assert other.text.startswith("Left the escalation walkthrough; type continue to go back to them.")
    assert "First I ask whether a child is at immediate risk" in other.text
    elsewhere = await world.say("hv.amy", "escalations")
    assert elsewhere.text.startswith("You have no open escalations")
    # The question was set aside, not lost: its own button still answers it.
    assert "I've opened ES-0001 at level 1" in (await world.press("hv.amy", "escalate_risk_no", CASE)).text


async def test_a_submitted_form_records_the_step_and_a_bad_one_comes_back(world: World) -> None:
    await open_escalation(world)
    question = await world.press("hv.amy", "escalation_next", "ES-0001")
    assert question.form is not None
    assert (question.form.title, question.form.submit_action, question.form.value) == (
        "Move ES-0001 to level 2",
        "escalation_next_form",
        "ES-0001",
    )
    assert [i.id for i in question.form.inputs] == ["tried", "why"]

    async def submit(form: dict[str, str]) -> Reply:
        return await world.dispatcher.handle(
            InboundMessage(
                platform="console",
                sender_key="hv.amy",
                action="escalation_next_form",
                action_value="ES-0001",
                form=form,
            )
        )

    bad = await submit({"tried": "visited the family at M1 1AE", "why": "no change"})
    assert "looks like a postcode" in bad.text and bad.form is not None and escalation(world).level == 1
    done = await submit({"tried": "called the duty senior practitioner", "why": "no change to the decision"})
    assert "ES-0001 is now at level 2" in done.text
    assert escalation(world).level == 2 and steps(world)[-2:] == [(1, "not_resolved"), (2, "level_started")]
    # The typed walkthrough ended with it: the next line is not taken as an answer.
    assert "ES-0001" not in (await world.say("hv.amy", "escalations ES-0042")).text


async def test_the_three_stage_ladder_times_its_partnership_stage_too(world: World) -> None:
    from schedules.escalation.policy import SHIPPED_DIR, load_policy, parse_policy

    text = (
        (SHIPPED_DIR / "three-stage.yaml")
        .read_text(encoding="utf-8")
        .replace("default: false", "default: true")
    )
    with world.sessions.begin() as session:
        load_policy(session=session, clock=world.clock, policy=parse_policy(text), loaded_by="admin.nadia")
    await open_escalation(world, levels=3)
    # Stage 1: 2 working days, to Friday's close (the front door shuts at 17:00 on Fridays).
    assert escalation(world).level_due_at == at(2026, 11, 27, 17)
    await move_up(world, "hv.amy", "called", "no change")
    # Stage 2: 3 working days from Wednesday, to Monday's close (17:15).
    assert escalation(world).level_due_at == at(2026, 11, 30, 17, 15)
    reply = await move_up(world, "hv.amy", "managers spoke", "no change")
    assert "level 3 of 3, Partnership designated leads" in reply and "I've sent referral TI-0002" in reply
    assert escalation(world).status == "partnership"
    assert sorted(pending(world)) == [
        ("hv.amy", at(2026, 11, 30, 9), 3),
        ("mgr.kate", at(2026, 11, 30, 9), 3),
    ]
    delivered = await world.advance_to(at(2026, 11, 30, 9))
    assert "Time's up for level 3, Partnership designated leads" in delivered[0][1].text
    assert "If it's resolved, press Resolved and record the outcome." in delivered[0][1].text


async def test_a_case_never_logged_here_can_be_escalated_by_naming_the_team(world: World) -> None:
    unknown = await world.say("hv.amy", "escalate NB-777777")
    assert "I can't find case NB-777777" in unknown.text
    assert "escalate NB-777777 about front door" in unknown.text
    started = await world.say("hv.amy", "escalate NB-777777 about front door")
    assert "immediate risk of harm" in started.text  # the walkthrough begins with the risk question
    level_one = await world.say("hv.amy", "no")
    assert "ES-" in level_one.text
    with world.sessions() as session:
        stored = session.exec(select(Escalation).where(col(Escalation.case_ref) == "NB-777777")).one()
    assert stored.level == 1 and stored.other_team_id is not None and stored.item_id is None
    # Now joinup knows the case: she can read its chronology, someone not party to it still can't.
    assert "ES-" in (await world.say("hv.amy", "chronology NB-777777")).text
    assert "You can't see the chronology" in (await world.say("dsl.priya", "chronology NB-777777")).text
    other = await world.say("dsl.priya", "escalate NB-777777 about front door")  # known now: parties only
    assert "You can't see the chronology for NB-777777" in other.text


async def test_the_word_case_before_a_reference_is_filler(world: World) -> None:
    unknown = await world.say("hv.amy", "escalate case NB-2026-0999")
    assert "I can't find case NB-2026-0999" in unknown.text
    started = await world.say("hv.amy", "please escalate case ref NB-2026-0999 about front door")
    assert "immediate risk of harm" in started.text


async def test_a_name_is_refused_as_the_case_to_escalate(world: World) -> None:
    reply = await world.say("hv.amy", "escalate Jane Doe")
    assert "That looks like a name" in reply.text and "Jane" not in reply.text
    assert "Case references look like NB-204518" in reply.text
