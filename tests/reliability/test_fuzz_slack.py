"""Fuzzing /slack/events with correctly signed garbage: never a 500, and a refused request stores nothing.

tests/slack/test_requests.py lists hand-written malformed payloads; here hypothesis mutates real ones (a DM
event, a button press, a slash command) and signs whatever it makes, so each reaches joinup's own parsing
past the signature check.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from schedules.time.clock import FakeClock
from tests.fakes.slack import FakeSlack
from tests.reliability.fuzzing import json_paths, table_counts
from tests.slack import payloads
from tests.slack.conftest import AMY, Joinup, build_joinup

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI stays deterministic
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# Mutations the properties leave alone (each has its own test below).
KNOWN_500: set[str] = set()

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)


@pytest.fixture
async def slack(clock: FakeClock, engine: Engine) -> AsyncIterator[Joinup]:
    """joinup's web app with Slack mounted over the demo borough; the fake Slack knows Amy."""
    fake = FakeSlack().start()
    fake.add_user(AMY, email="hv.amy@example.org", name="Amy Hughes")
    runtime, http = build_joinup(fake=fake, clock=clock, engine=engine)
    try:
        async with http:
            yield Joinup(runtime=runtime, http=http, fake=fake, clock=clock)
    finally:
        fake.stop()


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """A real payload with a few values removed or replaced by values of any JSON type."""
    payload: dict[str, Any] = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in json_paths(payload) if p and not set(p) & KNOWN_500]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = payload
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(_json)
    return payload


async def settled_counts(slack: Joinup) -> dict[str, int]:
    """Row counts once the listeners of earlier requests (tasks that run after Slack's ack) have finished."""
    # Long-lived loops (the inbox worker, learning who the bot is) never finish: only the work they start counts.
    others = {
        task
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task() and not task.get_name().startswith("joinup-loop:")
    }
    if others:
        await asyncio.wait(others, timeout=5)
    return table_counts(slack.runtime.sessions)


async def post_and_check(slack: Joinup, body: str, content_type: str) -> None:
    """Post a signed body; assert no 500, and nothing stored when it was refused."""
    before = await settled_counts(slack)
    response = await slack.post(body, content_type=content_type)
    assert response.status_code < 500, response.text[:300]
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        assert table_counts(slack.runtime.sessions) == before


@FUZZ
@given(data=st.data())
async def test_a_signed_mutated_dm_event_never_gets_a_500(slack: Joinup, data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(["help", "find mash", "refer", "mine"]))
    event = data.draw(mutated(payloads.dm_event(text, user=AMY)))
    await post_and_check(slack, json.dumps(event), "application/json")


@FUZZ
@given(data=st.data())
async def test_a_signed_mutated_button_press_never_gets_a_500(slack: Joinup, data: st.DataObject) -> None:
    action = data.draw(st.sampled_from(["joinup:ack", "joinup:help", "joinup:snooze", "nonsense"]))
    press = payloads.block_action(user=AMY, action_id=action, value="TI-0001", block_id="b1")
    body = urlencode({"payload": json.dumps(data.draw(mutated(press)))})
    await post_and_check(slack, body, "application/x-www-form-urlencoded")


@FUZZ
@given(data=st.data())
async def test_a_signed_mutated_slash_command_never_gets_a_500(slack: Joinup, data: st.DataObject) -> None:
    fields: dict[str, Any] = payloads.slash_command("help", user=AMY, response_url=slack.fake.response_url())
    for key in data.draw(st.lists(st.sampled_from(sorted(fields)), max_size=3, unique=True)):
        if data.draw(st.booleans()):
            del fields[key]
        else:
            fields[key] = data.draw(st.text(max_size=200))
    await post_and_check(slack, urlencode(fields), "application/x-www-form-urlencoded")


@FUZZ
@given(
    body=st.text(max_size=300),
    content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"]),
)
async def test_any_signed_body_never_gets_a_500(slack: Joinup, body: str, content_type: str) -> None:
    await post_and_check(slack, body, content_type)


async def test_a_signed_event_with_a_malformed_authorizations_list_gets_a_4xx(slack: Joinup) -> None:
    event = payloads.dm_event("help", user=AMY) | {"authorizations": [None]}
    response = await slack.post(json.dumps(event), content_type="application/json")
    assert 400 <= response.status_code < 500


async def test_a_signed_button_press_whose_action_id_is_not_a_string_gets_a_4xx(slack: Joinup) -> None:
    press = payloads.block_action(user=AMY, action_id="joinup:help", value="TI-0001", block_id="b1")
    press["actions"][0]["action_id"] = []
    response = await slack.post(
        urlencode({"payload": json.dumps(press)}), content_type="application/x-www-form-urlencoded"
    )
    assert 400 <= response.status_code < 500
