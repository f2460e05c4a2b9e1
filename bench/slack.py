"""joinup bench slack: signed slash commands through joinup's whole stack vs a bare bolt app that only acks.

The comparison the issue sets is against bolt's default app (process_before_response off, which polls
for the ack every 10 ms). joinup runs bolt with process_before_response on and does its work in a
background task, so the same bare app in that mode is measured too, as the fairer floor.

Both apps run in this process behind httpx's ASGI transport, so neither pays for a network hop, and
requests alternate between them so machine noise hits both alike. Each joinup request is followed by a
wait for its reply at the (fake) response URL, so the background work of one request never overlaps the
next measurement; that wait is reported as the time to the reply.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import click
import httpx
from fastapi import FastAPI, Request, Response
from pydantic import SecretStr
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bench import loadgen
from bench.cli import bench, percentile, write_result
from bot.config import Settings, SlackSettings
from bot.notify import build_routing_notifier
from bot.runtime import build_runtime, seed_demo
from bot.web import build_web_app
from schedules.time.clock import SystemClock
from storage import migrate
from storage.db import make_engine, make_sessions
from storage.models import Person

TARGET_RATIO = 1.5
BENCH_USER = "U0SLACKBENCH"
TEXTS = ("help", "find health visitor", "worried about a baby", "mine")


def bare_bolt_app(*, api_url: str, process_before_response: bool = False) -> FastAPI:
    """A FastAPI app whose /slack/events is a bolt AsyncApp with one slash command that only acks."""
    bolt = AsyncApp(
        client=AsyncWebClient(token=loadgen.BOT_TOKEN, base_url=api_url),
        signing_secret=loadgen.SIGNING_SECRET,
        process_before_response=process_before_response,
    )

    async def ack_only(ack: AsyncAck) -> None:
        await ack()

    bolt.command("/joinup")(ack_only)
    handler = AsyncSlackRequestHandler(bolt)
    app = FastAPI()

    @app.post("/slack/events")
    async def events(request: Request) -> Response:
        return await handler.handle(request)

    return app


def joinup_app(*, api_url: str, database_url: str) -> FastAPI:
    """joinup's web app with Slack on, the demo loaded and one onboarded Slack user."""
    settings = Settings(
        database_url=database_url,
        slack=SlackSettings(
            enabled=True,
            bot_token=SecretStr(loadgen.BOT_TOKEN),
            signing_secret=SecretStr(loadgen.SIGNING_SECRET),
            api_url=api_url,
        ),
    )
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    clock = SystemClock()
    notifier = build_routing_notifier(settings, make_sessions(engine))
    runtime = build_runtime(settings=settings, clock=clock, notifier=notifier, engine=engine)
    seed_demo(runtime)
    with runtime.sessions.begin() as session:
        session.add(
            Person(
                handle="bench.slack",
                display_name="Bench User",
                slack_user_id=BENCH_USER,
                is_onboarded=True,
                created_at=clock.now(),
            )
        )
    return build_web_app(runtime)


async def _post(client: httpx.AsyncClient, text: str, *, response_url: str) -> float:
    form = loadgen.slash_command(BENCH_USER, text, response_url=response_url)
    body, headers = loadgen.signed_slack_request(form)
    started = time.perf_counter()
    response = await client.post("/slack/events", content=body, headers=headers)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise click.ClickException(f"/slack/events answered {response.status_code}: {response.text[:200]}")
    return elapsed * 1000


async def _wait_for_replies(fake: loadgen.FakePlatform, count: int) -> None:
    async with asyncio.timeout(30):
        while fake.calls["slack:response_url"] < count:  # noqa: ASYNC110 (a counter, no event to wait on)
            await asyncio.sleep(0.001)


async def run_bench(*, requests: int, warmup: int, database_url: str) -> dict[str, list[float]]:
    """Time `requests` signed slash commands against each app (after `warmup` untimed ones)."""
    fake = loadgen.FakePlatform()
    port = loadgen.free_port()
    base = f"http://127.0.0.1:{port}"
    api_url = f"{base}/slack/api/"
    samples: dict[str, list[float]] = {"joinup": [], "bare": [], "bare_inline": [], "reply": []}
    async with loadgen.running(fake.app(), port):
        apps = {
            "joinup": joinup_app(api_url=api_url, database_url=database_url),
            "bare": bare_bolt_app(api_url=api_url),
            # The same bare app in bolt's process_before_response mode, which joinup uses: no ack polling.
            "bare_inline": bare_bolt_app(api_url=api_url, process_before_response=True),
        }
        clients = {
            name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench.test")
            for name, app in apps.items()
        }
        replies = 0
        try:
            for index in range(warmup + requests):
                text = TEXTS[index % len(TEXTS)]
                order = ("joinup", "bare", "bare_inline")[index % 3 :] + ("joinup", "bare", "bare_inline")[
                    : index % 3
                ]
                for name in order:
                    started = time.perf_counter()
                    ms = await _post(clients[name], text, response_url=f"{base}/slack/response/{index}")
                    if name == "joinup":
                        replies += 1
                        await _wait_for_replies(fake, replies)
                        reply_ms = (time.perf_counter() - started) * 1000
                        if index >= warmup:
                            samples["reply"].append(reply_ms)
                    if index >= warmup:
                        samples[name].append(ms)
        finally:
            for client in clients.values():
                await client.aclose()
    return samples


def summarise(samples: dict[str, list[float]]) -> dict[str, Any]:
    """The table row: medians and p99s, and joinup's median as a multiple of bare bolt's."""
    joinup_median = statistics.median(samples["joinup"])
    bare_median = statistics.median(samples["bare"])
    ratio = joinup_median / bare_median if bare_median else float("inf")
    return {
        "requests": len(samples["joinup"]),
        "joinup median ms": round(joinup_median, 2),
        "joinup p99 ms": round(percentile(samples["joinup"], 0.99), 2),
        "bare bolt median ms": round(bare_median, 2),
        "bare bolt p99 ms": round(percentile(samples["bare"], 0.99), 2),
        "bare bolt inline median ms": round(statistics.median(samples["bare_inline"]), 2),
        "bare bolt inline p99 ms": round(percentile(samples["bare_inline"], 0.99), 2),
        "median ratio": round(ratio, 3),
        "median ratio vs inline bolt": round(joinup_median / statistics.median(samples["bare_inline"]), 3),
        "target ratio": TARGET_RATIO,
        "meets target": ratio <= TARGET_RATIO,
        "joinup time to reply median ms": round(statistics.median(samples["reply"]), 2),
        "joinup time to reply p99 ms": round(percentile(samples["reply"], 0.99), 2),
    }


@bench.command(
    "slack",
    help="Median and p99 latency of signed /joinup requests through joinup vs a bare bolt app; writes slack.json.",
)
@click.option("--smoke", is_flag=True, help="Small CI size: 20 requests each.")
@click.option("--requests", "count", default=400, show_default=True, help="Timed requests per app.")
@click.option("--warmup", default=20, show_default=True, help="Untimed requests per app first.")
def slack(smoke: bool, count: int, warmup: int) -> None:
    """Run the Slack latency benchmark and write bench/results/slack.json."""
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        samples = asyncio.run(
            run_bench(
                requests=20 if smoke else count, warmup=5 if smoke else warmup, database_url=database_url
            )
        )
    summary = summarise(samples) | {"size": "smoke" if smoke else "full"}
    plots = [
        {
            "title": "signed /joinup latency",
            "kind": "hist",
            "xlabel": "ms",
            "ylabel": "requests",
            "series": [
                {"label": "joinup (ack)", "y": samples["joinup"]},
                {"label": "bare bolt (ack)", "y": samples["bare"]},
                {"label": "bare bolt, process_before_response (ack)", "y": samples["bare_inline"]},
            ],
        }
    ]
    path = write_result("slack", summary=summary, plots=plots, details={"samples_ms": samples})
    click.echo(f"wrote {path}")
    click.echo(
        f"joinup median {summary['joinup median ms']} ms vs bare bolt {summary['bare bolt median ms']} ms "
        f"(x{summary['median ratio']}, target x{TARGET_RATIO}); reply median {summary['joinup time to reply median ms']} ms"
    )
