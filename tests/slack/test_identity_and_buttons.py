"""Who is writing (users.info links an existing person by e-mail), and what buttons and modals do."""

from __future__ import annotations

import asyncio

from sqlmodel import col, select

from storage.models import AuditEvent, ConversationRef, Person
from tests.slack import payloads
from tests.slack.conftest import AMY, STRANGER, Joinup


def _add_person(joinup: Joinup, *, handle: str, email: str) -> int:
    with joinup.runtime.sessions.begin() as session:
        person = session.exec(select(Person).where(col(Person.handle) == handle)).first()
        if person is None:
            person = Person(
                handle=handle,
                display_name=handle,
                email=email,
                is_onboarded=True,
                created_at=joinup.clock.now(),
            )
            session.add(person)
            session.flush()
        assert person.id is not None
        return person.id


async def test_first_contact_links_an_existing_person_by_their_slack_email(joinup: Joinup) -> None:
    person_id = _add_person(joinup, handle="hv.amy", email="hv.amy@example.org")
    await joinup.dm("help", user=AMY)
    await joinup.fake.wait_for("chat.postMessage")
    assert joinup.fake.last("users.info")["user"] == AMY
    with joinup.runtime.sessions() as session:
        person = session.get(Person, person_id)
        assert person is not None and person.slack_user_id == AMY
        ref = session.exec(select(ConversationRef).where(col(ConversationRef.person_id) == person_id)).one()
    assert ref.platform == "slack" and ref.address["user_id"] == AMY


async def test_a_known_slack_user_is_not_looked_up_again(joinup: Joinup) -> None:
    _add_person(joinup, handle="hv.amy", email="hv.amy@example.org")
    await joinup.dm("help", user=AMY)
    await joinup.fake.wait_for("chat.postMessage")
    await joinup.dm("help", user=AMY)
    await joinup.fake.wait_for("chat.postMessage", count=2)
    assert len(joinup.fake.calls_to("users.info")) == 1


async def test_a_stranger_becomes_a_new_person_who_is_not_yet_onboarded(joinup: Joinup) -> None:
    await joinup.dm("help", user=STRANGER)
    await joinup.fake.wait_for("chat.postMessage")
    with joinup.runtime.sessions() as session:
        person = session.exec(select(Person).where(col(Person.slack_user_id) == STRANGER)).one()
    assert person.email == "new.starter@example.org"
    assert not person.is_onboarded


async def test_users_info_failing_still_lets_the_person_in(joinup: Joinup) -> None:
    joinup.fake.fail("users.info", status=200, error="user_not_found")
    await joinup.dm("help", user="U0NOPROFILE")
    posted = await joinup.fake.wait_for("chat.postMessage")
    assert "I help you reach the right people" in posted[0].args["text"]


async def test_pressing_a_button_updates_the_message_it_was_on(joinup: Joinup) -> None:
    await joinup.dm("help", user=AMY)
    (posted,) = await joinup.fake.wait_for("chat.postMessage")
    message = {
        "type": "message",
        "ts": "1764064800.000042",
        "text": "TI-0042 reminder",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "TI-0042 reminder"}},
            {
                "type": "actions",
                "block_id": "joinup-buttons",
                "elements": [{"type": "button", "action_id": "joinup:help"}],
            },
        ],
    }
    channel = posted.args["channel"]
    payload = payloads.block_action(
        user=AMY,
        action_id="joinup:help",
        value=None,
        block_id="joinup-buttons",
        message=message,
        channel=channel,
    )
    response = await joinup.interact(payload)
    assert response.status_code == 200
    (update,) = await joinup.fake.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (channel, "1764064800.000042")
    block_ids = [block.get("block_id") for block in update.args["blocks"]]
    assert block_ids.count("joinup-buttons") <= 1  # the pressed row is gone; the answer may bring its own
    assert update.args["blocks"][0]["text"]["text"] == "TI-0042 reminder"
    # The answer to the press (help, as typed earlier) follows the original content.
    assert update.args["text"] == posted.args["text"]
    assert update.args["blocks"][2]["text"]["text"] == posted.args["blocks"][0]["text"]["text"]


async def test_a_button_that_no_longer_exists_says_so_in_the_dm(joinup: Joinup) -> None:
    payload = payloads.block_action(user=AMY, action_id="joinup:no-such-action", value="x", block_id="b1")
    response = await joinup.interact(payload)
    assert response.status_code == 200
    (posted,) = await joinup.fake.wait_for("chat.postMessage")
    assert "That button has expired" in posted.args["text"]
    assert joinup.fake.last("conversations.open")["users"] == AMY


async def test_a_modal_submission_is_acknowledged_and_answered_in_the_dm(joinup: Joinup) -> None:
    payload = payloads.view_submission(
        user=AMY,
        callback_id="joinup:no-such-form",
        values={"case_ref": {"case_ref": {"type": "plain_text_input", "value": "NB-204518"}}},
    )
    response = await joinup.interact(payload)
    assert response.status_code == 200
    (posted,) = await joinup.fake.wait_for("chat.postMessage")
    assert posted.args["channel"].startswith("D")


async def test_someone_elses_modal_is_ignored(joinup: Joinup) -> None:
    payload = payloads.view_submission(user=AMY, callback_id="other-app:thing", values={})
    response = await joinup.interact(payload)
    assert response.status_code in (200, 404)
    await asyncio.sleep(0.1)
    assert joinup.fake.calls_to("chat.postMessage") == []


async def test_the_home_tab_search_button_opens_a_modal_and_its_answer_arrives_by_dm(joinup: Joinup) -> None:
    press = payloads.block_action(
        user=AMY, action_id="joinup-home:search", value=None, block_id="joinup-home-search"
    )
    assert (await joinup.interact(press)).status_code == 200
    (opened,) = await joinup.fake.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == "joinup-home:search"
    submit = payloads.view_submission(
        user=AMY,
        callback_id="joinup-home:search",
        values={"query": {"query": {"type": "plain_text_input", "value": "health visitor"}}},
    )
    assert (await joinup.interact(submit)).status_code == 200
    (posted,) = await joinup.fake.wait_for("chat.postMessage")
    assert posted.args["text"]


async def test_opening_the_home_tab_publishes_it(joinup: Joinup) -> None:
    response = await joinup.event(payloads.home_opened(user=AMY))
    assert response.status_code == 200
    (published,) = await joinup.fake.wait_for("views.publish")
    assert published.args["user_id"] == AMY
    view = published.args["view"]
    assert view["type"] == "home"
    assert view["blocks"][1]["elements"][0]["action_id"] == "joinup-home:search"


async def test_messages_that_are_not_a_persons_dm_are_ignored(joinup: Joinup) -> None:
    edited = payloads.dm_event("help", user=AMY)
    edited["event"]["subtype"] = "message_changed"
    from_bot = payloads.dm_event("help", user=AMY)
    from_bot["event"]["bot_id"] = "BJOINUP"
    for event in (edited, from_bot):
        assert (await joinup.event(event)).status_code == 200
    await asyncio.sleep(0.1)
    assert joinup.fake.calls_to("chat.postMessage") == []


async def test_a_button_on_a_private_answer_replaces_it_through_the_response_url(joinup: Joinup) -> None:
    payload = payloads.block_action(user=AMY, action_id="joinup:help", value=None, block_id="joinup-buttons")
    payload["container"] = {"type": "message", "message_ts": "1764064800.000077", "is_ephemeral": True}
    payload["response_url"] = joinup.fake.response_url("ephemeral")
    assert (await joinup.interact(payload)).status_code == 200
    (replaced,) = await joinup.fake.wait_for("response")
    assert replaced.args["replace_original"] in (True, "true")
    assert replaced.args["text"]
    assert joinup.fake.calls_to("chat.update") == []


async def test_a_failed_users_info_is_tried_again_later_and_links_the_person(joinup: Joinup) -> None:
    from datetime import timedelta

    from bot.slack.identity import RETRY_AFTER

    amy_id = joinup.person("hv.amy").id
    joinup.fake.fail("users.info", status=200, error="fatal_error")  # Slack having a bad moment
    await joinup.dm("help", user=AMY)  # users.info down: met as someone new, without an e-mail
    await joinup.fake.wait_for("chat.postMessage")
    with joinup.runtime.sessions() as session:
        first = session.exec(select(Person).where(col(Person.slack_user_id) == AMY)).one()
    assert first.id != amy_id and first.email is None

    await joinup.dm("help", user=AMY)  # a minute later: not asked again yet
    await joinup.fake.wait_for("chat.postMessage", count=2)
    assert len(joinup.fake.calls_to("users.info")) == 1

    joinup.clock.advance(RETRY_AFTER + timedelta(minutes=1))
    await joinup.dm("mine", user=AMY)  # Slack answers now: the Slack id moves to the demo hv.amy
    await joinup.fake.wait_for("chat.postMessage", count=3)
    assert len(joinup.fake.calls_to("users.info")) == 2
    with joinup.runtime.sessions() as session:
        linked = session.exec(select(Person).where(col(Person.slack_user_id) == AMY)).one()
        actions = list(session.exec(select(AuditEvent.action)))
    assert linked.id == amy_id and "person.linked" in actions


async def test_a_known_email_is_trusted_for_a_while_then_checked_again(joinup: Joinup) -> None:
    from datetime import timedelta

    from bot.slack.identity import KNOWN_FOR

    person_id = _add_person(joinup, handle="hv.amy", email="hv.amy@example.org")
    await joinup.dm("help", user=AMY)
    await joinup.fake.wait_for("chat.postMessage")
    await joinup.dm("help", user=AMY)  # the e-mail is stored now, and remembered
    await joinup.fake.wait_for("chat.postMessage", count=2)
    assert len(joinup.fake.calls_to("users.info")) == 1
    with joinup.runtime.sessions.begin() as session:  # an admin clears the e-mail joinup had
        person = session.get(Person, person_id)
        assert person is not None
        person.email = None
        session.add(person)

    await joinup.dm("help", user=AMY)  # within KNOWN_FOR: the remembered answer, no lookup
    await joinup.fake.wait_for("chat.postMessage", count=3)
    assert len(joinup.fake.calls_to("users.info")) == 1

    joinup.clock.advance(KNOWN_FOR + timedelta(minutes=1))
    await joinup.dm("help", user=AMY)  # later: the database is asked again, and Slack fills the gap
    await joinup.fake.wait_for("chat.postMessage", count=4)
    assert len(joinup.fake.calls_to("users.info")) == 2
    with joinup.runtime.sessions() as session:
        refreshed = session.get(Person, person_id)
    assert refreshed is not None and refreshed.email == "hv.amy@example.org"
