"""Slack request bodies as Slack sends them, and their signatures computed with the real algorithm."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack import BOT_USER_ID, TEAM_ID

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # fictional, as in Slack's docs
_ids = itertools.count(1)


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None, content_type: str
) -> dict[str, str]:
    """Return the headers Slack would send with `body`: a v0 HMAC-SHA256 signature over v0:ts:body."""
    # Slack signs with the real time, and the receiver checks it against the real time: not the FakeClock.
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": signature,
    }


def form_body(fields: dict[str, str]) -> str:
    """Encode slash-command fields as Slack does (application/x-www-form-urlencoded)."""
    return urlencode(fields)


def interactive_body(payload: dict[str, Any]) -> str:
    """Encode an interactivity payload as Slack does: payload=<json>, form-encoded."""
    return urlencode({"payload": json.dumps(payload)})


def slash_command(text: str, *, user: str, response_url: str, channel: str = "C0GENERAL") -> dict[str, str]:
    """The form fields of `/joinup <text>`."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "northbrook",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/joinup",
        "text": text,
        "api_app_id": "A0JOINUP",
        "response_url": response_url,
        "trigger_id": f"{next(_ids)}.{TEAM_ID}.trigger",
    }


def dm_event(text: str, *, user: str, event_id: str | None = None) -> dict[str, Any]:
    """An Events API `message.im` callback."""
    number = next(_ids)
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0JOINUP",
        "type": "event_callback",
        "event_id": event_id or f"Ev{number:08d}",
        "event_time": 1764064800,
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": f"D{user.removeprefix('U')}",
            "user": user,
            "text": text,
            "ts": f"1764064800.{number:06d}",
            "team": TEAM_ID,
        },
    }


def home_opened(*, user: str) -> dict[str, Any]:
    """An Events API `app_home_opened` callback for the Home tab."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0JOINUP",
        "type": "event_callback",
        "event_id": f"Ev{next(_ids):08d}",
        "event_time": 1764064800,
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        "event": {
            "type": "app_home_opened",
            "user": user,
            "channel": f"D{user.removeprefix('U')}",
            "tab": "home",
        },
    }


def block_action(
    *,
    user: str,
    action_id: str,
    value: str | None,
    block_id: str,
    message: dict[str, Any] | None = None,
    channel: str | None = None,
    response_url: str = "",
) -> dict[str, Any]:
    """A block_actions payload for a button pressed on a bot message (or in a modal/home when no message)."""
    action: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": "1",
    }
    if value is not None:
        action["value"] = value
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "northbrook"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A0JOINUP",
        "trigger_id": f"{next(_ids)}.{TEAM_ID}.trigger",
        "actions": [action],
    }
    if message is not None and channel is not None:
        payload["container"] = {"type": "message", "message_ts": message["ts"], "channel_id": channel}
        payload["channel"] = {"id": channel}
        payload["message"] = message
        payload["response_url"] = response_url
    return payload


def view_submission(
    *, user: str, callback_id: str, values: dict[str, dict[str, dict[str, Any]]], private_metadata: str = ""
) -> dict[str, Any]:
    """A view_submission payload for a modal with `values` as Slack's state.values."""
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "northbrook"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A0JOINUP",
        "trigger_id": f"{next(_ids)}.{TEAM_ID}.trigger",
        "view": {
            "id": f"V{next(_ids):08d}",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
        },
    }
