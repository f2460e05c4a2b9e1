"""joinup bench slack: signed `/joinup find health visitor` through `joinup serve` vs a bare bolt app, work included.

The bare app is slack-bolt with `process_before_response` and one slash-command listener that only acks.
joinup is a real `joinup serve` (its web process stores and acks, its worker process answers through the
response_url of the fake platform, over HTTP). Both get the same signed requests, round by round, at
concurrency 1 and 8, two rounds each; then one joinup process's fully handled rate is measured on SQLite
and, given `--pg`, on PostgreSQL. bench/ackbench.py has the machinery; the results go to slack.json.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import tempfile
from pathlib import Path
from typing import Any

import click
import uvicorn
from fastapi import FastAPI, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bench import ackbench, loadgen
from bench.cli import bench, write_result
from bench.load import prepare_database

TARGET_RATIO = 1.5
TARGET_HANDLED_PER_S = 300
TEXT = "find health visitor"
USERS = 64


def run_bare(fake_port: int, port: int) -> None:
    """Serve a bolt app whose one listener only acks (a child process's entry point)."""
    bolt = AsyncApp(
        client=AsyncWebClient(token=loadgen.BOT_TOKEN, base_url=f"http://127.0.0.1:{fake_port}/slack/api/"),
        signing_secret=loadgen.SIGNING_SECRET,
        process_before_response=True,
    )

    async def ack_only(ack: AsyncAck) -> None:
        await ack()

    bolt.command("/joinup")(ack_only)
    handler = AsyncSlackRequestHandler(bolt)
    app = FastAPI()

    @app.post("/slack/events")
    async def events(request: Request) -> Response:
        return await handler.handle(request)

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def request_maker(fake_url: str) -> ackbench.MakeRequest:
    """Signed slash commands, each answered at its own response_url."""

    def make(number: int, text: str) -> ackbench.Prepared:
        form = loadgen.slash_command(
            f"UB{number % USERS:06d}", text, response_url=f"{fake_url}/slack/response/{number}"
        )
        body, headers = loadgen.signed_slack_request(form)
        return body, headers, f"slack:{number}"

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
    """Run every round against both apps, then the fully handled rate on each database."""
    fake_port, bare_port = loadgen.free_port(), loadgen.free_port()
    fake_url = f"http://127.0.0.1:{fake_port}"
    code = "import sys; from bench.ackbench import run_fake; run_fake(int(sys.argv[1]))"
    fake = ackbench.python_child("fake", code, fake_port, folder=folder)
    bare_code = "import sys; from bench.slack import run_bare; run_bare(int(sys.argv[1]), int(sys.argv[2]))"
    bare = ackbench.start_child("bare", ["-c", bare_code, str(fake_port), str(bare_port)], folder=folder)
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
                                           database_url, path="/slack/events", requests=requests, rounds=rounds,
                                           concurrencies=concurrencies)  # fmt: skip
                finally:
                    joinup.stop()
            # The fully handled rate with one worker process, then two (one per core), in the same run.
            for processes in ackbench.WORK_PROCESSES:
                results["handled"][ackbench.handled_name(db_name, processes)] = (
                    await ackbench.handled_with_processes(
                        work_processes=processes, path="/slack/events", make=make, texts=texts, fake_url=fake_url,
                        database_url=database_url, folder=folder, requests=handled, first=next(numbers),
                    )
                )  # fmt: skip
            results["load"].append({"after": db_name, "load average": ackbench.load_average()})
    finally:
        bare.stop()
        fake.stop()
    return results


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    """The headline: the worst ack ratios and the fully handled rates against their targets."""
    summary: dict[str, Any] = {}
    if results["ratios"]:  # not with --handled-only
        worst_median = max((r["median ratio"] or 0) for r in results["ratios"])
        worst_p99 = max((r["p99 ratio"] or 0) for r in results["ratios"])
        summary |= {
            "worst ack median ratio": worst_median,
            "worst ack p99 ratio": worst_p99,
            "target ratio": TARGET_RATIO,
            "ack target met": worst_median <= TARGET_RATIO and worst_p99 <= TARGET_RATIO,
        }
    for (db_name, concurrency, target), rounds in _by_cell(results["rounds"]).items():
        summary[f"{db_name} c={concurrency} {target}: ack median / p99 ms, req/s"] = (
            f"{_span(r['ack median ms'] for r in rounds)} / {_span(r['ack p99 ms'] for r in rounds)}, "
            f"{_span(r['req/s'] for r in rounds)}"
        )
        if target == "joinup":
            summary[f"{db_name} c={concurrency} joinup: reply median / p99 ms, backlog at end"] = (
                f"{_span(r['reply median ms'] for r in rounds)} / {_span(r['reply p99 ms'] for r in rounds)}, "
                f"{_span(r['inbox backlog at end'] for r in rounds)}"
            )
    for ratio in results["ratios"]:
        key = f"{ratio['database']} c={ratio['concurrency']} round {ratio['round']}: joinup ÷ bare median, p99, req/s"
        summary[key] = f"{ratio['median ratio']}, {ratio['p99 ratio']}, {ratio['req/s ratio']}"
    for db_name, handled in results["handled"].items():
        summary[f"{db_name} fully handled req/s"] = handled["fully handled req/s"]
        summary[f"{db_name} replies missing"] = handled["replies missing"]
        summary[f"{db_name} joinup CPU ms per request"] = handled.get("joinup CPU ms per request")
        summary[f"{db_name} load average"] = handled.get("load average")
        summary[f"{db_name} inbox backlog each second"] = " ".join(
            map(str, handled["inbox backlog each second"])
        )
    summary["handled target req/s"] = TARGET_HANDLED_PER_S
    return summary


def _by_cell(rounds: list[dict[str, Any]]) -> dict[tuple[str, int, str], list[dict[str, Any]]]:
    cells: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for row in rounds:
        cells.setdefault((row["database"], row["concurrency"], row["target"]), []).append(row)
    return cells


def _span(values: Any) -> str:
    """`a–b` over the rounds (or one value), as the issue's table shows them."""
    found = sorted(v for v in values if v is not None)
    if not found:
        return "-"
    low, high = found[0], found[-1]
    return f"{low:g}" if low == high else f"{low:g}–{high:g}"


def run_command(
    name: str,
    runner: Any,
    *,
    smoke: bool,
    requests: int,
    handled: int,
    pg: str | None,
    handled_only: bool = False,
) -> None:
    """Run a Slack or Teams comparison and write its results file (shared by both commands)."""
    with tempfile.TemporaryDirectory() as folder:
        databases = {"sqlite": f"sqlite:///{Path(folder) / 'bench.sqlite3'}"}
        if pg:
            databases["postgresql"] = pg
        results = asyncio.run(
            runner(
                requests=20 if smoke else requests,
                rounds=0 if handled_only else 1 if smoke else 2,
                concurrencies=(1, 8),
                handled=40 if smoke else handled,
                databases=databases,
                folder=Path(folder),
            )
        )
    size = "smoke" if smoke else "handled only" if handled_only else "full"
    summary = summarise(results) | {"size": size}
    # The handled-only figures go beside the full comparison rather than replacing it.
    path = write_result(f"{name}-handled" if handled_only else name, summary=summary, details=results)
    click.echo(f"wrote {path}")
    for row in results["ratios"]:
        click.echo(f"  {row}")
    for db_name, handled_row in results["handled"].items():
        click.echo(f"  {db_name}: {handled_row}")
    click.echo(f"  load average: {results['load']}")
    sys.stdout.flush()


@bench.command(
    "slack",
    help="Signed /joinup requests through joinup serve vs a bare bolt app, work included; writes slack.json.",
)
@click.option("--smoke", is_flag=True, help="Small CI size.")
@click.option("--requests", default=1000, show_default=True, help="Requests per round and app.")
@click.option("--handled", default=3000, show_default=True, help="Requests for the fully handled rate.")
@click.option("--pg", default=None, help="Also measure on this PostgreSQL database (it is seeded).")
@click.option("--handled-only", is_flag=True, help="Only the fully handled rates, not the ack comparison.")
def slack(smoke: bool, requests: int, handled: int, pg: str | None, handled_only: bool) -> None:
    """Run the Slack benchmark and write bench/results/slack.json."""
    run_command(
        "slack", run_bench, smoke=smoke, requests=requests, handled=handled, pg=pg, handled_only=handled_only
    )
