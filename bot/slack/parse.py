"""Pure extractors: a Slack payload dict in, an InboundMessage (or a plain value) out. No I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from handlers.messages import InboundMessage

# Button action ids carry the neutral action: "joinup:ack". A "#2" suffix keeps ids unique within a block.
ACTION_PREFIX = "joinup:"
# The submit button of a form rendered inside a message (no trigger_id was available to open a modal).
FORM_SUBMIT_PREFIX = "joinupform:"
# Modal callback ids carry the form's submit action: "joinup:refer".
VIEW_PREFIX = "joinup:"


def slack_address(*, user_id: str, team_id: str | None) -> dict[str, str]:
    """Return where to reach a Slack user proactively (kept stable so it isn't rewritten on every message)."""
    address = {"user_id": user_id}
    if team_id:
        address["team_id"] = team_id
    return address


def action_name(action_id: str) -> str | None:
    """Return the neutral action a button's action_id carries, or None if it isn't one of ours."""
    for prefix in (ACTION_PREFIX, FORM_SUBMIT_PREFIX):
        if action_id.startswith(prefix):
            name = action_id[len(prefix) :].split("#", 1)[0]
            return name or None
    return None


def is_direct_message(event: Mapping[str, Any]) -> bool:
    """Return True for a person's own message in a DM with the bot (not edits, joins or bot posts)."""
    return (
        event.get("type") == "message"
        and event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and bool(event.get("user"))
    )


def from_slash_command(body: Mapping[str, Any]) -> InboundMessage:
    """Turn a slash command (`/joinup find health visitor`) into an InboundMessage."""
    user_id = str(body["user_id"])
    return InboundMessage(
        platform="slack",
        sender_key=user_id,
        text=str(body.get("text") or ""),
        address=slack_address(user_id=user_id, team_id=body.get("team_id")),
    )


def from_direct_message(body: Mapping[str, Any]) -> InboundMessage:
    """Turn a `message.im` event callback into an InboundMessage."""
    event = body["event"]
    user_id = str(event["user"])
    return InboundMessage(
        platform="slack",
        sender_key=user_id,
        text=str(event.get("text") or ""),
        address=slack_address(user_id=user_id, team_id=event.get("team") or body.get("team_id")),
        event_id=body.get("event_id"),
    )


def from_block_action(body: Mapping[str, Any]) -> InboundMessage | None:
    """Turn a button press into an InboundMessage; None if the button isn't one of ours."""
    actions = body.get("actions") or []
    if not actions:
        return None
    action = actions[0]
    name = action_name(str(action.get("action_id", "")))
    if name is None:
        return None
    user_id = str(body["user"]["id"])
    form: dict[str, str] = {}
    if str(action.get("action_id", "")).startswith(FORM_SUBMIT_PREFIX):
        form = form_values((body.get("state") or {}).get("values") or {})
    return InboundMessage(
        platform="slack",
        sender_key=user_id,
        action=name,
        action_value=action.get("value") or None,
        form=form,
        address=slack_address(user_id=user_id, team_id=(body.get("team") or {}).get("id")),
    )


def from_view_submission(body: Mapping[str, Any]) -> InboundMessage | None:
    """Turn a modal submission into an InboundMessage; None if the modal isn't one of ours."""
    view = body.get("view") or {}
    callback_id = str(view.get("callback_id", ""))
    if not callback_id.startswith(VIEW_PREFIX):
        return None
    user_id = str(body["user"]["id"])
    metadata = view_metadata(view)
    return InboundMessage(
        platform="slack",
        sender_key=user_id,
        action=callback_id[len(VIEW_PREFIX) :],
        action_value=metadata.get("value") or None,
        form=form_values((view.get("state") or {}).get("values") or {}),
        address=slack_address(user_id=user_id, team_id=(body.get("team") or {}).get("id")),
    )


def view_metadata(view: Mapping[str, Any]) -> dict[str, str]:
    """Return the context a modal carries in private_metadata (the form's value, where it was opened)."""
    raw = view.get("private_metadata") or ""
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def form_values(values: Mapping[str, Any]) -> dict[str, str]:
    """Flatten Block Kit `state.values` ({block_id: {action_id: element}}) into {input id: text}."""
    form: dict[str, str] = {}
    if not isinstance(values, Mapping):
        return form
    for block_id, elements in values.items():
        if not isinstance(elements, Mapping):
            continue
        for element in elements.values():
            if isinstance(element, Mapping):
                form[str(block_id)] = _element_value(element)
    return form


def _element_value(element: Mapping[str, Any]) -> str:
    if element.get("selected_option"):
        return str(element["selected_option"].get("value", ""))
    if element.get("selected_date"):
        return str(element["selected_date"])
    return str(element.get("value") or "")


def message_container(body: Mapping[str, Any]) -> tuple[str, str] | None:
    """Return (channel, ts) of the non-ephemeral message a button was pressed on, else None."""
    container = body.get("container") or {}
    if container.get("type") != "message" or container.get("is_ephemeral"):
        return None
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return (str(channel), str(ts)) if channel and ts else None


def event_dedupe_key(body: Mapping[str, Any]) -> str | None:
    """Return the key that makes an Events API delivery and its retries one event, or None."""
    if body.get("type") != "event_callback" or not body.get("event_id"):
        return None
    return f"slack:event:{body['event_id']}"


def _user_id_of(body: Mapping[str, Any]) -> object:
    user = body.get("user")
    return user.get("id") if isinstance(user, Mapping) else None


# Fields slack_bolt reads as strings wherever they appear; "user", "channel", "team" and "text" (in blocks)
# may also be objects.
_STRING_FIELDS = frozenset(
    {"type", "subtype", "ts", "event_ts", "thread_ts", "channel_type", "tab", "event_id", "team_id",
     "api_app_id", "enterprise_id", "action_id", "block_id", "callback_id", "trigger_id", "response_url", "bot_id"}
)  # fmt: skip
_STRING_OR_OBJECT_FIELDS = frozenset({"user", "channel", "team", "enterprise", "text"})


def _badly_typed_field(value: Any, depth: int = 0) -> str | None:
    """Name the first field slack_bolt would choke on (a string field holding something else), or None."""
    if depth > 8:
        return None
    items: list[tuple[Any, Any]] = (
        list(value.items())
        if isinstance(value, Mapping)
        else list(enumerate(value))
        if isinstance(value, list)
        else []
    )
    for key, inner in items:
        if inner is not None and key in _STRING_FIELDS and not isinstance(inner, str):
            return str(key)
        if inner is not None and key in _STRING_OR_OBJECT_FIELDS and not isinstance(inner, str | Mapping):
            return str(key)
        if key == "authorizations" and not (
            isinstance(inner, list) and all(isinstance(a, Mapping) for a in inner)
        ):
            return "authorizations"
        if isinstance(inner, Mapping | list) and (found := _badly_typed_field(inner, depth + 1)):
            return found
    return None


def payload_problem(body: Mapping[str, Any]) -> str | None:
    """Return why a (correctly signed) payload can't be handled, or None when its shape is usable."""
    if (field := _badly_typed_field(body)) is not None:
        return f"malformed {field}"
    kind = body.get("type")
    if "command" in body:
        if not isinstance(body.get("user_id"), str) or not body["user_id"]:
            return "slash command without user_id"
        return None
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
            return "event_callback without an event"
        if event["type"] in ("message", "app_home_opened") and not isinstance(event.get("user", ""), str):
            return "event with a malformed user"
        return None
    if kind in ("block_actions", "view_submission"):
        if not isinstance(_user_id_of(body), str):
            return f"{kind} without user.id"
        if kind == "block_actions" and not (
            isinstance(body.get("actions"), list)
            and all(isinstance(a, Mapping) and isinstance(a.get("action_id"), str) for a in body["actions"])
        ):
            return "block_actions without actions"
        if kind == "view_submission" and not isinstance(body.get("view"), Mapping):
            return "view_submission without a view"
        return None
    if kind == "url_verification":
        return None if isinstance(body.get("challenge"), str) else "url_verification without a challenge"
    return None
