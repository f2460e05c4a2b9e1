"""Real Teams activities posted to /api/messages; the fake connector shows what joinup sent back."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import col, func, select

from bot.runtime import build_runtime
from bot.teams.routes import build_teams_endpoint
from handlers.context import HandlerContext
from handlers.messages import Choice, Form, FormInput, InboundMessage, RecordingNotifier, Reply
from schedules.time.clock import FakeClock
from storage import audit
from storage.errors import InvalidInput
from storage.models import AuditEvent, ConversationRef
from tests.fakes.teams import FakeBotFramework, conversation_id, personal_activity
from tests.teams.conftest import AMY, STRANGER, TOKEN, TeamsJoinup, teams_settings


async def test_help_is_answered_with_a_card_in_the_same_chat(joinup: TeamsJoinup) -> None:
    response = await joinup.say("help")

    assert response.status_code == 200
    [sent] = joinup.fake.to(conversation_id(AMY))
    assert sent.method == "POST"
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.card["version"] == "1.5"
    assert "I help you reach the right people" in sent.text

    def facts(element: Any) -> list[str]:  # FactSets anywhere in the card (help groups them in containers)
        if isinstance(element, list):
            return [title for item in element for title in facts(item)]
        if not isinstance(element, dict):
            return []
        own = [fact["title"] for fact in element["facts"]] if element.get("type") == "FactSet" else []
        return own + [title for value in element.values() for title in facts(value)]

    titles = facts(sent.card["body"])
    assert (
        "help [command]" in titles
        and "refer <team> case <case ref> [by phone|email|portal] [about <short note>]" in titles
    )
    texts = json.dumps(sent.card)
    assert texts.index("Find the right contact") < texts.index("Track a referral or call")


async def test_first_message_links_the_teams_user_to_the_demo_person_by_graph_mail(
    joinup: TeamsJoinup,
) -> None:
    await joinup.say("help")

    amy = joinup.person("hv.amy")
    assert amy.teams_user_id == AMY
    [ref] = joinup.conversation_refs()
    assert ref.person_id == amy.id
    assert ref.address["conversation_id"] == conversation_id(AMY)
    assert ref.address["service_url"] == joinup.fake.service_url


async def test_an_action_submit_press_runs_the_button_action(joinup: TeamsJoinup) -> None:
    await joinup.press({"action": "help", "value": ""})

    [reply] = joinup.replies()
    assert "I help you reach the right people" in reply


async def test_a_press_without_an_action_gets_a_friendly_reply_and_changes_nothing(
    joinup: TeamsJoinup,
) -> None:
    await joinup.say("help")
    with joinup.runtime.sessions() as session:
        audit_before = session.exec(select(func.count()).select_from(AuditEvent)).one()

    response = await joinup.press({"case_ref": "TI-0042"})

    assert response.status_code == 200
    assert joinup.replies()[-1].startswith("That button has expired")
    with joinup.runtime.sessions() as session:
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == audit_before


async def test_an_action_execute_press_answers_with_a_card_that_replaces_the_pressed_one(
    joinup: TeamsJoinup,
) -> None:
    activity = personal_activity(
        joinup.fake,
        user=AMY,
        type="invoke",
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": "help", "data": {"action": "help", "value": ""}}},
    )

    response = await joinup.post(activity)

    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "I help you reach the right people" in body["value"]["fallbackText"]
    assert joinup.fake.sent == []  # the answer went back in the invoke response, not as a new message


async def test_install_sends_the_welcome_card_and_stores_the_conversation(joinup: TeamsJoinup) -> None:
    response = await joinup.install(user=STRANGER)

    assert response.status_code == 200
    replies = joinup.replies(STRANGER)
    assert "I help you reach the right people" in replies[0]
    person = joinup.teams_person(STRANGER)
    assert person is not None
    assert person.email == "new.starter@example.org"
    with joinup.runtime.sessions() as session:
        refs = session.exec(select(ConversationRef).where(col(ConversationRef.person_id) == person.id)).all()
    assert [ref.address["conversation_id"] for ref in refs] == [conversation_id(STRANGER)]


async def test_install_starts_onboarding_for_someone_new(joinup: TeamsJoinup) -> None:
    await joinup.install(user=STRANGER)

    replies = joinup.replies(STRANGER)
    assert len(replies) == 2
    assert "Which team are you in?" in replies[1]


async def test_install_by_someone_already_onboarded_sends_only_the_welcome(joinup: TeamsJoinup) -> None:
    await joinup.install(user=AMY)

    assert len(joinup.replies(AMY)) == 1


async def test_a_repeated_delivery_of_the_same_activity_is_answered_once(joinup: TeamsJoinup) -> None:
    activity = personal_activity(joinup.fake, user=AMY, text="help", activity_id="f:repeat-1")

    await joinup.post(activity)
    await joinup.post(activity)

    assert len(joinup.replies()) == 1


async def test_a_body_that_is_not_json_is_refused(joinup: TeamsJoinup) -> None:
    response = await joinup.http.post("/api/messages", content=b"not json")

    assert response.status_code == 400
    assert joinup.fake.sent == []


async def test_an_activity_without_a_sender_is_refused_without_storing_anything(joinup: TeamsJoinup) -> None:
    activity = personal_activity(joinup.fake, user=AMY, text="help")
    del activity["from"]

    response = await joinup.post(activity)

    assert response.status_code == 400
    assert joinup.fake.sent == []
    assert joinup.conversation_refs() == []


FEEDBACK_FORM = Form(
    title="Record feedback",
    submit_action="test-feedback",
    value="TI-0001",
    inputs=(
        FormInput("outcome", "Outcome", kind="choice", choices=(Choice("No further action", "nfa"),)),
        FormInput("why", "Why", kind="multiline"),
    ),
)


def register_feedback_form(joinup: TeamsJoinup, received: list[InboundMessage]) -> None:
    """A handler pair like the real ones: a button that asks with a form, and the form's submission."""

    async def ask(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        return Reply(text="Tell me what came back.", form=FEEDBACK_FORM)

    async def submitted(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        if not msg.form.get("why"):
            raise InvalidInput("why", "Say why, in a few words.", example="Below threshold for social care")
        received.append(msg)
        with ctx.sessions.begin() as session:
            audit.record(
                session=session, at=ctx.clock.now(), actor=ctx.actor, action="test.recorded", subject="x"
            )
        return Reply(text=f"Recorded {msg.form['outcome']} on {msg.action_value}.")

    joinup.runtime.router.action("test-ask", ask)
    joinup.runtime.router.action("test-feedback", submitted)


async def test_a_form_is_a_card_with_inputs_and_its_submission_reaches_the_handler(
    joinup: TeamsJoinup,
) -> None:
    received: list[InboundMessage] = []
    register_feedback_form(joinup, received)

    await joinup.press({"action": "test-ask", "value": "TI-0001"})
    card = joinup.fake.sent[-1].card
    inputs = [element["id"] for element in card["body"] if element["type"].startswith("Input.")]
    [submit] = card["body"][-1]["actions"]
    assert inputs == ["outcome", "why"]
    # Teams merges the inputs into the submit button's data, exactly like this:
    await joinup.press({**submit["data"], "outcome": "nfa", "why": "Below threshold"})

    [msg] = received
    assert (msg.action, msg.action_value) == ("test-feedback", "TI-0001")
    assert dict(msg.form) == {"outcome": "nfa", "why": "Below threshold"}
    assert joinup.replies()[-1] == "Recorded nfa on TI-0001."


async def test_a_submission_missing_a_field_gets_a_friendly_reply_and_stores_nothing(
    joinup: TeamsJoinup,
) -> None:
    received: list[InboundMessage] = []
    register_feedback_form(joinup, received)
    await joinup.say("help")
    with joinup.runtime.sessions() as session:
        audit_before = session.exec(select(func.count()).select_from(AuditEvent)).one()

    # A client that skips Teams's own required-field check sends only some of the inputs.
    response = await joinup.press({"action": "test-feedback", "value": "TI-0001", "outcome": "nfa"})

    assert response.status_code == 200
    assert joinup.replies()[-1].startswith("Say why, in a few words.")
    assert received == []
    with joinup.runtime.sessions() as session:
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == audit_before


async def test_local_mode_without_an_app_password_replies_without_a_token(
    fake_teams: FakeBotFramework, clock: FakeClock, engine: Engine
) -> None:
    settings = (
        teams_settings()
    )  # allow_unauthenticated, an app id, no password: the Teams App Test Tool's way
    runtime = build_runtime(settings=settings, clock=clock, notifier=RecordingNotifier(), engine=engine)
    web = FastAPI()
    web.include_router(build_teams_endpoint(runtime).router())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://joinup.test"
    ) as http:
        activity = personal_activity(fake_teams, user=AMY, text="help")
        response = await http.post("/api/messages", content=json.dumps(activity))
        assert runtime.inbox is not None
        await runtime.inbox.drain()  # a worker sends the reply

    assert response.status_code == 200
    [sent] = fake_teams.to(conversation_id(AMY))
    assert "authorization" not in {name.lower() for name in sent.headers}
    assert "I help you reach the right people" in sent.text
