"""joinup's web app with Teams mounted, the demo borough loaded, a fake Bot Framework and a fake Graph."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from kiota_abstractions.authentication import AuthenticationProvider
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.config import Settings, TeamsSettings
from bot.notify import RoutingNotifier
from bot.runtime import Runtime, build_runtime
from bot.teams.notify import TeamsNotifier, build_teams_notifier
from bot.teams.routes import build_teams_endpoint
from directory.demo import load_demo
from schedules.time.clock import FakeClock
from storage.db import make_sessions
from storage.models import ConversationRef, Person
from tests.fakes.graph import GRAPH_URL, FakeGraph
from tests.fakes.teams import APP_ID, TENANT_ID, FakeBotFramework, conversation_id, personal_activity

# Entra ID object ids of demo people; Graph gives their demo e-mail, which links them on first contact.
AMY = "0a6f4c1e-7d2b-4b8e-9a31-5c2d8e7f1a01"  # hv.amy, a health visitor
KATE = "0a6f4c1e-7d2b-4b8e-9a31-5c2d8e7f1a02"  # mgr.kate, Amy's manager
JO = "0a6f4c1e-7d2b-4b8e-9a31-5c2d8e7f1a03"  # sw.jo, a front-door social worker
STRANGER = "0a6f4c1e-7d2b-4b8e-9a31-5c2d8e7f1a99"  # someone joinup has never met
# The bot's outbound token in tests: shaped like the Bot Framework's (the SDK reads its claims), never checked.
TOKEN = jwt.encode(
    {"aud": "https://api.botframework.com", "appid": APP_ID, "exp": 4102444800}, "t" * 32, algorithm="HS256"
)
HERE = Path(__file__).parent
# The Teams SDK builds a deprecated BotClient inside every ApiClient it makes (one per activity); nothing
# joinup calls is deprecated, so only that warning is let through in these tests.
SDK_WARNINGS = ("ignore:The bot client is deprecated:DeprecationWarning",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Let the Teams tests tolerate the SDK's own deprecation warning (and only that one)."""
    for item in items:
        if HERE in Path(str(item.path)).parents:
            for spec in SDK_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))


def fixed_token(scope: str | list[str], tenant_id: str | None) -> str:
    """The bot's outbound token in tests (no Entra ID to ask)."""
    return TOKEN


class RecordingSleep:
    """Stands in for asyncio.sleep in the retry middleware: records each wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def fake_teams() -> Iterator[FakeBotFramework]:
    """The fake Bot Framework connector and signing service."""
    fake = FakeBotFramework().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_graph() -> FakeGraph:
    """Graph knowing Amy (managed by Kate), Kate, Jo and a stranger."""
    graph = FakeGraph()
    graph.add(KATE, name="Kate Morris", mail="mgr.kate@example.org", job_title="Team leader")
    graph.add(
        AMY,
        name="Amy Hughes",
        mail="hv.amy@example.org",
        job_title="Health visitor",
        department="0-19 Health",
        manager=KATE,
    )
    graph.add(JO, name="Jo Bennett", mail="sw.jo@example.org", job_title="Social worker")
    graph.add(STRANGER, name="Sam Newman", mail="new.starter@example.org", job_title="Family support worker")
    return graph


def teams_settings(*, allow_unauthenticated: bool = True) -> Settings:
    """Settings with Teams on; JWT validation off unless a test turns it on."""
    return Settings(
        database_url="sqlite://",
        teams=TeamsSettings(
            enabled=True,
            app_id=APP_ID,
            tenant_id=TENANT_ID,
            allow_unauthenticated=allow_unauthenticated,
            graph_url=GRAPH_URL,
        ),
    )


@dataclass
class TeamsJoinup:
    """The running app, the fakes it talks to, and ways to send it Teams activities."""

    runtime: Runtime
    http: httpx.AsyncClient
    fake: FakeBotFramework
    graph: FakeGraph
    clock: FakeClock
    notifier: TeamsNotifier
    sleep: RecordingSleep
    headers: dict[str, str] = field(default_factory=dict)

    async def post(self, activity: dict[str, Any], **headers: str) -> httpx.Response:
        """POST an activity to /api/messages, then let the inbox's workers answer it (as a replica would)."""
        response = await self.http.post(
            "/api/messages", content=json.dumps(activity), headers={**self.headers, **headers}
        )
        await self.settled()
        return response

    async def settled(self) -> None:
        """Work until the inbox has nothing due (the replies a stored activity gets are sent by then)."""
        assert self.runtime.inbox is not None
        await self.runtime.inbox.drain()

    async def say(self, text: str, *, user: str = AMY) -> httpx.Response:
        """Send a personal-chat message."""
        return await self.post(personal_activity(self.fake, user=user, text=text))

    async def press(self, data: dict[str, Any], *, user: str = AMY) -> httpx.Response:
        """Press an Action.Submit button (Teams sends a message whose value is the card's data)."""
        return await self.post(personal_activity(self.fake, user=user, text="", value=data))

    async def install(self, *, user: str = AMY) -> httpx.Response:
        """Install the bot in a personal chat (conversationUpdate with the bot added)."""
        activity = personal_activity(
            self.fake,
            user=user,
            type="conversationUpdate",
            membersAdded=[{"id": "28:" + APP_ID}],
        )
        return await self.post(activity)

    def replies(self, user: str = AMY) -> list[str]:
        """Return the plain text of every activity sent to a user's personal chat."""
        return [sent.text for sent in self.fake.to(conversation_id(user))]

    def person(self, handle: str) -> Person:
        """Return a person by handle."""
        with self.runtime.sessions() as session:
            found = session.exec(select(Person).where(col(Person.handle) == handle)).one()
            session.expunge(found)
            return found

    def teams_person(self, user: str) -> Person | None:
        """Return the person with this Teams user id."""
        with self.runtime.sessions() as session:
            found = session.exec(select(Person).where(col(Person.teams_user_id) == user)).first()
            if found is not None:
                session.expunge(found)
            return found

    def conversation_refs(self) -> list[ConversationRef]:
        """Return every stored Teams conversation reference."""
        with self.runtime.sessions() as session:
            refs = list(session.exec(select(ConversationRef).where(col(ConversationRef.platform) == "teams")))
            for ref in refs:
                session.expunge(ref)
            return refs


def build_joinup(
    *,
    fake: FakeBotFramework,
    graph: FakeGraph,
    clock: FakeClock,
    engine: Engine,
    allow_unauthenticated: bool = True,
    graph_auth: AuthenticationProvider | None = None,
) -> TeamsJoinup:
    """Build the runtime (demo loaded, Teams notifier routed) and an HTTP client on the ASGI app."""
    settings = teams_settings(allow_unauthenticated=allow_unauthenticated)
    sessions = make_sessions(engine)
    sleep = RecordingSleep()
    notifier = build_teams_notifier(settings.teams, sessions=sessions, token=fixed_token, sleep=sleep)
    runtime = build_runtime(
        settings=settings,
        clock=clock,
        notifier=RoutingNotifier(sessions=sessions, platforms={"teams": notifier}),
        engine=engine,
    )
    # The Northbrook directory and demo people; not the months of demo history, which no test here needs.
    with runtime.sessions.begin() as session:
        load_demo(session, clock)
    endpoint = build_teams_endpoint(
        runtime,
        token=fixed_token,
        cloud=fake.cloud(),
        sleep=sleep,
        graph_http=graph.http_client(),
        graph_auth=graph_auth or graph.auth(),
    )
    web = FastAPI()
    web.include_router(endpoint.router())
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://joinup.test")
    return TeamsJoinup(
        runtime=runtime, http=http, fake=fake, graph=graph, clock=clock, notifier=notifier, sleep=sleep
    )


@pytest.fixture
async def joinup(
    fake_teams: FakeBotFramework, fake_graph: FakeGraph, clock: FakeClock, engine: Engine
) -> AsyncIterator[TeamsJoinup]:
    """joinup's Teams endpoint over a fresh in-memory database, JWT validation off (test settings)."""
    app = build_joinup(fake=fake_teams, graph=fake_graph, clock=clock, engine=engine)
    async with app.http:
        yield app
    assert app.runtime.inbox is not None
    await app.runtime.inbox.stop()  # no worker may still be sending when the fake connector goes
