"""joinup serve's processes: web processes that only store and acknowledge, a worker process that does the work.

The first test is the acknowledging side in this process and a stand-in worker whose handler is held: acks keep
returning while the work is held, and the worker learns of each request from the UDP nudge, not its poll. The
second runs `joinup serve --workers 2` for real against the fake platform: every slash command is answered,
and its worker process dies with it when it is SIGKILLed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import SQLModel, select

from bench import loadgen
from bench.load import prepare_database
from bot.inbox.wake import WakeSender, free_udp_port
from bot.inbox.worker import Content, Inbox, Kind
from schedules.time.clock import FakeClock
from storage.db import make_engine
from storage.models import InboxItem
from tests.fakes.slack import FakeSlack
from tests.slack.conftest import Joinup, build_joinup


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """The fake Slack Web API and response URLs."""
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def file_engine(tmp_path: Path) -> Iterator[Engine]:
    """A SQLite file (so the inbox's inserts and claims run on its thread pool, as in production)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'joinup.sqlite3'}")
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


async def test_acks_keep_returning_while_the_worker_holds_a_slow_request(
    fake_slack: FakeSlack, clock: FakeClock, file_engine: Engine
) -> None:
    runtime, http = build_joinup(fake=fake_slack, clock=clock, engine=file_engine)
    web = runtime.inbox
    assert web is not None
    port = free_udp_port()
    web.is_worker, web.wake_sender = False, WakeSender(port)  # a web process: store, ack, nudge
    # The worker: one request at a time, and a poll so slow that only the nudge can wake it in time.
    worker = Inbox(engine=file_engine, sessions=runtime.sessions, clock=clock, concurrency=1, poll_seconds=60)
    events: list[str] = []
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(content: Content) -> None:
        events.append(f"work on {content['text']} starts")
        started.set()
        await release.wait()
        events.append(f"work on {content['text']} ends")

    async def tell(content: Content) -> None:
        raise AssertionError("nothing fails here")

    worker.register("slack.command", Kind(work=slow, tell_failure=tell))
    await worker.wake_on(port)
    worker.start()
    joinup = Joinup(runtime=runtime, http=http, fake=fake_slack, clock=clock)
    try:
        async with http:
            assert (await joinup.command("first")).status_code == 200
            async with asyncio.timeout(10):
                await started.wait()  # woken by the nudge
            for text in ("second", "third", "fourth"):
                assert (await joinup.command(text)).status_code == 200
                events.append(f"{text} acked")

            assert events == ["work on first starts", "second acked", "third acked", "fourth acked"]
            with runtime.sessions() as session:
                statuses = session.exec(select(InboxItem.status).order_by(InboxItem.id)).all()
            assert statuses == ["claimed", "pending", "pending", "pending"]  # stored before each ack

            release.set()
            async with asyncio.timeout(10):
                await worker.drain()
    finally:
        release.set()
        await worker.stop()
        await web.stop()  # closes its nudge socket
    assert events[-1] == "work on fourth ends"
    assert worker.stats.done == 4


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


@pytest.mark.system  # two web processes and a worker process starting: a minute or two on a loaded machine
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
async def test_serve_with_two_web_processes_answers_everything_and_its_worker_dies_with_it(
    tmp_path: Path,
) -> None:
    database_url = f"sqlite:///{tmp_path / 'joinup.sqlite3'}"
    await asyncio.to_thread(prepare_database, database_url, 4)
    fake = loadgen.FakePlatform()
    fake_port, port = loadgen.free_port(), loadgen.free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    env = loadgen.platform_env(fake_url=fake_url, database_url=database_url)
    args = [sys.executable, "-c", "from bot.cli import main; main()", "serve", "--port", str(port)]
    log = tmp_path / "serve.log"
    async with loadgen.running(fake.app(), fake_port):
        serve = await asyncio.to_thread(start, [*args, "--workers", "2", "--work-processes", "2"], env, log)
        try:
            await loadgen.wait_ready(
                loadgen.ServeProcess(port=port, process=serve, log=log), within_seconds=120
            )
            async with httpx.AsyncClient(timeout=30) as client:
                for number in range(12):
                    form = loadgen.slash_command(
                        f"UB{number % 4:06d}", "help", response_url=f"{fake_url}/slack/response/r{number}"
                    )
                    body, headers = loadgen.signed_slack_request(form)
                    response = await client.post(
                        f"http://127.0.0.1:{port}/slack/events", content=body, headers=headers
                    )
                    assert response.status_code == 200
            async with asyncio.timeout(60):
                while fake.calls["slack:response_url"] < 12:  # noqa: ASYNC110 (a counter, no event to wait on)
                    await asyncio.sleep(0.1)
            answered = sorted(post["_user"] for post in fake.posted if post.get("method") == "response_url")
            assert answered == sorted(f"r{number}" for number in range(12))  # each exactly once

            # The uvicorn supervisor's children: two web processes and two worker processes beside them.
            family = _children(serve.pid)
            assert len(family) >= 4, log.read_text()[-2000:]
            os.kill(serve.pid, signal.SIGKILL)
            serve.wait()
            assert await asyncio.to_thread(all_gone, family, within_seconds=10)
        finally:
            if serve.poll() is None:
                serve.kill()
                serve.wait()


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(args, env=env, stdout=sink, stderr=subprocess.STDOUT)


def all_gone(pids: list[int], *, within_seconds: float) -> bool:
    """Wait until none of these processes is running (a zombie awaiting its reaper counts as gone)."""
    deadline = time.monotonic() + within_seconds
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].splitlines()[0].lower()
    except (FileNotFoundError, IndexError):
        return "zombie"
