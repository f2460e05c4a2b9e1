"""joinup bench digest: build and send every manager's digest over a large tracked-item table on PostgreSQL.

A scratch database gets `managers` teams, each with one manager (by RoleGrant) and one practitioner, and
`items` tracked items between those teams (one in twenty open, the rest closed over the past 400 days), plus
open escalations. Then one `send_due_digests` run, as the scheduler would start it at 8:30am on a working day,
claims, builds, sends (to a notifier that only counts) and records every digest. Reported: the total time,
and the build time of each chunk of 100 digests (median, 99th percentile). Target: 1,000 managers over 1,000,000 items in < 30 s.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import click
from sqlalchemy import text
from sqlmodel import SQLModel, col, func, select

import storage.models  # noqa: F401  (registers the tables)
from bench.cli import bench, percentile, write_result
from bench.sweep import DEFAULT_POSTGRES, postgres_database
from handlers.digest import commands as digest
from handlers.messages import Reply
from schedules.digest import content as digest_content
from schedules.time.clock import FakeClock
from storage.db import make_engine, make_sessions
from storage.models import DigestRun

TARGET_MANAGERS, TARGET_ITEMS, TARGET_SECONDS = 1000, 1_000_000, 30.0
# Friday 27 November 2026, 8:30am London: a daily digest is due.
DUE = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)

_SEED = """
INSERT INTO agency (key, uuid, name, kind, description)
  SELECT 'agency-' || a, gen_random_uuid()::text, 'Agency ' || a, 'health', '' FROM generate_series(1, 10) a;
INSERT INTO team (key, uuid, agency_id, name, purpose, handles, not_for, areas, hours, is_open_bank_holidays,
                  closure_days, nation, owner_handle, last_verified_at, review_interval_days, is_public,
                  is_immediate_danger)
  SELECT 'team-' || t, gen_random_uuid()::text, 1 + t % 10, 'Team ' || t, '', '', '', '[]', '{}', false, '[]',
         'ENG', 'mgr-' || t, CAST(:now AS timestamptz) - (t % 200) * interval '1 day', 90, true, false
  FROM generate_series(1, CAST(:teams AS integer)) t;
INSERT INTO person (handle, display_name, job_title, role, team_id, nation, is_onboarded, digest_schedule,
                    quiet_hours_ok)
  SELECT 'mgr-' || t, 'Manager ' || t, '', 'practitioner', t, 'ENG', true, 'daily', false
  FROM generate_series(1, CAST(:teams AS integer)) t;
INSERT INTO person (handle, display_name, job_title, role, team_id, manager_id, nation, is_onboarded,
                    digest_schedule, quiet_hours_ok)
  SELECT 'hv-' || t, 'Practitioner ' || t, '', 'practitioner', t, t, 'ENG', true, 'daily', false
  FROM generate_series(1, CAST(:teams AS integer)) t;
INSERT INTO rolegrant (person_id, role, team_id) SELECT t, 'manager', t FROM generate_series(1, CAST(:teams AS integer)) t;
INSERT INTO policyversion (key, version, name, body, sha256, is_default, loaded_at, loaded_by)
  VALUES ('bench', 1, 'Bench ladder', '{}', repeat('0', 64), true, CAST(:now AS timestamptz), 'bench');
"""

_ITEMS = """
INSERT INTO trackeditem (ref, kind, case_ref, from_person_id, from_team_id, to_team_id, method, about, nation,
                         sent_at, ack_due_at, feedback_due_at, acknowledged_at, feedback_at, outcome,
                         outcome_reason, status, pause_reason, chase_count, created_at, closed_at)
SELECT 'TI-' || n, 'referral', 'NB-' || n, CAST(:teams AS integer) + f, f, t, 'phone', '', 'ENG',
       sent, sent + interval '1 day', sent + interval '4 days',
       CASE WHEN is_open AND n % 40 = 0 THEN NULL ELSE sent + interval '2 hours' END,
       CASE WHEN is_open THEN NULL ELSE sent + interval '3 days' END,
       CASE WHEN is_open THEN NULL WHEN n % 5 = 0 THEN 'no_further_action' ELSE 'early_help' END,
       '', CASE WHEN is_open THEN 'open' ELSE 'closed' END, '', 0, sent,
       CASE WHEN is_open THEN NULL ELSE sent + interval '3 days' END
FROM (
  SELECT n, 1 + n % CAST(:teams AS integer) AS f, 1 + (n * 7 + n / CAST(:teams AS integer)) % CAST(:teams AS integer) AS t, n % 20 = 0 AS is_open,
         CASE WHEN n % 20 = 0 THEN CAST(:now AS timestamptz) - (n / 20 % 30) * interval '1 day'
              ELSE CAST(:now AS timestamptz) - (n % 400) * interval '1 day' END AS sent
  FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) n
) s;
"""

_ESCALATIONS = """
INSERT INTO escalation (ref, case_ref, raised_by_person_id, other_team_id, about, policy_version_id, level,
                        level_started_at, level_due_at, status, outcome, rationale, opened_at)
SELECT 'ES-' || n, 'NB-' || n, CAST(:teams AS integer) + 1 + n % CAST(:teams AS integer), 1 + (n * 3) % CAST(:teams AS integer), '', 1, 1 + n % 3,
       CAST(:now AS timestamptz) - (n % 15) * interval '1 day', CAST(:now AS timestamptz) - (n % 15 - 5) * interval '1 day', 'open', '', '',
       CAST(:now AS timestamptz) - (n % 15) * interval '1 day'
FROM generate_series(1, CAST(:escalations AS integer)) n;
"""


class CountingNotifier:
    """Takes every digest and keeps only the count (the platforms are not what is measured)."""

    def __init__(self) -> None:
        self.sent = 0

    async def notify(self, *, person_id: int, reply: Reply) -> dict[str, Any]:
        """Count the message."""
        self.sent += 1
        return {}

    async def update(self, *, person_id: int, message_ref: dict[str, Any], reply: Reply) -> None:
        """Nothing to update."""


def seed(url: str, *, managers: int, items: int) -> float:
    """Create the tables and the bench data; return the seconds it took."""
    began = time.perf_counter()
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    params = {"now": DUE, "teams": managers}
    with engine.begin() as connection:
        for statement in filter(str.strip, _SEED.split(";")):
            connection.execute(text(statement), params)
        for first in range(1, items + 1, 200_000):
            last = min(first + 199_999, items)
            connection.execute(text(_ITEMS), {**params, "first": first, "last": last})
        connection.execute(text(_ESCALATIONS), {**params, "escalations": max(managers * 10, 10)})
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - began


def measure(url: str, *, managers: int) -> dict[str, Any]:
    """Run one digest job over the seeded database and time it, and each digest's build."""
    engine = make_engine(url)
    sessions = make_sessions(engine)
    clock = FakeClock(DUE)
    notifier = CountingNotifier()
    build_ms: list[float] = []
    original = digest_content.build_many

    def timed_build(**kwargs: Any) -> Any:
        started = time.perf_counter()
        result = original(**kwargs)
        build_ms.append((time.perf_counter() - started) * 1000)
        return result

    digest_content.build_many = timed_build  # our own function: time each chunk's build
    try:
        began = time.perf_counter()
        report = asyncio.run(digest.send_due_digests(sessions=sessions, clock=clock, notifier=notifier))
        seconds = time.perf_counter() - began
    finally:
        digest_content.build_many = original
    with sessions() as session:
        sent_rows = session.exec(
            select(func.count()).select_from(DigestRun).where(col(DigestRun.status) == "sent")
        ).one()
    engine.dispose()
    return {
        "seconds": round(seconds, 2),
        "sent": report.sent,
        "sent_rows": int(sent_rows),
        "delivered": notifier.sent,
        "build_ms": build_ms,
        "expected": managers,
    }


@bench.command(name="digest", help="Time every manager's digest over a large item table; writes digest.json.")
@click.option("--smoke", is_flag=True, help="Small CI size: 50 managers, 20,000 items.")
@click.option("--managers", default=TARGET_MANAGERS, show_default=True, help="Managers (one team each).")
@click.option("--items", default=TARGET_ITEMS, show_default=True, help="Tracked items.")
@click.option(
    "--postgres",
    "postgres_url",
    default=DEFAULT_POSTGRES,
    show_default=True,
    help="A PostgreSQL server where a scratch database may be created.",
)
def digest_bench(smoke: bool, managers: int, items: int, postgres_url: str) -> None:
    """Run the digest benchmark and write bench/results/digest.json."""
    if smoke:
        managers, items = 50, 20_000
    with postgres_database(postgres_url) as url:
        seed_seconds = seed(url, managers=managers, items=items)
        result = measure(url, managers=managers)
    build_ms = result.pop("build_ms")
    ok = result["sent"] == result["delivered"] == result["sent_rows"] == managers
    summary = {
        "managers": managers,
        "items": items,
        "seconds": result["seconds"],
        "target seconds": TARGET_SECONDS,
        "meets target": ok and result["seconds"] < TARGET_SECONDS,
        "chunk build p50 ms": round(percentile(build_ms, 0.5), 1),
        "chunk build p99 ms": round(percentile(build_ms, 0.99), 1),
        "all sent once": ok,
    }
    path = write_result(
        "digest",
        summary=summary,
        plots=[
            {
                "title": "Digest build time per chunk of 100 managers",
                "kind": "hist",
                "xlabel": "milliseconds",
                "ylabel": "chunks",
                "series": [{"label": "build", "y": [round(ms, 2) for ms in build_ms]}],
            }
        ],
        details={"seed_seconds": round(seed_seconds, 1), **result},
    )
    click.echo(
        f"{managers} digests over {items:,} items in {result['seconds']} s "
        f"(target {TARGET_SECONDS:g} s; chunk build p99 {summary['chunk build p99 ms']} ms); wrote {path}"
    )
