"""Log a referral in Teams through its card form: the team is a choice from the directory (the person's area,
the partnership's own teams), a refused field re-renders the card in place, and the confirmation replaces it.

Real activities go to /api/messages; the fake Bot Framework connector records what the bot sent (POST) and
which cards it replaced (PUT)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from bot.teams import forms
from storage.models import Agency, AuditEvent, Team, TrackedItem
from tests.fakes.teams import Sent, conversation_id, personal_activity
from tests.teams.conftest import AMY, TeamsJoinup
from tests.teams.test_cards import schema_errors
from tests.teams.test_forms import inputs_of, submit_of


def _add_neighbours(joinup: TeamsJoinup) -> None:
    """A team in another area, and a service pulled from a neighbour's feed: neither belongs in Amy's list."""
    with joinup.runtime.sessions.begin() as session:
        agency = session.exec(select(Agency)).first()
        assert agency is not None and agency.id is not None
        session.add(
            Team(key="eastdale-door", agency_id=agency.id, name="Eastdale front door", areas=["eastdale"])
        )
        session.add(
            Team(key="westmoor-hv", agency_id=agency.id, name="Westmoor health visiting", source="westmoor")
        )


async def _submit_card(joinup: TeamsJoinup, card: Sent, inputs: dict[str, Any]) -> None:
    """Press the card's submit button, as Teams does: a message whose replyToId is the card's activity."""
    activity = personal_activity(
        joinup.fake, user=AMY, text="", value={**submit_of(card), **inputs}, replyToId=card.activity_id
    )
    response = await joinup.post(activity)
    assert response.status_code == 200


async def test_the_team_is_chosen_from_local_teams_covering_the_persons_area(joinup: TeamsJoinup) -> None:
    _add_neighbours(joinup)

    # Amy's first message: Graph gives her work e-mail, which is how joinup knows her team (health visiting).
    await joinup.say("refer")

    card = joinup.fake.sent[-1]
    assert schema_errors(card.card) == []
    picker = inputs_of(card)["team_key"]
    assert picker["type"] == "Input.ChoiceSet" and picker["style"] == "compact"
    values = [choice["value"] for choice in picker["choices"]]
    titles = [choice["title"] for choice in picker["choices"]]
    assert "front-door" in values and "early-help" in values
    assert "eastdale-door" not in values  # another area
    assert "westmoor-hv" not in values  # pulled from a neighbour's feed: read-only here
    assert titles == sorted(titles)
    # Left empty, Teams itself says what the intent would: GOV.UK wording, not the label turned round.
    assert picker["errorMessage"] == "Choose the team you referred to"  # a choice list: GOV.UK "Choose"
    assert inputs_of(card)["method"]["errorMessage"] == "Choose how you referred"


async def test_a_submitted_card_is_replaced_by_the_confirmation(joinup: TeamsJoinup) -> None:
    await joinup.say("refer")
    card = joinup.fake.sent[-1]
    posts_before = sum(1 for sent in joinup.fake.sent if sent.method == "POST")

    await _submit_card(
        joinup,
        card,
        {"team_key": "front-door", "case_ref": "NB-204518", "method": "phone", "about": "callback"},
    )

    replaced = joinup.fake.sent[-1]
    assert (replaced.method, replaced.conversation_id, replaced.activity_id) == (
        "PUT",
        conversation_id(AMY),
        card.activity_id,
    )
    assert replaced.text.startswith("Logged TI-")
    assert "Input." not in str(replaced.card)  # the typed values no longer sit in a form in the chat
    assert sum(1 for sent in joinup.fake.sent if sent.method == "POST") == posts_before
    with joinup.runtime.sessions() as session:
        item = session.exec(select(TrackedItem)).one()
        team = session.get(Team, item.to_team_id)
        logged = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "item.referred")).all()
    assert (item.case_ref, item.method, team.key if team else None) == ("NB-204518", "phone", "front-door")
    assert len(logged) == 1


async def test_a_refused_field_re_renders_the_same_card_with_the_message_beside_it(
    joinup: TeamsJoinup,
) -> None:
    await joinup.say("refer")
    card = joinup.fake.sent[-1]

    await _submit_card(
        joinup, card, {"team_key": "early-help", "case_ref": "NB-204518", "method": "", "about": ""}
    )

    again = joinup.fake.sent[-1]
    assert (again.method, again.activity_id) == ("PUT", card.activity_id)
    assert schema_errors(again.card) == []
    body = again.card["body"]
    position = next(i for i, e in enumerate(body) if e.get("id") == "method")
    assert body[position + 1]["color"] == "Attention"
    assert body[position + 1]["text"] == "Choose how you referred"
    kept = inputs_of(again)
    assert (kept["team_key"]["value"], kept["case_ref"]["value"]) == ("early-help", "NB-204518")
    with joinup.runtime.sessions() as session:
        assert session.exec(select(TrackedItem)).all() == []

    # Fixed and sent again from the re-rendered card: logged, and that card replaced by the confirmation.
    await _submit_card(
        joinup, again, {"team_key": "early-help", "case_ref": "NB-204518", "method": "portal", "about": ""}
    )
    assert joinup.fake.sent[-1].method == "PUT" and joinup.fake.sent[-1].text.startswith("Logged TI-")


async def test_log_a_referral_on_a_directory_result_opens_the_card_with_the_team_chosen(
    joinup: TeamsJoinup,
) -> None:
    await joinup.press({"action": forms.REFER_BUTTON, "value": "front-door"})

    card = joinup.fake.sent[-1]
    assert schema_errors(card.card) == []
    assert inputs_of(card)["team_key"]["value"] == "front-door"
    assert submit_of(card)["action"] == forms.REFER_FORM
    with joinup.runtime.sessions() as session:
        assert session.exec(select(TrackedItem)).all() == []


async def test_the_feedback_card_is_replaced_by_its_confirmation(joinup: TeamsJoinup) -> None:
    await joinup.say("refer")
    await _submit_card(
        joinup, joinup.fake.sent[-1], {"team_key": "front-door", "case_ref": "NB-204519", "method": "phone"}
    )
    item_ref = joinup.fake.sent[-1].text.split()[1].rstrip(":.,")
    await joinup.say(f"feedback {item_ref}")
    card = joinup.fake.sent[-1]
    assert inputs_of(card)["item"]["value"] == item_ref

    await _submit_card(joinup, card, {"item": item_ref, "outcome": "accepted_for_assessment", "reason": ""})

    replaced = joinup.fake.sent[-1]
    assert (replaced.method, replaced.activity_id) == ("PUT", card.activity_id)
    assert "Input." not in str(replaced.card)
    with joinup.runtime.sessions() as session:
        item = session.exec(select(TrackedItem).where(col(TrackedItem.case_ref) == "NB-204519")).one()
    assert item.outcome == "accepted_for_assessment"


async def test_an_action_execute_submit_fills_the_referral_and_its_answer_replaces_the_card(
    joinup: TeamsJoinup,
) -> None:
    data = {"action": forms.REFER_FORM, "value": "", "team_key": "early-help", "case_ref": "NB-204521"}

    async def execute(inputs: dict[str, str]) -> dict[str, Any]:
        activity = personal_activity(
            joinup.fake,
            user=AMY,
            type="invoke",
            name="adaptiveCard/action",
            value={
                "action": {"type": "Action.Execute", "verb": forms.REFER_FORM, "data": {**data, **inputs}}
            },
        )
        response = await joinup.post(activity)
        assert response.status_code == 200
        card: dict[str, Any] = response.json()["value"]
        return card

    refused = await execute({"method": "by pigeon"})
    assert schema_errors(refused) == []
    picker = next(e for e in refused["body"] if e.get("id") == "team_key")
    assert picker["type"] == "Input.ChoiceSet" and picker["value"] == "early-help"

    logged = await execute({"method": "secure_email"})
    assert logged["fallbackText"].startswith("Logged TI-")
    assert joinup.fake.sent == []  # both answers went back in the invoke response, replacing the card
    with joinup.runtime.sessions() as session:
        item = session.exec(select(TrackedItem)).one()
    assert (item.case_ref, item.method) == ("NB-204521", "secure_email")
