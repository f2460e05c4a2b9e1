"""A reminder that can't be delivered is reported: to the referrer it was about, and to the directory admins.

End to end: the front door's contact person has left Slack (user_not_found) or Slack keeps failing for them;
the real sweep gives up, and the referrer and the agency's directory admin each get a notice in chat.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bench.loadgen import FakePlatform, free_port, running
from schedules.outbox.delivery_failures import DELIVERY_FAILED
from schedules.settings import ReminderSettings
from schedules.time.clock import FakeClock
from schedules.tracking import chasing
from storage.audit import verify
from storage.models import AuditEvent
from tests.reliability.world import build_borough, items, notifier, refer_all, reminders, sweep_until_quiet

# Teams' SDK builds a deprecated BotClient per ApiClient; nothing joinup calls is deprecated (see tests/teams).
pytestmark = pytest.mark.filterwarnings("ignore:The bot client is deprecated:DeprecationWarning")
SETTINGS = ReminderSettings(max_chases=1, max_attempts=3)


class BrokenUsers(FakePlatform):
    """The fake platform, answering Slack calls for some users with a chosen error."""

    def __init__(self) -> None:
        super().__init__()
        self.broken: dict[str, tuple[int, str]] = {}  # Slack user or DM channel → (status, error)

    async def _slack(self, request: Request) -> Response:
        body = await request.body()
        fields = json.loads(body) if body.startswith(b"{") else dict(parse_qsl(body.decode()))
        fields |= dict(request.query_params)  # slack_sdk sends conversations.open's users in the query string
        who = str(fields.get("users") or fields.get("channel") or "").removeprefix("D")
        if who in self.broken:
            status, error = self.broken[who]
            self.calls[f"broken:{who}"] += 1
            return JSONResponse({"ok": False, "error": error}, status_code=status)
        if request.path_params["method"] == "conversations.open":  # a DM channel per user, to tell them apart
            self.calls["slack:conversations.open"] += 1
            return JSONResponse({"ok": True, "channel": {"id": f"D{who}"}})
        return await super()._slack(request)


@pytest.fixture
async def platform() -> AsyncIterator[tuple[BrokenUsers, str]]:
    fake = BrokenUsers()
    port = free_port()
    async with running(fake.app(), port):
        yield fake, f"http://127.0.0.1:{port}"


def texts_to(fake: FakePlatform, user: str) -> list[str]:
    return [str(p.get("text", "")) for p in fake.posted if p.get("channel") == f"D{user}"]


def audit_actions(sessions: sessionmaker[Session]) -> list[tuple[str, dict[str, Any]]]:
    with sessions() as session:
        return [(e.action, e.data) for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))]


async def test_a_chase_to_someone_who_left_slack_is_reported_to_the_referrer_and_the_admin(
    platform: tuple[BrokenUsers, str], sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    fake, url = platform
    borough = build_borough(sessions, clock, fake_url=url, referrers=1)
    refer_all(sessions, clock, borough, SETTINGS)
    fake.broken["U0JO"] = (200, "user_not_found")

    await sweep_until_quiet(
        sessions=sessions, clock=clock, notifier=notifier(sessions, fake_url=url), settings=SETTINGS
    )

    rows = reminders(sessions)
    to_jo = [r for r in rows if r.recipient_person_id == borough.jo]
    assert to_jo and all(r.status == "failed" and r.attempts == 1 for r in to_jo)  # permanent: no retries
    assert all(r.last_error == "slack: user_not_found" for r in to_jo)
    notices = [r for r in rows if r.kind == DELIVERY_FAILED]
    assert sorted((n.recipient_person_id, n.payload["role"]) for n in notices) == sorted(
        [(borough.referrers[0], "sender"), (borough.admin, "admin")] * len(to_jo)
    )
    assert all(n.status == "sent" for n in notices)
    [item] = items(sessions)
    told_referrer = [t for t in texts_to(fake, "U0REF1") if t.startswith("I couldn't deliver")]
    assert told_referrer and all(
        item.ref in t and "sw.jo (Children's front door)" in t for t in told_referrer
    )
    assert any(
        "asking them to acknowledge" in t and "Please contact them another way" in t for t in told_referrer
    )
    told_admin = texts_to(fake, "U0SAM")
    assert told_admin and all("check their chat account" in t for t in told_admin)
    # The referrer's own chases still arrived.
    assert any(
        t.startswith(f"No acknowledgement yet from Children's front door on {item.ref}")
        for t in texts_to(fake, "U0REF1")
    )
    actions = audit_actions(sessions)
    reported = [data for action, data in actions if action == "reminder.failure_reported"]
    assert len(reported) == len(to_jo)
    assert all(
        sorted(d["told_person_ids"]) == sorted([borough.referrers[0], borough.admin]) for d in reported
    )
    with sessions() as session:
        assert verify(session=session).is_intact


async def test_attempts_used_up_are_reported_and_a_failing_notice_is_only_audited(
    platform: tuple[BrokenUsers, str], sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    fake, url = platform
    borough = build_borough(sessions, clock, fake_url=url, referrers=1)
    refer_all(sessions, clock, borough, SETTINGS)
    fake.broken["U0JO"] = (503, "fatal_error")  # Jo's Slack keeps failing: retryable, until attempts run out
    fake.broken["U0SAM"] = (200, "account_inactive")  # and the admin can't be told either

    await sweep_until_quiet(
        sessions=sessions, clock=clock, notifier=notifier(sessions, fake_url=url), settings=SETTINGS
    )

    rows = reminders(sessions)
    to_jo = [r for r in rows if r.recipient_person_id == borough.jo]
    assert to_jo and {r.kind for r in to_jo} >= {chasing.RECEIVER_ACK_CHASE}
    assert all(r.status == "failed" and r.attempts == SETTINGS.max_attempts for r in to_jo)
    notices = [r for r in rows if r.kind == DELIVERY_FAILED]
    to_admin = [n for n in notices if n.recipient_person_id == borough.admin]
    to_referrer = [n for n in notices if n.recipient_person_id == borough.referrers[0]]
    assert len(to_admin) == len(to_referrer) == len(to_jo)
    assert all(n.status == "failed" for n in to_admin) and all(n.status == "sent" for n in to_referrer)
    assert all("kept failing" in t for t in texts_to(fake, "U0REF1") if t.startswith("I couldn't deliver"))
    # The failed notices are audited and nothing more: no notice about a notice.
    assert len(notices) == 2 * len(to_jo)
    failed_notices = [
        d for a, d in audit_actions(sessions) if a == "reminder.failed" and d["kind"] == DELIVERY_FAILED
    ]
    assert len(failed_notices) == len(to_admin)
