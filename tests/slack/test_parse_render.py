"""Pure extractors from payload tables, and the Block Kit the renderer produces (snapshot and limits)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.slack import home, parse, render
from handlers.messages import Button, Choice, Field, Form, FormInput, Reply, Section


@pytest.mark.parametrize(
    ("action_id", "expected"),
    [
        ("joinup:ack", "ack"),
        ("joinup:ack#2", "ack"),
        ("joinupform:refer", "refer"),
        ("joinup:", None),
        ("joinup-home:search", None),
        ("someone-else", None),
    ],
)
def test_action_name(action_id: str, expected: str | None) -> None:
    assert parse.action_name(action_id) == expected


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"type": "message", "channel_type": "im", "user": "U1", "text": "hi"}, True),
        ({"type": "message", "channel_type": "channel", "user": "U1", "text": "hi"}, False),
        ({"type": "message", "channel_type": "im", "user": "U1", "subtype": "message_changed"}, False),
        ({"type": "message", "channel_type": "im", "bot_id": "B1", "user": "U1"}, False),
        ({"type": "message", "channel_type": "im"}, False),
        ({"type": "app_home_opened", "user": "U1"}, False),
    ],
)
def test_is_direct_message(event: dict[str, Any], expected: bool) -> None:
    assert parse.is_direct_message(event) is expected


def test_a_button_press_carries_its_action_and_subject() -> None:
    body = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "actions": [{"action_id": "joinup:ack#2", "value": "TI-0042", "block_id": "joinup-buttons"}],
    }
    msg = parse.from_block_action(body)
    assert msg is not None
    assert (msg.platform, msg.sender_key, msg.action, msg.action_value) == ("slack", "U1", "ack", "TI-0042")
    assert msg.address == {"user_id": "U1", "team_id": "T1"}


def test_someone_elses_button_is_ignored() -> None:
    body = {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "other:thing"}]}
    assert parse.from_block_action(body) is None


def test_a_modal_submission_flattens_its_inputs() -> None:
    body = {
        "type": "view_submission",
        "user": {"id": "U1"},
        "view": {
            "callback_id": "joinup:refer",
            "private_metadata": json.dumps({"value": "TI-0042", "channel": "C1"}),
            "state": {
                "values": {
                    "team": {"team": {"type": "static_select", "selected_option": {"value": "front-door"}}},
                    "case_ref": {"case_ref": {"type": "plain_text_input", "value": "NB-204518"}},
                    "on": {"on": {"type": "datepicker", "selected_date": "2026-11-27"}},
                    "about": {"about": {"type": "plain_text_input", "value": None}},
                }
            },
        },
    }
    msg = parse.from_view_submission(body)
    assert msg is not None
    assert msg.action == "refer" and msg.action_value == "TI-0042"
    assert dict(msg.form) == {"team": "front-door", "case_ref": "NB-204518", "on": "2026-11-27", "about": ""}


@pytest.mark.parametrize("metadata", ["", "not json", "[1, 2]", '"text"'])
def test_bad_private_metadata_is_ignored(metadata: str) -> None:
    assert parse.view_metadata({"private_metadata": metadata}) == {}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"command": "/joinup", "user_id": "U1", "text": ""}, None),
        ({"command": "/joinup", "text": ""}, "slash command without user_id"),
        ({"type": "event_callback", "event": {"type": "message", "user": "U1"}}, None),
        ({"type": "event_callback"}, "event_callback without an event"),
        ({"type": "block_actions", "user": {"id": "U1"}, "actions": [{}]}, "block_actions without actions"),
        ({"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "joinup:help"}]}, None),
        ({"type": "block_actions", "user": "U1", "actions": [{}]}, "block_actions without user.id"),
        ({"type": "view_submission", "user": {"id": "U1"}, "view": {}}, None),
        ({"type": "view_submission", "user": {"id": "U1"}}, "view_submission without a view"),
    ],
)
def test_payload_problem(body: dict[str, Any], problem: str | None) -> None:
    assert parse.payload_problem(body) == problem


def test_event_dedupe_key_only_for_event_callbacks() -> None:
    assert parse.event_dedupe_key({"type": "event_callback", "event_id": "Ev1"}) == "slack:event:Ev1"
    assert parse.event_dedupe_key({"type": "block_actions"}) is None


REMINDER = Reply(
    text="TI-0042: Children's front door hasn't acknowledged your referral <yet> & it's due today.",
    fields=(Field("Case", "NB-204518"), Field("Sent", "Wednesday 25 November, 10:00am")),
    buttons=(
        Button("Acknowledged", "ack", "TI-0042", style="primary"),
        Button("Snooze a day", "snooze", "TI-0042"),
    ),
    kind="reminder",
)


def test_reply_blocks_snapshot() -> None:
    assert render.message_payload(REMINDER) == {
        "text": "TI-0042: Children's front door hasn't acknowledged your referral &lt;yet&gt; &amp; it's due today.",
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "TI-0042: Children's front door hasn't acknowledged your referral &lt;yet&gt; "
                    "&amp; it's due today.",
                },
            },
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": "*Case*\nNB-204518"},
                    {"type": "mrkdwn", "text": "*Sent*\nWednesday 25 November, 10:00am"},
                ],
            },
            {
                "type": "actions",
                "block_id": "joinup-buttons",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Acknowledged", "emoji": True},
                        "action_id": "joinup:ack",
                        "value": "TI-0042",
                        "style": "primary",
                    },
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Snooze a day", "emoji": True},
                        "action_id": "joinup:snooze",
                        "value": "TI-0042",
                    },
                ],
            },
        ],
    }


def test_many_sections_stay_within_slacks_block_limit_and_keep_the_buttons() -> None:
    sections = tuple(
        Section(
            f"Team {n}",
            "purpose",
            fields=(Field("Phone", "0161 496 0000"),),
            buttons=(Button("Refer", "refer", str(n)),),
        )
        for n in range(40)
    )
    blocks = render.reply_blocks(
        Reply(text="Found 40 teams.", sections=sections, buttons=(Button("More", "find", "x"),))
    )
    assert len(blocks) <= render.MAX_BLOCKS
    assert blocks[-1]["block_id"] == "joinup-buttons"
    ids = [block["block_id"] for block in blocks if "block_id" in block]
    assert len(ids) == len(set(ids))


def test_repeated_actions_in_one_block_get_unique_ids() -> None:
    block = render.reply_blocks(Reply(text="x", buttons=(Button("A", "ack", "1"), Button("B", "ack", "2"))))[
        -1
    ]
    assert [e["action_id"] for e in block["elements"]] == ["joinup:ack", "joinup:ack#2"]


def test_long_text_is_cut_to_slacks_limits() -> None:
    reply = Reply(text="x" * 5000, buttons=(Button("y" * 100, "ack", "z" * 3000),))
    payload = render.message_payload(reply)
    assert len(payload["text"]) <= render.MAX_FALLBACK_TEXT
    assert len(payload["blocks"][0]["text"]["text"]) <= render.MAX_SECTION_TEXT
    button = payload["blocks"][-1]["elements"][0]
    assert len(button["text"]["text"]) <= render.MAX_BUTTON_LABEL and len(button["value"]) <= render.MAX_VALUE


REFER_FORM = Form(
    title="Log a referral to the front door",
    submit_action="refer",
    value="front-door",
    inputs=(
        FormInput(
            "team",
            "Team",
            kind="choice",
            choices=(Choice("Children's front door", "front-door"),),
            initial="front-door",
        ),
        FormInput("case_ref", "Case reference", placeholder="NB-204518"),
        FormInput("about", "What it's about", kind="multiline", is_required=False),
        FormInput("on", "Sent on", kind="date"),
    ),
)


def test_a_form_becomes_a_modal_that_parses_back() -> None:
    view = render.form_view(REFER_FORM, origin_channel="C1")
    assert view["type"] == "modal" and view["callback_id"] == "joinup:refer"
    # The title is longer than Slack's 24 characters, so it is said in full above the inputs.
    assert view["title"]["text"] == "joinup"
    heading, *inputs = view["blocks"]
    assert heading["text"]["text"] == "*Log a referral to the front door*"
    kinds = {block["block_id"]: block["element"]["type"] for block in inputs}
    assert kinds == {
        "team": "static_select",
        "case_ref": "plain_text_input",
        "about": "plain_text_input",
        "on": "datepicker",
    }
    assert inputs[0]["element"]["initial_option"]["value"] == "front-door"
    assert [block["optional"] for block in inputs] == [False, False, True, False]
    assert parse.view_metadata(view) == {"value": "front-door", "channel": "C1"}


def test_a_short_form_title_is_the_modal_title() -> None:
    view = render.form_view(Form(title="Record feedback", submit_action="feedback", inputs=REFER_FORM.inputs))
    assert view["title"]["text"] == "Record feedback"
    assert all(block["type"] == "input" for block in view["blocks"])


def test_a_form_in_a_message_has_a_submit_button_that_parses_as_the_submit_action() -> None:
    blocks = render.message_payload(Reply(text="Fill this in.", form=REFER_FORM))["blocks"]
    submit = blocks[-1]["elements"][0]
    assert parse.action_name(submit["action_id"]) == "refer"
    assert submit["action_id"].startswith(parse.FORM_SUBMIT_PREFIX)


def test_after_a_press_the_pressed_row_goes_and_the_answer_follows() -> None:
    original = render.message_payload(REMINDER)["blocks"]
    blocks = render.after_action_blocks(
        original, pressed_block_id="joinup-buttons", reply=Reply(text="TI-0042 is marked as acknowledged.")
    )
    assert all(block.get("block_id") != "joinup-buttons" for block in blocks[:-1])
    assert blocks[0] == original[0]
    assert blocks[-1]["text"]["text"] == "TI-0042 is marked as acknowledged."


def test_the_home_tab_puts_overdue_items_first_under_a_search_button() -> None:
    reply = Reply(
        text="You have 3 open items.",
        sections=(
            Section("TI-0001", "Due Friday 27 November"),
            Section("TI-0002", "Overdue by 2 working days"),
            Section("TI-0003", "Due Monday 30 November", fields=(Field("Status", "overdue"),)),
        ),
    )
    view = home.home_view(reply)
    assert view["type"] == "home"
    assert view["blocks"][1]["elements"][0]["action_id"] == home.SEARCH_ACTION_ID
    titles = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section" and "text" in b]
    order = [title.split("*")[1] for title in titles if title.startswith("*TI-")]
    assert order == ["TI-0002", "TI-0003", "TI-0001"]
