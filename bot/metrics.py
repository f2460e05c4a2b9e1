"""Prometheus metrics for operators: GET /metrics, on a separate port (`serve --metrics-port`) or behind a bearer
token (JOINUP_METRICS__TOKEN), never public. Labels are platforms, statuses, job names and route templates only:
no handles, user ids or case references ever become a label value.

What is counted where:
- backlog (inbox depth and oldest age, outbox due-but-unsent and lag) is read from the database at each scrape,
  so every replica reports the same, shared figure;
- sends by platform and status are counted by the RoutingNotifier as each send returns;
- request latency by route template is timed by `RequestTimer` around every request;
- job runs, failures and last durations come from this process's JobStats;
- requests refused before reaching a route come from the request guard's counts.

With uvicorn `--workers N`, set PROMETHEUS_MULTIPROC_DIR to an empty directory shared by the workers:
prometheus-client then keeps each worker's counters in files there and every scrape adds them up
(docs/operations.md).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from wsgiref.simple_server import WSGIServer

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import BaseModel, SecretStr
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.runtime import Runtime
from bot.web_guard import RefusalCounts
from storage.models import InboxItem, Reminder

# Counted as things happen. Module-level, as prometheus-client expects, so that in multiprocess mode every
# worker writes the same series to its files.
SENDS = Counter(
    "joinup_sends", "Proactive messages sent, by platform and outcome.", ["platform", "status"], registry=None
)
REQUEST_SECONDS = Histogram(
    "joinup_request_duration_seconds",
    "HTTP request latency by route template.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=None,
)


def count_send(platform: str, status: str) -> None:
    """Count one proactive send (status: sent, retry, failed)."""
    SENDS.labels(platform=platform, status=status).inc()


class RequestTimer:
    """ASGI middleware: time every HTTP request and record it under its route template (never the raw path,
    which can hold ids and tokens)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = str(getattr(route, "path", "")) or "unmatched"
            REQUEST_SECONDS.labels(
                route=template, method=scope.get("method", ""), status=str(status)
            ).observe(time.perf_counter() - started)


class Backlog(BaseModel):
    """What is waiting, read from the database."""

    inbox_depth: int
    inbox_oldest_seconds: float
    outbox_due: int
    outbox_lag_seconds: float


def read_backlog(sessions: sessionmaker[Session], now: datetime) -> Backlog:
    """Count waiting inbox rows and due, unsent reminders, and how long the oldest of each has waited."""
    with sessions() as session:
        inbox_depth, inbox_oldest = session.exec(
            select(func.count(), func.min(InboxItem.received_at)).where(
                col(InboxItem.status).in_(("pending", "claimed"))
            )
        ).one()
        outbox_due, outbox_oldest = session.exec(
            select(func.count(), func.min(Reminder.due_at)).where(
                col(Reminder.status).in_(("pending", "claimed")), col(Reminder.due_at) <= now
            )
        ).one()
    return Backlog(
        inbox_depth=int(inbox_depth),
        inbox_oldest_seconds=_age(inbox_oldest, now),
        outbox_due=int(outbox_due),
        outbox_lag_seconds=_age(outbox_oldest, now),
    )


def _age(oldest: datetime | None, now: datetime) -> float:
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # SQLite hands aggregates back naive; they are stored as UTC
        oldest = oldest.replace(tzinfo=UTC)
    return max(0.0, (now - oldest).total_seconds())


class JoinupCollector(Collector):
    """Metrics read at scrape time: the backlog (shared, from the database), job stats and refusals (this
    process)."""

    def __init__(self, *, runtime: Runtime, refusals: RefusalCounts) -> None:
        self.runtime, self.jobs, self.refusals = runtime, runtime.job_stats, refusals

    def collect(self) -> Iterator[Metric]:
        """Yield each metric family (the backlog is read from the database here: call off the event loop)."""
        try:
            backlog: Backlog | None = read_backlog(self.runtime.sessions, self.runtime.clock.now())
        except Exception:
            backlog = None  # the database is down: /readyz says so; the other metrics still answer
        if backlog is not None:
            b = backlog
            yield GaugeMetricFamily(
                "joinup_inbox_depth", "Platform requests waiting to be handled.", b.inbox_depth
            )
            yield GaugeMetricFamily(
                "joinup_inbox_oldest_age_seconds",
                "How long the oldest waiting platform request has waited.",
                b.inbox_oldest_seconds,
            )
            yield GaugeMetricFamily(
                "joinup_outbox_due_unsent", "Reminders due now and not yet sent.", b.outbox_due
            )
            yield GaugeMetricFamily(
                "joinup_outbox_lag_seconds",
                "How long the oldest due, unsent reminder is overdue.",
                b.outbox_lag_seconds,
            )
        runs = CounterMetricFamily("joinup_job_runs", "Scheduled job runs in this process.", labels=["job"])
        failures = CounterMetricFamily(
            "joinup_job_failures", "Scheduled job runs that failed in this process.", labels=["job"]
        )
        seconds = GaugeMetricFamily(
            "joinup_job_last_duration_seconds", "How long each job's last run took.", labels=["job"]
        )
        for job, count in sorted(self.jobs.runs.items()):
            runs.add_metric([job], count)
            failures.add_metric([job], self.jobs.failures.get(job, 0))
        for job, last in sorted(self.jobs.last_seconds.items()):
            seconds.add_metric([job], last)
        yield runs
        yield failures
        yield seconds
        refused = CounterMetricFamily(
            "joinup_requests_refused",
            "Requests refused before reaching a route, by reason.",
            labels=["reason"],
        )
        for reason, count in sorted(self.refusals.counts.items()):
            refused.add_metric([reason], count)
        yield refused


def metrics_registry(runtime: Runtime, refusals: RefusalCounts) -> CollectorRegistry:
    """Every metric: the counters (added up over all workers' files in multiprocess mode) and the collector."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # set by the operator for uvicorn --workers (see above)
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(SENDS)
        registry.register(REQUEST_SECONDS)
    registry.register(JoinupCollector(runtime=runtime, refusals=refusals))
    return registry


def metrics_routes(runtime: Runtime, refusals: RefusalCounts, *, token: SecretStr | None) -> APIRouter:
    """GET /metrics: open when `token` is None (the separate metrics port), else only with that bearer token."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if token is not None:
            given = request.headers.get("authorization", "")
            if not secrets.compare_digest(given.encode(), f"Bearer {token.get_secret_value()}".encode()):
                return JSONResponse({"error": "not found"}, status_code=404)
        body = await asyncio.to_thread(generate_latest, metrics_registry(runtime, refusals))
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router


async def read_backlog_async(runtime: Runtime) -> Backlog:
    """read_backlog off the event loop."""
    return await asyncio.to_thread(read_backlog, runtime.sessions, runtime.clock.now())


def start_metrics_server(
    runtime: Runtime, refusals: RefusalCounts, *, host: str, port: int
) -> tuple[WSGIServer, threading.Thread]:
    """Serve /metrics without a token on its own port, in a thread (`serve --metrics-port`): bind it where only
    Prometheus can reach it. The database reads at each scrape happen in that thread, off the event loop."""
    return start_http_server(port, addr=host, registry=metrics_registry(runtime, refusals))
