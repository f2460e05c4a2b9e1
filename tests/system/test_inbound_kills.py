"""Four `joinup serve` replicas on PostgreSQL take signed Slack slash commands and Teams messages while replicas
are SIGKILLed at random: every acknowledged request gets exactly one reply.

Each request is answered at its own address (a slash command at its own response_url, a Teams message in its
own conversation), so replies are matched to requests one by one. A slash command whose POST fails is not
retried (Slack doesn't) and is counted as killed before its ack; a Teams activity is delivered again to another
replica, as the Bot Framework does, until one acks it. A request answered twice is a duplicate; that may only
happen to a reply in flight when its worker was killed (sent, row not yet marked done), so duplicates are
counted and bounded by kills × the worker's concurrency.

Size: JOINUP_SYSTEM_SCALE (default 0.1 in CI: 500 slash commands, 200 Teams messages). The issue's figures:
JOINUP_SYSTEM_SCALE=1 JOINUP_SYSTEM_RESULTS=bench/results pytest -m system tests/system/test_inbound_kills.py
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, func, select

from bench import loadgen
from bench.cli import write_result
from bench.load import prepare_database
from storage.db import make_engine
from storage.models import InboxItem

pytestmark = [pytest.mark.postgres, pytest.mark.system]

SCALE = float(os.environ.get("JOINUP_SYSTEM_SCALE", "0.1"))
SLACK_REQUESTS = int(5000 * SCALE)
TEAMS_REQUESTS = int(2000 * SCALE)
USERS = 50
REPLICAS = 4
CONCURRENCY = 16
KILL_EVERY_SECONDS = 4.0
KILL_WHEN_LEFT = (0.8, 0.5)  # shares of the requests still to send at the first two kills
WORKER_CONCURRENCY = 8  # `serve`'s worker process default: replies that can be in flight at a kill
LEASE_SECONDS = 10  # a killed worker's rows go back to the others this soon
RESULTS = Path(os.environ.get("JOINUP_SYSTEM_RESULTS") or Path(tempfile.gettempdir()) / "joinup-system")


@dataclass
class Inbound:
    """Replicas, the fake platform, and what happened to each request."""

    database_url: str
    work: Path
    fake: loadgen.FakePlatform
    fake_url: str
    replicas: list[loadgen.ServeProcess] = field(default_factory=list)
    acked: set[str] = field(default_factory=set)
    killed_before_ack: set[str] = field(default_factory=set)
    redeliveries: int = 0
    kills: int = 0
    starting: set[int] = field(default_factory=set)  # ports whose replica is being replaced

    def env(self) -> dict[str, str]:
        return loadgen.platform_env(
            fake_url=self.fake_url,
            database_url=self.database_url,
            extra={"JOINUP_INBOX__LEASE_SECONDS": str(LEASE_SECONDS)},
        )

    async def start(self, count: int) -> None:
        new = [loadgen.start_serve(self.env(), log_dir=self.work) for _ in range(count)]
        await asyncio.gather(*(loadgen.wait_ready(replica) for replica in new))
        self.replicas += new

    def live(self) -> list[loadgen.ServeProcess]:
        """Replicas a load balancer would send to: alive and past their readiness check."""
        return [r for r in self.replicas if r.process.poll() is None and r.port not in self.starting]

    async def kill_and_replace(self) -> None:
        """SIGKILL a random replica (its worker process dies with it), then start one on the same port."""
        victim = random.choice(self.live())
        victim.kill()
        self.kills += 1
        self.starting.add(victim.port)
        fresh = loadgen.start_serve(self.env(), log_dir=self.work, port=victim.port)
        self.replicas[self.replicas.index(victim)] = fresh
        await loadgen.wait_ready(fresh, within_seconds=120)
        self.starting.discard(victim.port)

    def stop(self) -> None:
        for replica in self.replicas:
            replica.stop()

    async def slash(self, client: httpx.AsyncClient, number: int) -> None:
        key = f"slack-{number}"
        form = loadgen.slash_command(
            f"UB{number % USERS:06d}",
            "find health visitor",
            response_url=f"{self.fake_url}/slack/response/{key}",
        )
        body, headers = loadgen.signed_slack_request(form)
        replica = random.choice(self.live() or self.replicas)
        try:
            response = await client.post(f"{replica.url}/slack/events", content=body, headers=headers)
            if response.status_code == 200:
                self.acked.add(key)
                return
        except httpx.HTTPError:
            pass
        self.killed_before_ack.add(key)  # Slack never sends a slash command twice

    async def teams(self, client: httpx.AsyncClient, number: int) -> None:
        key = f"a:inbound-{number}"
        activity = loadgen.teams_message(
            number % USERS, "find health visitor", service_url=f"{self.fake_url}/teams/"
        )
        activity["conversation"]["id"] = key
        for attempt in range(20):  # the Bot Framework delivers again until it is acked
            if attempt:
                self.redeliveries += 1
                await asyncio.sleep(0.5)
            replica = random.choice(self.live() or self.replicas)
            try:
                response = await client.post(f"{replica.url}/api/messages", content=json.dumps(activity),
                                             headers={"Content-Type": "application/json"})  # fmt: skip
                if response.status_code == 200:
                    self.acked.add(key)
                    return
            except httpx.HTTPError:
                pass
        self.killed_before_ack.add(key)

    def replies(self) -> Counter[str]:
        """How many replies each request got, by its key."""
        counts: Counter[str] = Counter()
        for post in self.fake.posted:
            if post.get("method") == "response_url":
                counts[str(post.get("_user"))] += 1
            elif post.get("platform") == "teams":
                path = str(post.get("path", "")).split("/")
                if len(path) >= 3 and path[-1] == "activities":
                    counts[path[-2]] += 1
        return counts

    def inbox_state(self) -> dict[str, Any]:
        """Inbox rows by status, and the errors of rows not done (for the report)."""
        engine = make_engine(self.database_url)
        try:
            with Session(engine) as session:
                by_status = session.exec(
                    select(InboxItem.status, func.count()).group_by(col(InboxItem.status))
                ).all()
                errors = session.exec(
                    select(InboxItem.last_error, func.count())
                    .where(col(InboxItem.status) != "done")
                    .group_by(col(InboxItem.last_error))
                ).all()
        finally:
            engine.dispose()
        return {"by status": dict(by_status), "errors of rows not done": dict(errors)}

    def inbox_waiting(self) -> int:
        by_status = self.inbox_state()["by status"]
        return int(by_status.get("pending", 0) + by_status.get("claimed", 0))


@pytest.fixture
async def inbound(postgres_url: str, tmp_path: Path) -> AsyncIterator[Inbound]:
    """A seeded database, the fake platform and four ready replicas."""
    await asyncio.to_thread(prepare_database, postgres_url, USERS)
    fake = loadgen.FakePlatform()
    port = loadgen.free_port()
    cluster = Inbound(postgres_url, tmp_path, fake, f"http://127.0.0.1:{port}")
    async with loadgen.running(fake.app(), port):
        try:
            await cluster.start(REPLICAS)
            yield cluster
        finally:
            cluster.stop()


async def test_every_acknowledged_request_is_answered_once_while_replicas_are_killed(
    inbound: Inbound,
) -> None:
    started = time.monotonic()
    requests = [("slack", n) for n in range(SLACK_REQUESTS)] + [("teams", n) for n in range(TEAMS_REQUESTS)]
    random.Random(7).shuffle(requests)
    queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    sending = True

    # The first kills come when a share of the requests is still to send, so every run kills replicas
    # mid-load however fast the machine sends; after them, one every few seconds while sending lasts.
    kill_when_left = [share * len(requests) for share in KILL_WHEN_LEFT]
    kill_due = asyncio.Event()

    async def sender(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            platform, number = queue.get_nowait()
            if kill_when_left and queue.qsize() <= kill_when_left[0]:
                kill_when_left.pop(0)
                kill_due.set()
            await (inbound.slash(client, number) if platform == "slack" else inbound.teams(client, number))

    async def chaos() -> None:
        for _ in KILL_WHEN_LEFT:
            await kill_due.wait()
            kill_due.clear()
            if not sending:
                return
            await inbound.kill_and_replace()
        while sending:
            await asyncio.sleep(KILL_EVERY_SECONDS)
            if sending:
                await inbound.kill_and_replace()

    async with httpx.AsyncClient(timeout=30) as client:
        killer = asyncio.create_task(chaos())
        await asyncio.gather(*(sender(client) for _ in range(CONCURRENCY)))
        sending = False
        kill_due.set()  # a kill still waiting for its share ends with the sending
        await killer
    sent_seconds = time.monotonic() - started

    # Wait for the stragglers: rows a killed worker held come back when their lease runs out. Keep waiting
    # while the backlog shrinks (a loaded machine drains slowly); stop after a minute without progress.
    last_progress, best = time.monotonic(), None
    while time.monotonic() - last_progress < LEASE_SECONDS * 6:
        replies = inbound.replies()
        waiting = await asyncio.to_thread(inbound.inbox_waiting)
        if waiting == 0 and all(replies[key] for key in inbound.acked):
            break
        if best is None or waiting < best:
            best, last_progress = waiting, time.monotonic()
        await asyncio.sleep(1.0)
    replies = inbound.replies()
    state = await asyncio.to_thread(inbound.inbox_state)

    lost = sorted(key for key in inbound.acked if replies[key] == 0)
    duplicates = sum(count - 1 for key, count in replies.items() if count > 1)
    answered_without_ack = sum(1 for key in inbound.killed_before_ack if replies[key])
    summary = {
        "slack requests": SLACK_REQUESTS,
        "teams requests": TEAMS_REQUESTS,
        "replicas": REPLICAS,
        "kills": inbound.kills,
        "acknowledged": len(inbound.acked),
        "killed before their ack": len(inbound.killed_before_ack),
        "of those answered anyway (stored, then killed before the 200)": answered_without_ack,
        "teams redeliveries": inbound.redeliveries,
        "acknowledged and never answered": len(lost),
        "duplicate replies": duplicates,
        "duplicate bound (kills x worker concurrency)": inbound.kills * WORKER_CONCURRENCY,
        "seconds to send everything": round(sent_seconds, 1),
        "seconds until every reply": round(time.monotonic() - started, 1),
        "inbox rows by status": state["by status"],
    }
    write_result(
        "inbound-kills",
        summary=summary,
        details={"lost samples": lost[:20], "errors of rows not done": state["errors of rows not done"]},
        results_dir=RESULTS,
        command=f"JOINUP_SYSTEM_SCALE={SCALE} JOINUP_SYSTEM_RESULTS=bench/results pytest -m system "
        "tests/system/test_inbound_kills.py",
    )
    assert inbound.kills > 0
    assert lost == [], summary
    assert duplicates <= inbound.kills * WORKER_CONCURRENCY, summary
