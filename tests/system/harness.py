"""A cluster of `joinup serve` replicas on one PostgreSQL database, a shared file clock and the fake platform."""

from __future__ import annotations

import asyncio
import random
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import Engine, func
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from bench import loadgen
from bench.load import prepare_database
from schedules.time.clock import FileClock
from storage.db import make_engine
from storage.models import ConversationRef, DigestRun, Person, Reminder

ITEM_REF = re.compile(r"\bTI-\d+\b")
T = TypeVar("T")


def slack_id(person: Person) -> str:
    """The Slack user id a system-test person has (demo people get one made from their handle)."""
    return person.slack_user_id or "U" + re.sub(r"[^A-Z0-9]", "", person.handle.upper())[:10]


def prepare(database_url: str, *, users: int) -> dict[str, str]:
    """Seed the demo and bench users; give everyone a Slack id and a DM address. Returns handle → Slack id."""
    prepare_database(database_url, users)
    engine = make_engine(database_url)
    ids: dict[str, str] = {}
    with Session(engine) as session, session.begin():
        for person in session.exec(select(Person)).all():
            assert person.id is not None
            person.slack_user_id = slack_id(person)
            ids[person.handle] = person.slack_user_id
            if (
                session.exec(select(ConversationRef).where(ConversationRef.person_id == person.id)).first()
                is None
            ):
                session.add(
                    ConversationRef(
                        person_id=person.id,
                        platform="slack",
                        address={"user_id": person.slack_user_id, "team_id": "T0BENCH"},
                    )
                )
    engine.dispose()
    return ids


@dataclass
class Cluster:
    """Replicas, the fake platform and the clock file of one system test."""

    database_url: str
    work: Path
    fake: loadgen.FakePlatform
    fake_url: str
    clock_file: Path
    replicas: list[loadgen.ServeProcess] = field(default_factory=list)
    lost_requests: int = 0
    retried_requests: int = 0
    engine: Engine | None = None

    def env(self) -> dict[str, str]:
        """Environment for each replica: fake platform, file clock, a one-second sweep."""
        return loadgen.platform_env(
            fake_url=self.fake_url,
            database_url=self.database_url,
            extra={
                "JOINUP_CLOCK_FILE": str(self.clock_file),
                "JOINUP_REMINDERS__SWEEP_INTERVAL_SECONDS": "1",
                "JOINUP_REMINDERS__LEASE_SECONDS": "60",
            },
        )

    async def start(self, count: int) -> None:
        """Start `count` replicas and wait until each is ready."""
        new = [loadgen.start_serve(self.env(), log_dir=self.work) for _ in range(count)]
        await asyncio.gather(*(loadgen.wait_ready(replica) for replica in new))
        self.replicas += new

    async def restart(self, replica: loadgen.ServeProcess) -> None:
        """Replace a dead replica with a new process on the same port."""
        fresh = loadgen.start_serve(self.env(), log_dir=self.work, port=replica.port)
        await loadgen.wait_ready(fresh)
        self.replicas[self.replicas.index(replica)] = fresh

    def stop(self) -> None:
        """Stop every replica."""
        for replica in self.replicas:
            replica.stop()
        if self.engine is not None:
            self.engine.dispose()

    def set_time(self, moment: datetime) -> None:
        """Move every replica's clock."""
        FileClock.write(self.clock_file, moment)

    def db(self) -> Engine:
        """An engine for the test's own checks."""
        if self.engine is None:
            self.engine = make_engine(self.database_url)
        return self.engine

    async def slash(self, client: httpx.AsyncClient, user_id: str, text: str) -> None:
        """Send `/joinup text` to a random live replica, retrying elsewhere as Slack does when one is down."""
        form = loadgen.slash_command(user_id, text, response_url=f"{self.fake_url}/slack/response/{user_id}")
        for attempt in range(6):
            body, headers = loadgen.signed_slack_request(form)
            if attempt:
                headers |= {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_error"}
                self.retried_requests += 1
            replica = random.choice(self.replicas)
            try:
                response = await client.post(f"{replica.url}/slack/events", content=body, headers=headers)
                if response.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
        self.lost_requests += 1

    def replies_to(self, user_id: str) -> list[str]:
        """Texts of the slash-command answers a user received."""
        return [
            str(post.get("text", ""))
            for post in self.fake.posted
            if post.get("method") == "response_url" and post.get("_user") == user_id
        ]

    async def until_answered(self, query: Callable[[Session], T]) -> T:
        """Run a read, waiting out a database restart (the chaos test restarts PostgreSQL)."""
        for _ in range(60):
            try:
                with Session(self.db()) as session:
                    return query(session)
            except OperationalError:
                await asyncio.sleep(0.5)
        with Session(self.db()) as session:
            return query(session)

    def outbox(self) -> Counter[str]:
        """Reminder rows by status."""
        with Session(self.db()) as session:
            rows = session.exec(select(Reminder.status, func.count()).group_by(col(Reminder.status))).all()
        return Counter({status: count for status, count in rows})

    async def due_pending(self, now: datetime) -> int:
        """Reminders due by `now` that nobody has finished yet (pending or claimed)."""
        return await self.until_answered(
            lambda session: session.exec(
                select(func.count())
                .select_from(Reminder)
                .where(col(Reminder.status).in_(["pending", "claimed"]), col(Reminder.due_at) <= now)
            ).one()
        )

    async def settle(self, now: datetime, *, within_seconds: float = 180) -> None:
        """Wait until every reminder due by `now` is sent or given up, and the platform has gone quiet.

        While work is stuck (a killed replica's claim), the shared clock creeps forward a minute at a time,
        as real time would, so its lease runs out and a live replica takes the reminder over.
        """
        deadline = time.monotonic() + within_seconds
        quiet_since, last_count, moment = time.monotonic(), -1, now
        while time.monotonic() < deadline:
            count = len(self.fake.posted)
            if count != last_count:
                quiet_since, last_count = time.monotonic(), count
            pending = await self.due_pending(now)
            if pending == 0 and time.monotonic() - quiet_since > 3:
                return
            if pending and time.monotonic() - quiet_since > 2:
                moment += timedelta(minutes=1)
                self.set_time(moment)
            await asyncio.sleep(0.5)
        raise AssertionError(f"reminders still due after {within_seconds}s: {await self.due_pending(now)}")

    def delivery_check(self) -> dict[str, Any]:
        """Match every sent reminder and digest with what Slack received. Returns the counts."""
        with Session(self.db()) as session:
            refs = [
                ref
                for ref in session.exec(select(Reminder.message_ref).where(Reminder.status == "sent")).all()
            ]
            digests_sent = session.exec(
                select(func.count()).select_from(DigestRun).where(DigestRun.status == "sent")
            ).one()
        posts = [post for post in self.fake.posted if post.get("method") == "chat.postMessage"]
        posted_ts = Counter(str(post.get("ts")) for post in posts)
        reminder_ts = Counter(str(ref.get("ts")) for ref in refs)
        return {
            "reminders_sent": len(refs),
            "digests_sent": digests_sent,
            "posts": len(posts),
            "reminders_not_posted": sum(1 for ts in reminder_ts if ts not in posted_ts),
            "rows_sharing_a_post": sum(n - 1 for n in reminder_ts.values() if n > 1),
            # Posts no row records: a duplicate send (a process died between sending and recording).
            "unrecorded_posts": len(posts) - len(refs) - digests_sent,
            "unrecorded_samples": [
                str(post.get("text", ""))[:200]
                for post in posts
                if str(post.get("ts")) not in reminder_ts and "digest" not in str(post.get("text", ""))
            ][:8],
        }


def restart_postgres() -> None:
    """Restart the local PostgreSQL cluster, as an operator or a failover would."""
    version = sorted(Path("/etc/postgresql").iterdir())[-1].name
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        capture_output=True,
    )
