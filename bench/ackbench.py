"""The machinery `joinup bench slack` and `joinup bench teams` share: joinup against a bare SDK app, work included.

Every server is a real process on its own port: the fake platform (which records when each reply arrives),
a bare app (slack-bolt with `process_before_response`, or the Teams SDK's own App and HTTP server) whose
listener only acknowledges, and `joinup serve` (its web process acknowledging, its worker process doing the
work and posting every reply to the fake platform over HTTP). The load generator in this process sends the
same signed requests to each, round by round, at a fixed concurrency, and times each acknowledgement; for
joinup it also waits for every reply and reports request-to-reply latency and the inbox backlog at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench import loadgen
from bench.cli import percentile
from schedules.inbox import rows
from storage.db import make_engine

# A request's body, headers and the key its reply arrives under at the fake platform.
Prepared = tuple[bytes, dict[str, str], str]
WORK_PROCESSES = (1, 2)  # the fully handled rate is measured with one worker process, then one per core
MakeRequest = Callable[[int, str], Prepared]


class TimedPlatform(loadgen.FakePlatform):
    """The fake platform, also recording when each reply arrived (wall clock, shared by every process here)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, list[float]] = defaultdict(list)

    def app(self) -> Any:
        """The fake's routes plus GET /arrivals."""
        app = super().app()
        app.router.routes.append(Route("/arrivals", self._arrivals, methods=["GET"]))
        return app

    async def _response_url(self, request: Request) -> Response:
        self.arrivals["slack:" + request.path_params["key"]].append(time.time())
        return await super()._response_url(request)

    async def _teams(self, request: Request) -> Response:
        parts = request.path_params["path"].split("/")
        if request.method == "POST" and len(parts) >= 4 and parts[-1] == "activities":
            self.arrivals["teams:" + parts[-2]].append(time.time())
        return await super()._teams(request)

    async def _arrivals(self, _request: Request) -> Response:
        return JSONResponse({"arrivals": self.arrivals, "calls": dict(self.calls)})


def run_fake(port: int) -> None:
    """Serve the timed fake platform on 127.0.0.1:port (a child process's entry point)."""
    uvicorn.run(TimedPlatform().app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


@dataclass
class Child:
    """A server process of the benchmark."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_child(name: str, args: list[str], *, folder: Path, env: dict[str, str] | None = None) -> Child:
    """Start `python -c <code>` style children with their output in `folder`."""
    port = int(args[-1]) if args[-1].isdigit() else loadgen.free_port()
    log = folder / f"{name}.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, *args], env=env or dict(os.environ), stdout=sink, stderr=subprocess.STDOUT
        )
    return Child(name=name, port=port, process=process, log=log)


def python_child(name: str, code: str, port: int, *, folder: Path) -> Child:
    """A child running one function of this package, given its port."""
    return start_child(name, ["-c", code, str(port)], folder=folder)


def joinup_child(
    *, fake_url: str, database_url: str, folder: Path, port: int, work_processes: int = 1
) -> Child:
    """`joinup serve` talking to the fake platform: one web process and its worker process(es)."""
    env = loadgen.platform_env(fake_url=fake_url, database_url=database_url)
    args = ["-c", "from bot.cli import main; main()", "serve", "--work-processes", str(work_processes)]
    args += ["--port", str(port)]  # last: start_child reads the port from there
    return start_child("joinup", args, folder=folder, env=env)


async def handled_with_processes(
    *,
    work_processes: int,
    path: str,
    make: MakeRequest,
    texts: Iterator[str],
    fake_url: str,
    database_url: str,
    folder: Path,
    requests: int,
    first: int,
) -> dict[str, Any]:
    """The fully handled rate of a fresh `joinup serve --work-processes N` (warmed with 20 requests first)."""
    joinup = joinup_child(
        fake_url=fake_url, database_url=database_url, folder=folder, port=loadgen.free_port(),
        work_processes=work_processes,
    )  # fmt: skip
    try:
        await wait_listening(joinup, path="/healthz")
        async with client(8) as http:
            warming = await drive(http, f"{joinup.url}{path}", make, texts, target="joinup", requests=20,
                                  concurrency=8, first=first)  # fmt: skip
            await collect_replies(http, fake_url, warming)
            cpu_before = children_cpu_seconds(joinup.process.pid)
            handled = await handled_rate(
                http, f"{joinup.url}{path}", make, texts, fake_url=fake_url, database_url=database_url,
                requests=requests, concurrency=8, first=first + 1000,
            )  # fmt: skip
            cpu = children_cpu_seconds(joinup.process.pid) - cpu_before
        return handled | {
            "work processes": work_processes,
            "joinup CPU s (web and workers)": round(cpu, 2),
            "joinup CPU ms per request": round(cpu * 1000 / requests, 2) if requests else None,
            "load average": load_average(),
        }
    finally:
        joinup.stop()


def handled_name(db_name: str, work_processes: int) -> str:
    """How a fully handled rate is named in the results: the database, and the worker processes beyond one."""
    return db_name if work_processes == 1 else f"{db_name}, {work_processes} work processes"


def children_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of `pid`'s child processes so far (Linux /proc; 0 elsewhere)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if not children.exists():
        return 0.0
    for child in [pid, *map(int, children.read_text().split())]:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


async def wait_listening(child: Child, *, path: str = "/", within_seconds: float = 90.0) -> None:
    """Wait until the child answers HTTP at all (any status), or raise with its log's tail."""
    deadline = time.monotonic() + within_seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                await client.get(child.url + path, timeout=2)
                return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{child.name} did not start:\n{child.log.read_text(errors='replace')[-2000:]}")


@dataclass
class Round:
    """One round: `requests` requests to one target at one concurrency."""

    target: str
    concurrency: int
    acks_ms: list[float] = field(default_factory=list)
    sent_at: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    seconds: float = 0.0
    errors: int = 0
    replies_ms: list[float] = field(default_factory=list)
    backlog_at_end: int | None = None
    replies_missing: int = 0

    def row(self) -> dict[str, Any]:
        """The figures of the round."""
        figures: dict[str, Any] = {
            "target": self.target,
            "concurrency": self.concurrency,
            "requests": len(self.acks_ms),
            "errors": self.errors,
            "ack median ms": round(statistics.median(self.acks_ms), 2) if self.acks_ms else None,
            "ack p99 ms": round(percentile(self.acks_ms, 0.99), 2),
            "req/s": round(len(self.acks_ms) / self.seconds, 1) if self.seconds else None,
        }
        if self.replies_ms:
            figures |= {
                "reply median ms": round(statistics.median(self.replies_ms), 1),
                "reply p99 ms": round(percentile(self.replies_ms, 0.99), 1),
                "replies missing": self.replies_missing,
                "inbox backlog at end": self.backlog_at_end,
            }
        return figures


async def drive(
    client: httpx.AsyncClient,
    url: str,
    make: MakeRequest,
    texts: Iterator[str],
    *,
    target: str,
    requests: int,
    concurrency: int,
    first: int,
) -> Round:
    """Send `requests` requests from `concurrency` closed-loop senders; time each acknowledgement."""
    result = Round(target=target, concurrency=concurrency)
    numbers = itertools.count(first)
    remaining = requests

    async def sender() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            body, headers, key = make(next(numbers), next(texts))
            result.sent_at[key].append(time.time())
            started = time.perf_counter()
            try:
                response = await client.post(url, content=body, headers=headers)
            except httpx.HTTPError:
                result.errors += 1
                continue
            if response.status_code != 200:
                result.errors += 1
                continue
            result.acks_ms.append((time.perf_counter() - started) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - began
    return result


def inbox_waiting(database_url: str) -> int:
    """Rows received and not yet done (pending or claimed)."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return rows.depth(session).waiting
    finally:
        engine.dispose()


async def arrivals(client: httpx.AsyncClient, fake_url: str) -> dict[str, list[float]]:
    """Every reply the fake platform has received, by key, with arrival times."""
    found: dict[str, list[float]] = (await client.get(f"{fake_url}/arrivals")).json()["arrivals"]
    return found


async def collect_replies(
    client: httpx.AsyncClient, fake_url: str, round_: Round, *, stalled_seconds: float = 30.0
) -> None:
    """Wait for a reply to every acknowledged request; pair replies with requests in order, per key.

    A loaded machine drains a backlog slowly: the wait goes on while replies keep arriving, and gives up only
    when none has arrived for `stalled_seconds` (those requests are then counted as missing).
    """
    expected = sum(len(times) for times in round_.sent_at.values()) - round_.errors
    last_got, last_progress = -1, time.monotonic()
    while True:
        seen = await arrivals(client, fake_url)
        got = sum(len(seen.get(key, [])) for key in round_.sent_at)
        if got > last_got:
            last_got, last_progress = got, time.monotonic()
        if got >= expected or time.monotonic() - last_progress > stalled_seconds:
            break
        await asyncio.sleep(0.05)
    for key, sent in round_.sent_at.items():
        replies = sorted(seen.get(key, []))
        for sent_at, replied_at in zip(sorted(sent), replies, strict=False):
            round_.replies_ms.append((replied_at - sent_at) * 1000)
    round_.replies_missing = max(0, expected - len(round_.replies_ms))


async def handled_rate(
    client: httpx.AsyncClient,
    url: str,
    make: MakeRequest,
    texts: Iterator[str],
    *,
    fake_url: str,
    database_url: str,
    requests: int,
    concurrency: int,
    first: int,
) -> dict[str, Any]:
    """Fully handled requests per second (first request sent to last reply posted), and the backlog over time."""
    samples: list[int] = []

    async def watch() -> None:
        while True:
            samples.append(await asyncio.to_thread(inbox_waiting, database_url))
            await asyncio.sleep(1.0)

    watcher = asyncio.create_task(watch())
    began = time.time()
    round_ = await drive(
        client, url, make, texts, target="joinup", requests=requests, concurrency=concurrency, first=first
    )
    await collect_replies(client, fake_url, round_)
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    seen = await arrivals(client, fake_url)
    last = max((max(seen.get(key, [began])) for key in round_.sent_at), default=began)
    handled = len(round_.replies_ms)
    return {
        "requests": requests,
        "concurrency": concurrency,
        "acked req/s": round(len(round_.acks_ms) / round_.seconds, 1) if round_.seconds else None,
        "fully handled req/s": round(handled / (last - began), 1) if last > began else None,
        "replies missing": round_.replies_missing,
        "inbox backlog each second": samples,
        "reply median ms": round(statistics.median(round_.replies_ms), 1) if round_.replies_ms else None,
        "reply p99 ms": round(percentile(round_.replies_ms, 0.99), 1),
    }


def ratios(bare: Round, joinup: Round) -> dict[str, float | None]:
    """joinup's ack figures as multiples of the bare app's."""
    b, j = bare.row(), joinup.row()

    def over(key: str) -> float | None:
        return round(j[key] / b[key], 2) if b.get(key) and j.get(key) else None

    return {
        "median ratio": over("ack median ms"),
        "p99 ratio": over("ack p99 ms"),
        "req/s ratio": over("req/s"),
    }


def load_average() -> str:
    """The machine's load (other work shares it), as `uptime` shows it."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def client(concurrency: int) -> httpx.AsyncClient:
    """A keep-alive HTTP client with one connection per sender."""
    limits = httpx.Limits(max_connections=concurrency + 2, max_keepalive_connections=concurrency + 2)
    return httpx.AsyncClient(limits=limits, timeout=30)


async def compare(
    results: dict[str, Any],
    db_name: str,
    bare: Child,
    joinup: Child,
    make: MakeRequest,
    texts: Iterator[str],
    numbers: Iterator[int],
    fake_url: str,
    database_url: str,
    *,
    path: str,
    requests: int,
    rounds: int,
    concurrencies: tuple[int, ...],
) -> None:
    """Rounds at each concurrency, alternating which app goes first; joinup's replies awaited after each."""
    for concurrency in concurrencies:
        async with client(concurrency) as http:
            for warm in (bare, joinup):  # connections open, caches warm, before anything is timed
                warming = await drive(http, f"{warm.url}{path}", make, texts, target=warm.name,
                                               requests=20, concurrency=concurrency, first=next(numbers))  # fmt: skip
                if warm is joinup:
                    await collect_replies(http, fake_url, warming)
            for number in range(rounds):
                order = (bare, joinup) if number % 2 == 0 else (joinup, bare)
                done: dict[str, Round] = {}
                for child in order:
                    round_ = await drive(
                        http, f"{child.url}{path}", make, texts, target=child.name,
                        requests=requests, concurrency=concurrency, first=next(numbers),
                    )  # fmt: skip
                    if child is joinup:
                        round_.backlog_at_end = await asyncio.to_thread(inbox_waiting, database_url)
                        await collect_replies(http, fake_url, round_)
                    done[child.name] = round_
                rows = [done["bare"].row(), done["joinup"].row()]
                for row in rows:
                    row |= {"database": db_name, "round": number + 1, "load average": load_average()}
                results["rounds"] += rows
                results["ratios"].append(
                    {"database": db_name, "concurrency": concurrency, "round": number + 1}
                    | ratios(done["bare"], done["joinup"])
                )
