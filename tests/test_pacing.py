"""The platform pacer: every published window is kept, sends go as early as the limits allow, replicas share
the limits, and a 429's Retry-After holds the scope."""

from __future__ import annotations

import asyncio

from bot import pacing
from bot.pacing import Limit, Pacer, PacingSettings
from tests.fakes.virtual_time import VirtualTime

TEAMS_CONVERSATION = pacing.DEFAULT_LIMITS[pacing.TEAMS_CONVERSATION]


def most_in_any_window(times: list[float], window: float) -> int:
    """The most calls in any half-open window (t - window, t] ending at a call."""
    ordered = sorted(times)
    return max(sum(1 for s in ordered if at - window < s <= at) for at in ordered)


class StoppedClock:
    """Time that moves only when a test says (reserve() never sleeps)."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        raise AssertionError("reserve() does not sleep")


def test_a_burst_to_one_teams_conversation_keeps_every_published_window() -> None:
    clock = StoppedClock()
    pacer = Pacer(clock=clock)
    scope = (pacing.TEAMS_CONVERSATION, "a:personal-1")

    times = [pacer.reserve([scope]) for _ in range(200)]

    for limit in TEAMS_CONVERSATION:
        assert most_in_any_window(times, limit.window_seconds) <= limit.count, limit
    assert times[:7] == [0.0] * 7  # seven at once are allowed
    assert times[7] == 1.0  # the eighth waits for the 7-a-second window
    # 60 in 30 s lets the 181st go at 90 s at the earliest; the pacer takes only a few seconds more for the rest.
    assert 90.0 <= times[-1] <= 96.0


def test_sends_to_many_conversations_in_one_tenant_go_at_the_tenant_rate() -> None:
    clock = StoppedClock()
    pacer = Pacer(clock=clock)
    times = [
        pacer.reserve(pacing.teams_scopes(conversation_id=f"a:{n % 50}", tenant_id="tenant-1"))
        for n in range(3000)
    ]

    assert most_in_any_window(times, 1.0) <= 30
    floor = 3000 / 30
    assert max(times) <= floor * 1.01


def test_replicas_split_each_limit_between_them() -> None:
    four = PacingSettings(replicas=4)
    pacer = Pacer(limits=four.limits(), replicas=four.replicas, clock=StoppedClock())

    assert pacer.limits[pacing.TEAMS_TENANT] == (Limit(7, 1 * 7 / 7.5),)
    # Slack's one message a second per channel becomes one every four seconds per replica.
    assert pacer.limits[pacing.SLACK_CHANNEL] == (Limit(1, 4.0),)


def test_settings_override_a_limit() -> None:
    settings = PacingSettings(teams_tenant=[(50, 1.0)])

    assert settings.limits()[pacing.TEAMS_TENANT] == (Limit(50, 1.0),)


def test_a_429_holds_the_scope_for_its_retry_after() -> None:
    clock = StoppedClock()
    pacer = Pacer(clock=clock)
    channel = (pacing.SLACK_CHANNEL, "D1")

    pacer.hold(channel, 30.0)

    assert pacer.reserve([channel]) == 30.0
    assert pacer.reserve([(pacing.SLACK_CHANNEL, "D2")]) == 0.0  # other channels are not held


def test_slack_calls_count_against_their_method_tier_and_channel() -> None:
    assert pacing.slack_scopes("chat.postMessage", workspace="T1", channel="D1") == (
        (pacing.SLACK_POST, "T1"),
        (pacing.SLACK_CHANNEL, "D1"),
    )
    assert pacing.slack_scopes("conversations.open", workspace="T1", channel=None) == (
        (f"{pacing.SLACK_TIER}:3", "T1:conversations.open"),
    )


async def test_wait_sleeps_until_the_reserved_time() -> None:
    time = VirtualTime()
    pacer = Pacer(limits={pacing.SLACK_CHANNEL: (Limit(1, 1),)}, clock=time)
    done = asyncio.Event()
    in_flight = 3

    async def send() -> float:
        nonlocal in_flight
        waited = await pacer.wait((pacing.SLACK_CHANNEL, "D1"))
        in_flight -= 1
        return waited

    driver = asyncio.create_task(time.drive(busy=lambda: in_flight, until=done))
    waits = await asyncio.gather(send(), send(), send())
    done.set()
    await driver

    assert waits == [0.0, 1.0, 2.0]
    assert time.now == 2.0
    assert pacer.paced_calls == 2
