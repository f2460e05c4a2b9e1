"""Faults at the HTTP layer: every due reminder is delivered eventually, exactly once, within bounded attempts.

The fake Slack Web API and Bot Framework connector (bot/loadgen.FakePlatform, served on a loopback port)
answer a share of calls with 429 (Retry-After), 500, 502 or 503. The reminders go through the real outbox
sweep, renderers, Slack client retry policy and Teams retry middleware.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from bench.loadgen import DroppingProxy, FakePlatform, Faults, free_port, running
from bot.runtime import build_router
from handlers.tracking.chasing import run_sweep
from schedules.outbox import rows as outbox
from schedules.settings import ReminderSettings
from schedules.time.clock import FakeClock
from storage.db import make_sessions
from tests.reliability.world import build_borough, notifier, refer_all, reminders, sweep_until_quiet

# Teams' SDK builds a deprecated BotClient per ApiClient; nothing joinup calls is deprecated (see tests/teams).
pytestmark = pytest.mark.filterwarnings("ignore:The bot client is deprecated:DeprecationWarning")

# One chase each way per item keeps a run small: 5 reminders per item (two ack chases, two feedback
# chases, one escalation nudge).
SETTINGS = ReminderSettings(max_chases=1)


class ClosingPlatform(FakePlatform):
    """The fake platform, closing each Teams connection after its answer.

    The Teams SDK makes a new httpx client for every activity it sends and never closes it; with keep-alive its
    socket would linger until garbage collection (a ResourceWarning, an error under pytest).
    """

    async def _teams(self, request: Request) -> Response:
        response = await super()._teams(request)
        response.headers["connection"] = "close"
        return response


@pytest.fixture
async def platform() -> AsyncIterator[tuple[FakePlatform, str]]:
    """The fake platform on a free loopback port, and its base URL."""
    fake = ClosingPlatform()
    port = free_port()
    async with running(fake.app(), port):
        yield fake, f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("rate", "kinds", "seed"),
    [
        (0.3, ("429", "500", "502", "503"), 1),  # the brief's mix, Slack's own retries absorb most of it
        (0.6, ("500", "502", "503"), 7),  # heavy enough that the outbox itself has to retry
    ],
)
async def test_every_due_reminder_is_delivered_exactly_once_despite_faults(
    platform: tuple[FakePlatform, str],
    sessions: sessionmaker[Session],
    clock: FakeClock,
    rate: float,
    kinds: tuple[str, ...],
    seed: int,
) -> None:
    fake, url = platform
    borough = build_borough(sessions, clock, fake_url=url, referrers=6, teams_every=3)
    refer_all(sessions, clock, borough, SETTINGS)
    fake.faults = Faults(rate=rate, kinds=kinds, retry_after_seconds=0, rng=random.Random(seed))

    drive = await sweep_until_quiet(
        sessions=sessions, clock=clock, notifier=notifier(sessions, fake_url=url), settings=SETTINGS
    )

    rows = reminders(sessions)
    assert len(rows) == 6 * 5
    assert Counter(r.status for r in rows) == {"sent": 30}, [(r.kind, r.status, r.last_error) for r in rows]
    assert all(1 <= r.attempts <= SETTINGS.max_attempts for r in rows)
    assert drive.report.sent == 30 and drive.report.failed == 0 and drive.report.lost_leases == 0
    # Exactly once: one chat.postMessage per Slack reminder, each ts recorded on exactly one row.
    slack_refs = [r.message_ref["ts"] for r in rows if r.message_ref.get("platform") == "slack"]
    slack_posts = [
        p["ts"] for p in fake.posted if p["platform"] == "slack" and p["method"] == "chat.postMessage"
    ]
    assert sorted(slack_refs) == sorted(slack_posts) and len(set(slack_posts)) == len(slack_posts)
    teams_rows = [r for r in rows if r.message_ref.get("platform") == "teams"]
    teams_posts = [p for p in fake.posted if p["platform"] == "teams"]
    assert teams_rows and len(teams_posts) == len(teams_rows)
    assert sum(fake.calls[f"fault:{kind}"] for kind in kinds) > 0
    if rate >= 0.6:  # some faults outlasted the platform clients' own retries and went back to the outbox
        assert drive.report.retried > 0
        assert max(r.attempts for r in rows) > 1


async def test_a_platform_that_never_recovers_is_given_up_on_after_max_attempts(
    platform: tuple[FakePlatform, str], sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    fake, url = platform
    borough = build_borough(sessions, clock, fake_url=url, referrers=1)
    refer_all(sessions, clock, borough, SETTINGS)
    fake.faults = Faults(rate=1.0, kinds=("503",))
    settings = SETTINGS.model_copy(update={"max_attempts": 3})

    drive = await sweep_until_quiet(
        sessions=sessions, clock=clock, notifier=notifier(sessions, fake_url=url), settings=settings
    )

    rows = reminders(sessions)
    chases = [r for r in rows if r.kind != "delivery_failed"]
    assert chases and all(r.status == "failed" and r.attempts == 3 for r in chases)
    # The Slack client tries each call 3 times (2 retries), so 3 outbox attempts are 9 calls per reminder.
    assert fake.calls["fault:503"] == 9 * len(rows)
    assert drive.report.failed == len(rows)
    assert fake.posted == []


class SlowPlatform(ClosingPlatform):
    """The fake platform, answering the first `slow` chat.postMessage calls too late (and not taking them)."""

    def __init__(self, slow: int) -> None:
        super().__init__()
        self.slow = slow

    async def _slack(self, request: Request) -> Response:
        if request.path_params["method"] == "chat.postMessage" and self.slow > 0:
            self.slow -= 1
            self.calls["timeout:chat.postMessage"] += 1
            await asyncio.sleep(0.5)  # the client gave up after 0.1 s
            return Response(status_code=503)
        return await super()._slack(request)


async def test_a_slack_call_that_times_out_is_retried_by_the_outbox_and_delivered_once(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    fake = SlowPlatform(slow=3)
    port = free_port()
    async with running(fake.app(), port):
        url = f"http://127.0.0.1:{port}"
        borough = build_borough(sessions, clock, fake_url=url, referrers=1)
        refer_all(sessions, clock, borough, SETTINGS)
        routing = notifier(sessions, fake_url=url)
        slack_client = routing.platforms["slack"].client  # type: ignore[attr-defined]
        slack_client.timeout = 0.1

        drive = await sweep_until_quiet(sessions=sessions, clock=clock, notifier=routing, settings=SETTINGS)

    rows = reminders(sessions)
    assert fake.calls["timeout:chat.postMessage"] == 3
    assert [r.status for r in rows] == ["sent"] * len(rows)
    assert drive.report.retried == 3 and max(r.attempts for r in rows) <= 4
    posts = [p["ts"] for p in fake.posted if p["method"] == "chat.postMessage"]
    assert sorted(posts) == sorted(r.message_ref["ts"] for r in rows)


@pytest.mark.postgres
async def test_two_sweepers_on_postgresql_under_faults_deliver_each_reminder_exactly_once(
    platform: tuple[FakePlatform, str], pg_engine: Engine, clock: FakeClock
) -> None:
    fake, url = platform
    sessions = make_sessions(pg_engine)
    borough = build_borough(sessions, clock, fake_url=url, referrers=6, teams_every=3)
    refer_all(sessions, clock, borough, SETTINGS)
    fake.faults = Faults(rate=0.5, kinds=("500", "502", "503"), retry_after_seconds=0, rng=random.Random(3))
    routing = notifier(sessions, fake_url=url)
    router = build_router()

    # Both sweepers run at each moment; the clock moves only between moments (time never jumps past a lease
    # while a message is in flight, as it can't on a real clock).
    for _ in range(200):
        with sessions() as session:
            due = outbox.next_due_at(session=session)
        if due is None:
            break
        clock.set(max(due, clock.now()))
        await asyncio.gather(
            *(
                run_sweep(router=router, sessions=sessions, clock=clock, notifier=routing, settings=SETTINGS)
                for _ in range(2)
            )
        )

    rows = reminders(sessions)
    assert len(rows) == 30 and all(r.status == "sent" for r in rows)
    assert all(1 <= r.attempts <= SETTINGS.max_attempts for r in rows)
    slack_posts = [
        p["ts"] for p in fake.posted if p["platform"] == "slack" and p["method"] == "chat.postMessage"
    ]
    slack_refs = [r.message_ref["ts"] for r in rows if r.message_ref.get("platform") == "slack"]
    assert sorted(slack_posts) == sorted(slack_refs)
    assert len([p for p in fake.posted if p["platform"] == "teams"]) == len(rows) - len(slack_refs)


async def test_connections_reset_before_the_request_are_retried_and_delivered_exactly_once(
    platform: tuple[FakePlatform, str], sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    fake, url = platform
    proxy = DroppingProxy(target_port=int(url.rsplit(":", 1)[1]), rate=0.3)
    proxy_port = free_port()
    proxy_url = f"http://127.0.0.1:{proxy_port}"
    async with proxy.running(proxy_port):
        borough = build_borough(sessions, clock, fake_url=proxy_url, referrers=6, teams_every=3)
        refer_all(sessions, clock, borough, SETTINGS)
        drive = await sweep_until_quiet(
            sessions=sessions, clock=clock, notifier=notifier(sessions, fake_url=proxy_url), settings=SETTINGS
        )

    rows = reminders(sessions)
    assert Counter(r.status for r in rows) == {"sent": 30}, [(r.kind, r.status, r.last_error) for r in rows]
    assert all(1 <= r.attempts <= SETTINGS.max_attempts for r in rows)
    assert drive.report.failed == 0
    assert proxy.dropped > 0
    slack_refs = [r.message_ref["ts"] for r in rows if r.message_ref.get("platform") == "slack"]
    slack_posts = [
        p["ts"] for p in fake.posted if p["platform"] == "slack" and p["method"] == "chat.postMessage"
    ]
    assert sorted(slack_refs) == sorted(slack_posts)
    teams_rows = [r for r in rows if r.message_ref.get("platform") == "teams"]
    assert len([p for p in fake.posted if p["platform"] == "teams"]) == len(teams_rows)
