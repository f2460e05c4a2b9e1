"""Four `joinup serve` replicas on one PostgreSQL database: every due reminder is sent exactly once.

Traffic is real signed Slack slash commands sent to random replicas; the replicas share a file clock
that the test moves in steps, and reply to a fake Slack Web API that counts every post. The second
test kills a random replica with SIGKILL every few seconds and restarts PostgreSQL mid-run.

Size: JOINUP_SYSTEM_USERS (default 30 in CI). The report's figures: JOINUP_SYSTEM_USERS=200
JOINUP_SYSTEM_RESULTS=bench/results pytest -m system.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from bench import loadgen
from bench.cli import write_result
from schedules.settings import ReminderSettings
from storage import audit
from storage.models import Person
from tests.system.harness import ITEM_REF, Cluster, prepare, restart_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.system]

USERS = int(os.environ.get("JOINUP_SYSTEM_USERS", "30"))
REPLICAS = 4
START = datetime(2026, 11, 25, 10, tzinfo=UTC)  # Wednesday, 10:00 London
# Restarting PostgreSQL disturbs anything else using it, so only CI (which has the machine) asks for it.
RESTART_POSTGRES = os.environ.get("JOINUP_SYSTEM_RESTART_POSTGRES") == "1"
# Where the figures go: bench/results when producing the report (set it), else a scratch folder, so a
# test run never rewrites the committed figures.
RESULTS = Path(os.environ.get("JOINUP_SYSTEM_RESULTS") or Path(tempfile.gettempdir()) / "joinup-system")


@pytest.fixture
async def cluster(postgres_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    """Seeded database, fake platform, clock file at START and four ready replicas."""
    prepare(postgres_url, users=USERS)
    fake = loadgen.FakePlatform()
    port = loadgen.free_port()
    clock_file = tmp_path / "now"
    cluster = Cluster(postgres_url, tmp_path, fake, f"http://127.0.0.1:{port}", clock_file)
    cluster.set_time(START)
    async with loadgen.running(fake.app(), port):
        try:
            await cluster.start(REPLICAS)
            yield cluster
        finally:
            cluster.stop()


async def drive(cluster: Cluster) -> dict[str, str]:
    """Every user searches and logs a referral to the front door. Returns user id → item ref."""
    gate = asyncio.Semaphore(24)
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(index: int) -> None:
            async with gate:
                user = f"UB{index:06d}"
                await cluster.slash(client, user, "find health visitor")
                await cluster.slash(client, user, f"refer front door case NB-{300000 + index} by phone")

        await asyncio.gather(*(one(index) for index in range(USERS)))
    await wait_for_replies(cluster, 2 * USERS)
    refs: dict[str, str] = {}
    for index in range(USERS):
        user = f"UB{index:06d}"
        found = [
            m.group(0)
            for post in cluster.fake.posted
            if post.get("_user") == user
            for m in [ITEM_REF.search(json.dumps(post))]
            if m
        ]
        if found:
            refs[user] = found[-1]
    return refs


async def wait_for_replies(cluster: Cluster, expected: int, *, within_seconds: float = 120) -> None:
    """Slash commands are answered through the response URL after the 200: wait for all the answers."""
    for _ in range(int(within_seconds * 4)):
        if sum(1 for post in cluster.fake.posted if post.get("method") == "response_url") >= expected:
            return
        await asyncio.sleep(0.25)
    got = sum(1 for post in cluster.fake.posted if post.get("method") == "response_url")
    raise AssertionError(f"{expected - got} of {expected} slash-command answers never arrived")


async def acknowledge_some(cluster: Cluster, refs: dict[str, str], ids: dict[str, str]) -> int:
    """The front door acknowledges every third referral (so those referrers get no ack chase)."""
    chosen = sorted(refs.values())[::3]
    before = sum(1 for post in cluster.fake.posted if post.get("method") == "response_url")
    async with httpx.AsyncClient(timeout=30) as client:
        for ref in chosen:
            await cluster.slash(client, ids["sw.jo"], f"ack {ref}")
    await wait_for_replies(cluster, before + len(chosen))
    return len(chosen)


async def step_days(cluster: Cluster, days: list[datetime], chaos: asyncio.Event | None = None) -> None:
    """Move the shared clock to each moment and wait for the replicas to deliver what is due."""
    for moment in days:
        cluster.set_time(moment)
        await cluster.settle(moment)
    if chaos is not None:
        chaos.set()


def check_and_report(cluster: Cluster, name: str, extra: dict[str, object]) -> dict[str, object]:
    """The exactly-once checks every run makes, and the figures written to bench/results."""
    counts = cluster.delivery_check()
    with Session(cluster.db()) as session:
        chain = audit.verify(session=session)
    summary = {
        **counts,
        **extra,
        "users": USERS,
        "replicas": REPLICAS,
        "lost requests": cluster.lost_requests,
    }
    summary["audit chain ok"] = chain.is_intact
    write_result(
        name,
        summary=summary,
        details={"outbox": dict(cluster.outbox())},
        results_dir=RESULTS,
        command=f"JOINUP_SYSTEM_USERS={USERS} JOINUP_SYSTEM_RESULTS=bench/results "
        f"JOINUP_SYSTEM_RESTART_POSTGRES={int(RESTART_POSTGRES)} pytest -m system tests/system",
    )
    assert chain.is_intact, chain
    assert cluster.lost_requests == 0
    assert counts["reminders_not_posted"] == 0
    assert counts["rows_sharing_a_post"] == 0
    return summary


DAYS = [
    START + timedelta(days=1, hours=1),  # Thursday 11:00: acknowledgements are due
    START + timedelta(days=2, hours=1),  # Friday
    START + timedelta(days=5, hours=1),  # Monday: the weekend passed quietly
    START + timedelta(days=12, hours=1),  # the Monday after: feedback chases
]


async def test_every_due_reminder_is_sent_exactly_once(cluster: Cluster) -> None:
    ids = prepare_ids(cluster)
    refs = await drive(cluster)
    sample = cluster.fake.posted[-1] if cluster.fake.posted else None
    assert len(refs) == USERS, (
        f"{USERS - len(refs)} referrals got no item reference back; last answer: {sample}"
    )
    acked = await acknowledge_some(cluster, refs, ids)

    await step_days(cluster, DAYS)

    summary = check_and_report(cluster, "system-replicas", {"acknowledged": acked})
    assert summary["unrecorded_posts"] == 0, f"sent twice: {summary['unrecorded_samples']}"
    assert int(str(summary["reminders_sent"])) >= USERS - acked, (
        "every unacknowledged referral's referrer is chased"
    )


async def test_killed_replicas_and_a_database_restart_lose_nothing(cluster: Cluster) -> None:
    ids = prepare_ids(cluster)
    refs = await drive(cluster)
    await acknowledge_some(cluster, refs, ids)
    kills = 0
    done = asyncio.Event()

    async def chaos() -> None:
        nonlocal kills
        restarted_db = False
        while not done.is_set():
            await asyncio.sleep(random.uniform(1.5, 3.0))
            victim = random.choice(cluster.replicas)
            victim.kill()
            kills += 1
            if RESTART_POSTGRES and not restarted_db and kills == 2:
                await asyncio.to_thread(restart_postgres)
                restarted_db = True
            await cluster.restart(victim)

    chaos_task = asyncio.create_task(chaos())
    try:
        await step_days(cluster, DAYS, done)
    finally:
        done.set()
        await chaos_task

    summary = check_and_report(
        cluster, "system-chaos", {"replicas killed": kills, "postgres restarts": int(RESTART_POSTGRES)}
    )
    # A replica killed after Slack accepted a post but before its row was marked sent resends it when
    # the lease runs out: that is the only duplicate allowed, and it is counted in the report. Each
    # sweeper has at most send_concurrency sends in flight, so a kill resends at most that many.
    assert int(str(summary["unrecorded_posts"])) <= kills * ReminderSettings().send_concurrency


def prepare_ids(cluster: Cluster) -> dict[str, str]:
    """Handle → Slack user id, read back from the database."""
    with Session(cluster.db()) as session:
        return {person.handle: str(person.slack_user_id) for person in session.exec(select(Person)).all()}
