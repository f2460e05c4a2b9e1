"""joinup bench teams: Teams messages through `joinup serve` vs a bare Teams SDK app, work included.

The bare app is the Teams SDK's own App on its own FastAPI/uvicorn server, with one message listener that does
nothing (the SDK answers 200). joinup is a real `joinup serve`: its web process stores and acks each message,
its worker process answers it through the fake connector over HTTP. Both get the same personal-chat messages
(`find health visitor`), each in its own conversation so every reply is matched to its request; rounds,
concurrencies and the fully handled rate are as in `joinup bench slack` (bench/ackbench.py).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path
from typing import Any

import click
from microsoft_teams.api.activities import MessageActivity
from microsoft_teams.apps import ActivityContext, App

from bench import ackbench, loadgen
from bench.cli import bench
from bench.load import prepare_database
from bench.slack import TEXT, USERS, run_command
from bot.teams.app import no_token


def run_bare(port: int) -> None:
    """Serve a Teams SDK App whose one listener does nothing (a child process's entry point)."""
    app = App(
        client_id=loadgen.TEAMS_APP_ID,
        dangerously_allow_unauthenticated_requests=True,
        token=no_token,
        telemetry={"agent365": False},
    )

    async def nothing(ctx: ActivityContext[MessageActivity]) -> None:
        return None

    app.on_message(nothing)
    asyncio.run(app.start(port))


def request_maker(fake_url: str) -> ackbench.MakeRequest:
    """Personal-chat messages from the bench users, each in a conversation of its own."""

    def make(number: int, text: str) -> ackbench.Prepared:
        activity = loadgen.teams_message(number % USERS, text, service_url=f"{fake_url}/teams/")
        conversation = f"a:bench-{number}"
        activity["conversation"]["id"] = conversation
        return json.dumps(activity).encode(), {"Content-Type": "application/json"}, f"teams:{conversation}"

    return make


async def run_bench(
    *,
    requests: int,
    rounds: int,
    concurrencies: tuple[int, ...],
    handled: int,
    databases: dict[str, str],
    folder: Path,
) -> dict[str, Any]:
    """Every round against both apps, then the fully handled rate on each database."""
    fake_port, bare_port = loadgen.free_port(), loadgen.free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    code = "import sys; from bench.ackbench import run_fake; run_fake(int(sys.argv[1]))"
    fake = ackbench.python_child("fake", code, fake_port, folder=folder)
    bare_code = "import sys; from bench.teams import run_bare; run_bare(int(sys.argv[1]))"
    bare = ackbench.python_child("bare", bare_code, bare_port, folder=folder)
    make = request_maker(fake_url)
    texts = itertools.repeat(TEXT)
    numbers = itertools.count(0, 100_000)
    results: dict[str, Any] = {"rounds": [], "ratios": [], "handled": {}, "load": []}
    try:
        await ackbench.wait_listening(fake)
        await ackbench.wait_listening(bare)
        for db_name, database_url in databases.items():
            await asyncio.to_thread(prepare_database, database_url, USERS)
            if rounds:
                joinup = ackbench.joinup_child(
                    fake_url=fake_url, database_url=database_url, folder=folder, port=loadgen.free_port()
                )
                try:
                    await ackbench.wait_listening(joinup, path="/healthz")
                    await ackbench.compare(results, db_name, bare, joinup, make, texts, numbers, fake_url,
                                           database_url, path="/api/messages", requests=requests, rounds=rounds,
                                           concurrencies=concurrencies)  # fmt: skip
                finally:
                    joinup.stop()
            # The fully handled rate with one worker process, then two (one per core), in the same run.
            for processes in ackbench.WORK_PROCESSES:
                results["handled"][ackbench.handled_name(db_name, processes)] = (
                    await ackbench.handled_with_processes(
                        work_processes=processes, path="/api/messages", make=make, texts=texts, fake_url=fake_url,
                        database_url=database_url, folder=folder, requests=handled, first=next(numbers),
                    )
                )  # fmt: skip
            results["load"].append({"after": db_name, "load average": ackbench.load_average()})
    finally:
        bare.stop()
        fake.stop()
    return results


@bench.command(
    "teams",
    help="Teams messages through joinup serve vs a bare Teams SDK app, work included; writes teams.json.",
)
@click.option("--smoke", is_flag=True, help="Small CI size.")
@click.option("--requests", default=1000, show_default=True, help="Requests per round and app.")
@click.option("--handled", default=3000, show_default=True, help="Requests for the fully handled rate.")
@click.option("--pg", default=None, help="Also measure on this PostgreSQL database (it is seeded).")
@click.option("--handled-only", is_flag=True, help="Only the fully handled rates, not the ack comparison.")
def teams(smoke: bool, requests: int, handled: int, pg: str | None, handled_only: bool) -> None:
    """Run the Teams benchmark and write bench/results/teams.json."""
    run_command(
        "teams", run_bench, smoke=smoke, requests=requests, handled=handled, pg=pg, handled_only=handled_only
    )
