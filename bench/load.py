"""joinup bench load: loopback load on /slack/events (signed) and /api/messages at rising concurrency.

A real `joinup serve` process (uvicorn, one worker) answers; this process drives it closed-loop with
httpx and runs the fake Slack/Teams platform the server replies to. Both share this 2-core machine,
so the figures are a floor. Reported: the highest throughput whose p99 stays under 1 s, and the
server's RSS at that point.
"""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import httpx
from sqlmodel import Session, select

from bench import loadgen
from bench.cli import bench, percentile, write_result
from bot.runtime import SEEDERS
from schedules.time.clock import SystemClock
from storage import migrate
from storage.db import make_engine, make_sessions
from storage.models import Person, Team

MESSAGES = (
    "find health visitor",
    "find camhs open now",
    "help",
    "find adult mental health in north",
    "mine",
    "due core group from 1 December 2026",
)
P99_TARGET_MS = 1000.0


@dataclass
class Level:
    """What one concurrency level measured."""

    target: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    rss_kib: int

    @property
    def throughput(self) -> float:
        """Successful requests per second."""
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    def row(self) -> dict[str, Any]:
        """The figures for the results file."""
        return {
            "target": self.target,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "errors": self.errors,
            "throughput_per_s": round(self.throughput, 1),
            "p50_ms": round(percentile(self.latencies_ms, 0.5), 1),
            "p99_ms": round(percentile(self.latencies_ms, 0.99), 1),
            "rss_mib": round(self.rss_kib / 1024, 1),
        }


def prepare_database(url: str, users: int) -> None:
    """Migrate, seed the demo borough and `users` onboarded bench people with Slack and Teams ids."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = make_sessions(engine)
    clock = SystemClock()
    for seeder in SEEDERS:
        with sessions.begin() as session:
            seeder(session, clock)
    with sessions.begin() as session:
        team = _some_team(session)
        for index in range(users):
            handle = f"bench.u{index}"
            if session.exec(select(Person).where(Person.handle == handle)).first() is None:
                session.add(
                    Person(
                        handle=handle,
                        display_name=f"Bench user {index}",
                        email=f"bench.u{index}@example.org",
                        team_id=team,
                        slack_user_id=f"UB{index:06d}",
                        teams_user_id=f"29:bench-{index}",
                        is_onboarded=True,
                    )
                )
    engine.dispose()


def _some_team(session: Session) -> int | None:
    team = session.exec(select(Team).where(Team.key == "health-visiting")).first()
    team = team or session.exec(select(Team)).first()
    return team.id if team else None


def _request(
    target: str, user: int, fake_url: str, replica: loadgen.ServeProcess
) -> tuple[str, bytes, dict[str, str]]:
    text = random.choice(MESSAGES)
    if target == "slack":
        form = loadgen.slash_command(f"UB{user:06d}", text, response_url=f"{fake_url}/slack/response/{user}")
        body, headers = loadgen.signed_slack_request(form)
        return f"{replica.url}/slack/events", body, headers
    activity = loadgen.teams_message(user, text, service_url=f"{fake_url}/teams/")
    return f"{replica.url}/api/messages", json.dumps(activity).encode(), {"Content-Type": "application/json"}


async def run_level(
    *, target: str, concurrency: int, seconds: float, users: int, fake_url: str, replica: loadgen.ServeProcess
) -> Level:
    """Drive `concurrency` closed-loop clients for `seconds` and collect latencies and peak RSS."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    peak_rss = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < deadline:
                url, body, headers = _request(target, random.randrange(users), fake_url, replica)
                started = time.perf_counter()
                try:
                    response = await client.post(url, content=body, headers=headers)
                    failed = response.status_code >= 400
                except httpx.HTTPError:
                    failed = True
                latencies.append((time.perf_counter() - started) * 1000)
                errors += failed

        async def sample_rss() -> None:
            nonlocal peak_rss
            while time.monotonic() < deadline:
                peak_rss = max(peak_rss, replica.rss_kib())
                await asyncio.sleep(0.2)

        started = time.monotonic()
        await asyncio.gather(sample_rss(), *(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    return Level(target, concurrency, len(latencies), errors, elapsed, latencies, peak_rss)


async def run_load(*, levels: list[int], seconds: float, users: int, database_url: str | None) -> list[Level]:
    """Start the fake platform and one serve process, then run every target at every level."""
    with tempfile.TemporaryDirectory(prefix="joinup-load-") as scratch:
        work = Path(scratch)
        url = database_url or f"sqlite:///{work / 'load.db'}"
        prepare_database(url, users)
        fake = loadgen.FakePlatform()
        fake_port = loadgen.free_port()
        fake_url = f"http://127.0.0.1:{fake_port}"
        results: list[Level] = []
        async with loadgen.running(fake.app(), fake_port):
            env = loadgen.platform_env(fake_url=fake_url, database_url=url)
            replica = loadgen.start_serve(env, log_dir=work, scheduler=False)
            try:
                await loadgen.wait_ready(replica)
                for target in ("slack", "teams"):
                    for concurrency in levels:
                        level = await run_level(
                            target=target,
                            concurrency=concurrency,
                            seconds=seconds,
                            users=users,
                            fake_url=fake_url,
                            replica=replica,
                        )
                        click.echo("  " + ", ".join(f"{k}={v}" for k, v in level.row().items()))
                        results.append(level)
            finally:
                replica.stop()
        return results


def summarise(levels: list[Level]) -> dict[str, Any]:
    """Per target: the best throughput with p99 under the target, and RSS there."""
    summary: dict[str, Any] = {}
    for target in sorted({level.target for level in levels}):
        runs = [level for level in levels if level.target == target]
        good = [
            level
            for level in runs
            if percentile(level.latencies_ms, 0.99) < P99_TARGET_MS and not level.errors
        ]
        best = max(good, key=lambda level: level.throughput, default=None)
        summary[f"{target}: requests/s with p99 < 1 s"] = round(best.throughput, 1) if best else 0.0
        summary[f"{target}: concurrency there"] = best.concurrency if best else 0
        summary[f"{target}: p99 ms there"] = round(percentile(best.latencies_ms, 0.99), 1) if best else 0.0
        summary[f"{target}: RSS MiB there"] = round(best.rss_kib / 1024, 1) if best else 0.0
        summary[f"{target}: errors (all levels)"] = sum(level.errors for level in runs)
    return summary


def plots(levels: list[Level]) -> list[dict[str, Any]]:
    """p99 and throughput against concurrency, per target."""
    targets = sorted({level.target for level in levels})

    def series(measure: str) -> list[dict[str, Any]]:
        return [
            {
                "label": target,
                "x": [level.concurrency for level in levels if level.target == target],
                "y": [level.row()[measure] for level in levels if level.target == target],
            }
            for target in targets
        ]

    return [
        {
            "title": "p99 latency",
            "kind": "line",
            "xlabel": "concurrent clients",
            "ylabel": "ms",
            "series": series("p99_ms"),
        },
        {
            "title": "throughput",
            "kind": "line",
            "xlabel": "concurrent clients",
            "ylabel": "requests/s",
            "series": series("throughput_per_s"),
        },
    ]


@bench.command(
    help="Load /slack/events and /api/messages on loopback at rising concurrency; writes load.json."
)
@click.option("--smoke", is_flag=True, help="Small CI size: levels 1 and 4, 2 s each.")
@click.option(
    "--levels", default="1,2,4,8,16,32,64", show_default=True, help="Concurrency levels, comma-separated."
)
@click.option("--seconds", default=10.0, show_default=True, help="Seconds per level.")
@click.option("--users", default=2000, show_default=True, help="Distinct users sending messages.")
@click.option("--db", "database_url", help="Database URL (default: a fresh SQLite file).")
def load(smoke: bool, levels: str, seconds: float, users: int, database_url: str | None) -> None:
    """Run the load test and write bench/results/load.json."""
    chosen = [1, 4] if smoke else [int(part) for part in levels.split(",") if part.strip()]
    measured = asyncio.run(
        run_load(
            levels=chosen,
            seconds=2.0 if smoke else seconds,
            users=50 if smoke else users,
            database_url=database_url,
        )
    )
    summary = summarise(measured) | {"size": "smoke" if smoke else "full"}
    path = write_result(
        "load", summary=summary, plots=plots(measured), details={"levels": [m.row() for m in measured]}
    )
    click.echo(f"wrote {path}")
