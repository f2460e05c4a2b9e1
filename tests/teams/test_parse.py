"""Pure extractors, tested from activity tables: what joinup reads out of each kind of Teams activity."""

from __future__ import annotations

from typing import Any

import pytest
from microsoft_teams.api.activities import ActivityTypeAdapter, ConversationUpdateActivity, MessageActivity
from microsoft_teams.api.activities.invoke import AdaptiveCardInvokeActivity

from bot.teams import parse
from tests.fakes.teams import APP_ID, TENANT_ID


class Connector:
    service_url = "https://smba.example.org/emea/"


def activity(**fields: Any) -> dict[str, Any]:
    base = {
        "type": "message",
        "id": "1700000000001",
        "serviceUrl": Connector.service_url,
        "channelId": "msteams",
        "from": {"id": "29:1abc", "name": "Amy Hughes", "aadObjectId": "aad-amy"},
        "conversation": {"id": "a:1personal", "conversationType": "personal", "tenantId": TENANT_ID},
        "recipient": {"id": f"28:{APP_ID}", "name": "joinup"},
    }
    return {**base, **fields}


def message(**fields: Any) -> MessageActivity:
    found = ActivityTypeAdapter.validate_python(activity(**fields))
    assert isinstance(found, MessageActivity)
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("find health visitor", "find health visitor"),
        ("<at>joinup</at> find health visitor", "find health visitor"),
        ("<p>refer front door case NB-204518 &amp; call</p>", "refer front door case NB-204518 & call"),
        ("  mine \n", "mine"),
        (None, ""),
    ],
)
def test_text_loses_mentions_and_html(text: str | None, expected: str) -> None:
    assert parse.clean_text(text) == expected


def test_a_personal_message_carries_the_sender_and_where_to_reach_them() -> None:
    msg = parse.from_message(message(text="mine"))

    assert (msg.platform, msg.sender_key, msg.text, msg.sender_name) == (
        "teams",
        "aad-amy",
        "mine",
        "Amy Hughes",
    )
    assert msg.event_id == "1700000000001"
    assert dict(msg.address) == {
        "service_url": Connector.service_url,
        "conversation_id": "a:1personal",
        "user_id": "29:1abc",
        "bot_id": f"28:{APP_ID}",
        "tenant_id": TENANT_ID,
    }


def test_a_channel_message_is_answered_but_never_becomes_the_reminder_address() -> None:
    channel = {"id": "19:abc@thread.tacv2", "conversationType": "channel", "tenantId": TENANT_ID}
    msg = parse.from_message(message(text="<at>joinup</at> help", conversation=channel))

    assert msg.text == "help"
    assert dict(msg.address) == {}


def test_without_an_entra_id_the_teams_user_id_is_the_key() -> None:
    msg = parse.from_message(message(text="help", **{"from": {"id": "29:guest", "name": "Guest"}}))

    assert msg.sender_key == "29:guest"


def test_an_action_submit_press_splits_action_value_and_inputs() -> None:
    value = {"action": "feedback", "value": "TI-0042", "outcome": "nfa", "reason": "", "count": 2}
    msg = parse.from_message(message(text="", value=value))

    assert (msg.action, msg.action_value) == ("feedback", "TI-0042")
    assert dict(msg.form) == {"outcome": "nfa", "reason": "", "count": "2"}


@pytest.mark.parametrize("value", [{"value": "TI-0042"}, {"action": ""}, {"action": 7}, ["ack"], "ack"])
def test_a_press_that_names_no_action_is_routed_to_the_unknown_action(value: object) -> None:
    msg = parse.from_message(message(text="", value=value))

    assert msg.action == parse.MISSING_ACTION


def test_an_action_execute_invoke_reads_the_card_data() -> None:
    invoke = ActivityTypeAdapter.validate_python(
        activity(
            type="invoke",
            name="adaptiveCard/action",
            value={
                "action": {"type": "Action.Execute", "verb": "ack", "data": {"value": "TI-0042", "note": "x"}}
            },
        )
    )
    assert isinstance(invoke, AdaptiveCardInvokeActivity)

    msg = parse.from_card_action(invoke)

    assert (msg.action, msg.action_value, dict(msg.form)) == ("ack", "TI-0042", {"note": "x"})


@pytest.mark.parametrize(
    ("members", "expected"), [([{"id": f"28:{APP_ID}"}], True), ([{"id": "29:someone"}], False), ([], False)]
)
def test_install_is_the_bot_itself_being_added(members: list[dict[str, str]], expected: bool) -> None:
    update = ActivityTypeAdapter.validate_python(activity(type="conversationUpdate", membersAdded=members))
    assert isinstance(update, ConversationUpdateActivity)

    assert parse.bot_was_added(update) is expected
