"""Teams scenarios with the demo borough: find, refer, a reminder at the right fake-clock time, Acknowledge.

Jobs are run through the runtime's own job list (the outbox sweep), as `joinup serve`'s scheduler does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from bot.runtime import Runtime
from storage.models import Reminder, TrackedItem
from tests.fakes.teams import Sent, conversation_id
from tests.teams.conftest import AMY, KATE, TeamsJoinup


async def sweep(runtime: Runtime) -> None:
    """Run the outbox sweep once (only that job, so these tests don't depend on digests or upkeep)."""
    await runtime.jobs["outbox-sweep"].run(runtime)


def actions(sent: Sent) -> list[dict[str, str]]:
    """Return the data of every button on a card, in order."""
    found: list[dict[str, str]] = []

    def walk(elements: list[dict[str, object]]) -> None:
        for element in elements:
            found.extend(a["data"] for a in element.get("actions", []))  # type: ignore[attr-defined]
            walk(element.get("items", []))  # type: ignore[arg-type]

    walk(sent.card["body"])
    return found


async def refer(joinup: TeamsJoinup) -> TrackedItem:
    await joinup.say("refer front door case NB-204518 by phone")
    with joinup.runtime.sessions() as session:
        item = session.exec(select(TrackedItem).where(col(TrackedItem.case_ref) == "NB-204518")).one()
        session.expunge(item)
    return item


def chase_in(sent: list[Sent], item: TrackedItem) -> Sent:
    """Return the chase among proactive cards: the one offering Acknowledge on the item."""
    chases = [card for card in sent if {"action": "ack", "value": item.ref} in actions(card)]
    assert chases, [card.text[:80] for card in sent]
    return chases[0]


def first_reminder_for(joinup: TeamsJoinup, person_id: int) -> datetime:
    with joinup.runtime.sessions() as session:
        due = session.exec(
            select(Reminder.due_at)
            .where(col(Reminder.recipient_person_id) == person_id)
            .where(col(Reminder.status) == "pending")
            .order_by(col(Reminder.due_at))
        ).first()
    assert due is not None
    return due


async def test_find_health_visitor_answers_with_routes_and_hours(joinup: TeamsJoinup) -> None:
    await joinup.say("find health visitor")
    await joinup.press({"action": "find_more", "value": "health visitor"})

    [first, sent] = joinup.fake.to(conversation_id(AMY))
    assert first.text.startswith("Health visiting: open now") and len(first.text) <= 700
    text = sent.text
    assert "Health visiting" in text
    assert "0161 496" in text  # a route's phone number, from the directory
    assert "Mon–Fri" in text or "Hours" in text
    containers = [element for element in sent.card["body"] if element["type"] == "Container"]
    assert containers, "each result is its own section of the card"


async def test_refer_is_logged_and_offers_buttons(joinup: TeamsJoinup) -> None:
    item = await refer(joinup)

    [sent] = joinup.fake.to(conversation_id(AMY))
    assert item.ref in sent.text
    assert {"action": "ack", "value": item.ref} in actions(sent)


async def test_a_reminder_arrives_proactively_at_the_right_time_as_a_card(joinup: TeamsJoinup) -> None:
    item = await refer(joinup)
    amy = joinup.person("hv.amy")
    assert amy.id is not None
    due_at = first_reminder_for(joinup, amy.id)
    before = len(joinup.fake.to(conversation_id(AMY)))

    joinup.clock.set(due_at - timedelta(minutes=1))
    await sweep(joinup.runtime)
    assert len(joinup.fake.to(conversation_id(AMY))) == before

    joinup.clock.set(due_at)
    await sweep(joinup.runtime)
    arrived = joinup.fake.to(conversation_id(AMY))[before:]
    assert arrived and all(sent.method == "POST" and item.ref in sent.text for sent in arrived)
    reminder = chase_in(arrived, item)
    assert reminder.card["version"] == "1.5"
    assert reminder.headers["Authorization"].startswith("Bearer ")


async def test_pressing_acknowledge_on_a_reminder_updates_the_item(joinup: TeamsJoinup) -> None:
    item = await refer(joinup)
    amy = joinup.person("hv.amy")
    assert amy.id is not None
    before = len(joinup.fake.to(conversation_id(AMY)))
    joinup.clock.set(first_reminder_for(joinup, amy.id))
    await sweep(joinup.runtime)
    reminder = chase_in(joinup.fake.to(conversation_id(AMY))[before:], item)

    await joinup.press({"action": "ack", "value": item.ref})

    with joinup.runtime.sessions() as session:
        stored = session.exec(select(TrackedItem).where(col(TrackedItem.id) == item.id)).one()
        pending_ack_chases = session.exec(
            select(Reminder)
            .where(col(Reminder.subject_id) == item.id)
            .where(col(Reminder.kind).in_(["ack_chase", "receiver_ack_chase"]))
            .where(col(Reminder.status) == "pending")
        ).all()
    assert stored.acknowledged_at is not None
    assert pending_ack_chases == []
    answers = joinup.fake.to(conversation_id(AMY))[-2:]
    assert any("marked as acknowledged" in sent.text for sent in answers if sent.method == "POST")
    # The chase itself is rewritten in place, without its buttons: they no longer apply.
    [rewritten] = [sent for sent in answers if sent.method == "PUT"]
    assert rewritten.activity_id == reminder.activity_id
    assert rewritten.text.startswith(f"{item.ref} has been acknowledged")
    assert actions(rewritten) == []


async def test_the_daily_digest_reaches_a_manager_found_through_graph(joinup: TeamsJoinup) -> None:
    job = joinup.runtime.jobs["manager-digests"]
    await joinup.install(user=KATE)  # Graph gives Kate's mail, which is the demo team leader's
    kate = joinup.teams_person(KATE)
    assert kate is not None
    assert kate.handle == "mgr.kate"
    await refer(joinup)  # Amy, in Kate's team, is waiting on the front door
    assert joinup.person("hv.amy").manager_id == kate.id  # Graph's manager, kept as the demo set it
    before = len(joinup.fake.to(conversation_id(KATE)))

    joinup.clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))  # Thursday, after the digest time
    await job.run(joinup.runtime)

    [digest] = joinup.fake.to(conversation_id(KATE))[before:]
    assert digest.text.startswith("Your daily digest for Health visiting")
    assert "NB-204518" in digest.text
    assert digest.card["version"] == "1.5"
