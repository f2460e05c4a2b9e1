"""Fuzzing /api/messages: malformed Teams activities get a 4xx or a friendly reply, never a 500 or partial rows.

tests/teams covers a non-JSON body and an activity without a sender; here hypothesis mutates a real
personal-chat activity (fields removed, values of the wrong type, huge texts, odd types) and posts bodies
that are not activities at all. A refused activity (4xx) must leave every table as it was.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from schedules.time.clock import FakeClock
from tests.fakes.graph import FakeGraph
from tests.fakes.teams import FakeBotFramework, personal_activity
from tests.reliability.fuzzing import json_paths, table_counts
from tests.teams.conftest import AMY, TeamsJoinup, build_joinup

pytestmark = pytest.mark.filterwarnings("ignore:The bot client is deprecated:DeprecationWarning")
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

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
# Mutating these fields gives a 500 today (strict xfail tests below); the property leaves them alone so it
# explores everything else.
KNOWN_500 = {("type",), ("id",), ("serviceUrl",)}
HUGE_500 = {("from",), ("conversation",)}
_huge = st.sampled_from(["help " * 40_000, "x" * 300_000, "find " + "ü" * 100_000])


@pytest.fixture
async def teams(clock: FakeClock, engine: Engine) -> AsyncIterator[TeamsJoinup]:
    """joinup's Teams endpoint with the demo borough; the graph knows Amy."""
    fake = FakeBotFramework().start()
    graph = FakeGraph()
    graph.add(AMY, name="Amy Hughes", mail="hv.amy@example.org", job_title="Health visitor")
    app = build_joinup(fake=fake, graph=graph, clock=clock, engine=engine)
    try:
        async with app.http:
            yield app
    finally:
        assert app.runtime.inbox is not None
        await app.runtime.inbox.stop()  # no worker may still be sending when the fake connector goes
        fake.stop()


@st.composite
def mutated_activity(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """A real activity with a few fields removed, retyped, or made huge."""
    activity: dict[str, Any] = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in json_paths(activity) if p and p[:1] not in KNOWN_500]
        path = draw(st.sampled_from(paths))
        parent = activity
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["delete", "retype", "huge"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "retype":
            parent[path[-1]] = draw(_json)
        elif path[:1] not in HUGE_500:  # a huge sender or conversation id: 500 today (strict xfail below)
            parent[path[-1]] = draw(_huge)
    return activity


async def post_and_check(teams: TeamsJoinup, body: bytes) -> int:
    """Post a body; assert no 500, no stack trace in a reply, and nothing stored when it was refused."""
    await teams.settled()  # earlier examples' stored activities are answered first
    before = table_counts(teams.runtime.sessions)
    sent_before = len(teams.fake.sent)
    response = await teams.http.post(
        "/api/messages", content=body, headers={"Content-Type": "application/json"}
    )
    await teams.settled()  # an accepted activity is answered by a worker, after the ack
    assert response.status_code < 500, response.text[:300]
    for sent in teams.fake.sent[sent_before:]:
        assert "Traceback" not in json.dumps(sent.activity)
    if response.status_code >= 400:
        assert table_counts(teams.runtime.sessions) == before
        assert len(teams.fake.sent) == sent_before
    return response.status_code


@FUZZ
@given(data=st.data())
async def test_a_malformed_activity_is_refused_or_answered_never_a_500(
    teams: TeamsJoinup, data: st.DataObject
) -> None:
    text = data.draw(st.sampled_from(["help", "find mash", "refer", "mine", ""]))
    base = personal_activity(teams.fake, user=AMY, text=text)
    await post_and_check(teams, json.dumps(data.draw(mutated_activity(base))).encode())


@FUZZ
@given(body=st.binary(max_size=200) | _json.map(lambda v: json.dumps(v).encode()))
async def test_a_body_that_is_not_an_activity_is_refused_never_a_500(teams: TeamsJoinup, body: bytes) -> None:
    await post_and_check(teams, body)


async def test_a_huge_activity_is_refused_or_answered_and_nothing_partial_is_stored(
    teams: TeamsJoinup,
) -> None:
    for huge in ("help " * 400_000, "x" * 3_000_000):
        activity = personal_activity(teams.fake, user=AMY, text=huge)
        await post_and_check(teams, json.dumps(activity).encode())


@pytest.mark.parametrize("field", ["type", "id"])
async def test_an_activity_whose_type_id_or_service_url_is_not_a_string_is_refused_with_a_400(
    teams: TeamsJoinup, field: str
) -> None:
    activity = personal_activity(teams.fake, user=AMY, text="help")
    activity[field] = ["not", "a", "string"]
    assert await post_and_check(teams, json.dumps(activity).encode()) == 400


@pytest.mark.parametrize("service_url", [None, "not a url"])
async def test_an_activity_without_a_usable_service_url_is_refused_with_a_400(
    teams: TeamsJoinup, service_url: str | None
) -> None:
    activity = personal_activity(teams.fake, user=AMY, text="help")
    if service_url is None:
        del activity["serviceUrl"]
    else:
        activity["serviceUrl"] = service_url
    assert await post_and_check(teams, json.dumps(activity).encode()) == 400


@pytest.mark.parametrize("where", [("from", "aadObjectId"), ("conversation", "id")])
async def test_an_activity_with_a_huge_id_is_refused_with_a_400(
    teams: TeamsJoinup, where: tuple[str, str]
) -> None:
    activity = personal_activity(teams.fake, user=AMY, text="help")
    activity[where[0]][where[1]] = "a" * 100_000
    assert await post_and_check(teams, json.dumps(activity).encode()) == 400
