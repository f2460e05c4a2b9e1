"""joinup bench sweep-real: the outbox sweep through the real path, against fake platforms over HTTP.

Each reminder is an acknowledgement chase on its own open referral, rendered by the real chase renderer (which reads
the item, the team and how to chase them), routed by the RoutingNotifier and sent by the real Slack notifier
(chat.postMessage, paced, DM channel stored with the address) or Teams notifier (Bot Framework send through the
SDK, paced per conversation and tenant) to a fake Web API / connector: a uvicorn process of its own, with
kept-alive connections. People are spread over 50 fake Slack workspaces and 50 fake Teams tenants, so the
published per-workspace and per-tenant limits are not what binds; the pacer still runs, with each worker taking
its share (limit ÷ workers). A second run sends only to one Teams tenant, to compare its paced rate with the
tenant limit. The database-only figure (`joinup bench sweep`) is measured in the same run as a labelled baseline.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import multiprocessing
import os
import pstats
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import httpx
from pydantic import SecretStr
from sqlalchemy import insert, select
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from bench.cli import bench, write_result
from bench.sweep import DEFAULT_POSTGRES, measure, postgres_database
from bot.config import Settings, SlackSettings, TeamsSettings
from bot.notify import build_routing_notifier
from bot.pacing import PacingSettings
from bot.runtime import build_router
from bot.slack.client import PacedWebClient
from bot.slack.notifier import SlackNotifier
from directory.demo import load_demo
from handlers.tracking.chasing import make_deliver
from schedules.outbox.sweep import SweepReport, sweep
from schedules.settings import ReminderSettings
from schedules.time.clock import SystemClock
from schedules.tracking.chasing import ACK_CHASE
from storage.db import make_engine, make_sessions
from storage.models import ConversationRef, Person, Reminder, Team, TrackedItem

WORKSPACES = TENANTS = 50
PEOPLE_PER_SCOPE = 200
APP_ID = "00000000-0000-4000-8000-00000000b0b0"
FAKE = Path(__file__).with_name("fake_platforms.py")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(url: str, count: int, *, fake_url: str, one_tenant: bool = False) -> None:
    """Demo directory, people on Slack and Teams, and `count` open referrals each with a due chase."""
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    clock = SystemClock()
    now = clock.now()
    sessions = make_sessions(engine)
    with sessions.begin() as session:
        load_demo(session, clock)
    with sessions.begin() as session:
        team_ids: list[int] = list(session.execute(select(Team.__table__.c.id)).scalars())  # type: ignore[attr-defined]
        scopes = (
            [("teams", 0)] if one_tenant else [(p, n) for n in range(WORKSPACES) for p in ("slack", "teams")]
        )
        people = []
        for platform, scope in scopes:
            for k in range(PEOPLE_PER_SCOPE):
                handle = f"bench.{platform}.{scope}.{k}"
                people.append(
                    (
                        Person(handle=handle, display_name=handle, quiet_hours_ok=True, created_at=now),
                        platform,
                        scope,
                    )
                )
        session.add_all([person for person, _, _ in people])
        session.flush()
        refs = []
        for person, platform, scope in people:
            if platform == "slack":
                address = {
                    "user_id": f"U{person.id:08d}",
                    "team_id": f"T{scope:04d}",
                    "dm_channel": f"D{person.id:08d}",
                }
            else:
                address = {
                    "service_url": f"{fake_url}/teams/",
                    "conversation_id": f"a:bench-{person.id}",
                    "user_id": f"29:bench-{person.id}",
                    "bot_id": f"28:{APP_ID}",
                    "tenant_id": f"tenant-{scope:04d}",
                }
            refs.append({"person_id": person.id, "platform": platform, "address": address, "updated_at": now})
        session.execute(insert(ConversationRef), refs)
        ids = [person.id for person, _, _ in people]
    for start in range(0, count, 5000):
        with sessions.begin() as session:
            rows = range(start, min(start + 5000, count))
            items = [
                {
                    "ref": f"TI-{n:07d}",
                    "case_ref": f"NB-{n:07d}",
                    "from_person_id": ids[n % len(ids)],
                    "to_team_id": team_ids[n % len(team_ids)],
                    "sent_at": now - timedelta(days=3),
                    "ack_due_at": now - timedelta(hours=1),
                    "feedback_due_at": now + timedelta(days=10),
                    "created_at": now - timedelta(days=3),
                }
                for n in rows
            ]
            table = TrackedItem.__table__  # type: ignore[attr-defined]
            item_ids: list[int] = list(
                session.execute(
                    insert(table).returning(table.c.id, sort_by_parameter_order=True), items
                ).scalars()
            )
            session.execute(
                insert(Reminder),
                [
                    {
                        "dedupe_key": f"bench-real:{item_id}",
                        "recipient_person_id": ids[n % len(ids)],
                        "kind": ACK_CHASE,
                        "subject_kind": "item",
                        "subject_id": item_id,
                        "payload": {"chase": 1},
                        "due_at": now - timedelta(seconds=n % 600),
                        "status": "pending",
                        "attempts": 0,
                        "last_error": "",
                        "message_ref": {},
                        "created_at": now,
                    }
                    for n, item_id in zip(rows, item_ids, strict=True)
                ],
            )
    engine.dispose()


def _worker(url: str, fake_url: str, workers: int, profile_path: str, start: Any, results: Any) -> None:
    """One sweeper process: the real router and notifiers, paced, sweeping until nothing is due."""
    settings = Settings(
        database_url=url,
        slack=SlackSettings(
            enabled=True, bot_token=SecretStr("xoxb-bench"), signing_secret=SecretStr("bench"),
            api_url=f"{fake_url}/api/", keep_alive=True,
        ),
        teams=TeamsSettings(enabled=True, app_id=APP_ID, allow_unauthenticated=True),
        pacing=PacingSettings(replicas=workers),
    )  # fmt: skip
    engine = make_engine(url)
    sessions = make_sessions(engine)
    notifier = build_routing_notifier(settings, sessions)
    deliver = make_deliver(router=build_router(), sessions=sessions, notifier=notifier)
    reminders = ReminderSettings(batch_size=200, lease_seconds=600)
    profiler = cProfile.Profile() if profile_path else None
    start.wait()
    began = time.perf_counter()
    if profiler is not None:
        profiler.enable()

    async def sweep_then_close() -> SweepReport:
        try:
            return await sweep(sessions=sessions, clock=SystemClock(), deliver=deliver, settings=reminders)
        finally:
            slack = notifier.platforms.get("slack")
            if isinstance(slack, SlackNotifier) and isinstance(slack.client, PacedWebClient):
                await slack.client.aclose()

    report = asyncio.run(sweep_then_close())
    if profiler is not None:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        Path(profile_path).write_text(out.getvalue(), encoding="utf-8")
    from bot import pacing

    pacer = pacing.process_pacer()
    results.put(
        {
            "sent": report.sent, "cancelled": report.cancelled, "retried": report.retried, "failed": report.failed,
            "seconds": time.perf_counter() - began,
            "paced_calls": pacer.paced_calls if pacer else 0,
            "waited_seconds": round(pacer.waited_seconds, 1) if pacer else 0.0,
        }
    )  # fmt: skip
    engine.dispose()


def run(url: str, *, count: int, workers: int, one_tenant: bool, profile_path: str = "") -> dict[str, Any]:
    """Start the fake platforms, seed, run the workers together; return what they sent and how fast."""
    port = _free_port()
    fake_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    fake = subprocess.Popen(
        [sys.executable, str(FAKE), str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for(fake_url)
        seed(url, count, fake_url=fake_url, one_tenant=one_tenant)
        context = multiprocessing.get_context("spawn")
        start, results = context.Event(), context.Queue()
        processes = [
            context.Process(
                target=_worker, args=(url, fake_url, workers, profile_path if n == 0 else "", start, results)
            )
            for n in range(workers)
        ]
        for process in processes:
            process.start()
        time.sleep(3.0)  # imports and connections before the clock starts
        load_before = os.getloadavg()[0]
        began = time.perf_counter()
        start.set()
        outcomes = [results.get(timeout=3600) for _ in processes]
        seconds = time.perf_counter() - began
        for process in processes:
            process.join()
        counts = httpx.get(f"{fake_url}/counts").json()
    finally:
        fake.terminate()
        fake.wait(timeout=10)
    sent = sum(o["sent"] for o in outcomes)
    return {
        "count": count, "workers": workers, "one_tenant": one_tenant, "seconds": round(seconds, 2),
        "sent": sent, "per_second": round(sent / seconds, 1) if seconds else 0.0,
        "cancelled": sum(o["cancelled"] for o in outcomes), "retried": sum(o["retried"] for o in outcomes),
        "failed": sum(o["failed"] for o in outcomes), "platform_calls": counts,
        "paced_calls": sum(o["paced_calls"] for o in outcomes),
        "pacer_wait_seconds": round(sum(o["waited_seconds"] for o in outcomes), 1),
        "load_average_at_start": round(load_before, 2), "load_average_at_end": round(os.getloadavg()[0], 2),
    }  # fmt: skip


def _wait_for(url: str) -> None:
    for _ in range(200):
        try:
            httpx.get(f"{url}/counts", timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise click.ClickException("the fake platform server did not start")


@bench.command(
    name="sweep-real",
    help="Outbox sweep through the real renderers and notifiers to fake Slack/Teams over HTTP, paced; "
    "writes sweep-real.json.",
)
@click.option("--count", default=100_000, show_default=True, help="Due reminders (one open referral each).")
@click.option("--workers", default=4, show_default=True, help="Sweeper processes.")
@click.option(
    "--tenant-count", default=3_000, show_default=True, help="Reminders for the one-tenant run (0 skips it)."
)
@click.option(
    "--postgres", "postgres_url", default=DEFAULT_POSTGRES, show_default=True, help="PostgreSQL server."
)
@click.option("--profile", is_flag=True, help="cProfile the first worker; writes sweep-real-profile.txt.")
def sweep_real_bench(count: int, workers: int, tenant_count: int, postgres_url: str, profile: bool) -> None:
    """Run the real-path sweep benchmark (and the database-only baseline) on PostgreSQL."""
    results_dir = Path(__file__).with_name("results")
    profile_path = str(results_dir / "sweep-real-profile.txt") if profile else ""
    runs: dict[str, Any] = {"uptime before": _uptime()}
    with postgres_database(postgres_url) as url:
        runs["real path"] = run(
            url, count=count, workers=workers, one_tenant=False, profile_path=profile_path
        )
    click.echo(f"real path: {json.dumps(runs['real path'])}")
    with postgres_database(postgres_url) as url:
        baseline = measure(url, "postgresql", workers=workers, count=count, batch_size=200, concurrency=8)
    runs["database only (deliver records the id; no rendering, no platform)"] = {
        "seconds": baseline.seconds, "per_second": round(baseline.per_second, 1), "delivered": baseline.delivered,
    }  # fmt: skip
    click.echo(f"database only: {baseline.seconds:.1f} s ({baseline.per_second:,.0f}/s)")
    if tenant_count:
        with postgres_database(postgres_url) as url:
            tenant = run(url, count=tenant_count, workers=1, one_tenant=True)
        tenant["tenant limit per second"] = 30
        tenant["floor seconds"] = round(tenant_count / 30, 1)
        tenant["vs floor"] = round(tenant["seconds"] / (tenant_count / 30), 3)
        runs["one Teams tenant, 1 worker"] = tenant
        click.echo(f"one tenant: {json.dumps(tenant)}")
    runs["uptime after"] = _uptime()
    real = runs["real path"]
    summary = {
        f"real path, {workers} workers /s": real["per_second"],
        "real path seconds": real["seconds"],
        "database only /s": runs["database only (deliver records the id; no rendering, no platform)"][
            "per_second"
        ],
        "reminders": count,
        "target 100,000 in < 60 s and >= 1,000/s": "met"
        if count >= 100_000 and real["seconds"] < 60 and real["per_second"] >= 1000
        else "missed",
    }
    path = write_result("sweep-real", summary=summary, plots=[], details=runs)
    click.echo(f"wrote {path}")


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
