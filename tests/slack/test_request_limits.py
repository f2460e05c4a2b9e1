"""Signed Slack requests that are still wrong get a 400 with a short JSON error, never a 500 or a 401."""

from __future__ import annotations

import hmac
import json
import time
from hashlib import sha256
from urllib.parse import urlencode

import pytest
from sqlmodel import func, select

from storage.models import AuditEvent
from tests.slack import payloads
from tests.slack.conftest import AMY, Joinup


def _audit_count(joinup: Joinup) -> int:
    with joinup.runtime.sessions() as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


@pytest.mark.parametrize("drop", ["type", "callback_id"])
async def test_a_signed_form_submission_without_its_view_type_is_a_400(joinup: Joinup, drop: str) -> None:
    payload = payloads.view_submission(user=AMY, callback_id="feedback", values={})
    del payload["view"][drop]
    response = await joinup.interact(payload)
    assert response.status_code == 400
    assert response.json() == {"error": f"view_submission without view.{drop}"}


async def test_a_signed_body_that_is_not_utf8_is_a_400_not_a_401(joinup: Joinup) -> None:
    raw = b"payload=" + "caf\u00e9".encode("latin-1")  # signed correctly, but Latin-1, not UTF-8
    stamp = str(int(time.time()))
    key = payloads.SIGNING_SECRET.encode()
    signature = "v0=" + hmac.new(key, b"v0:" + stamp.encode() + b":" + raw, sha256).hexdigest()
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": signature,
    }
    response = await joinup.http.post("/slack/events", content=raw, headers=headers)
    assert response.status_code == 400 and response.json() == {"error": "unreadable body"}
    forged = await joinup.http.post(
        "/slack/events", content=raw, headers=headers | {"x-slack-signature": "v0=0"}
    )
    assert forged.status_code == 401


async def test_a_deeply_nested_signed_payload_is_a_400_before_any_parser(joinup: Joinup) -> None:
    before = _audit_count(joinup)
    body = urlencode({"payload": "[" * 5000 + "]" * 5000})
    assert (await joinup.post(body, content_type="application/x-www-form-urlencoded")).status_code == 400
    nested = json.dumps(payloads.dm_event("help", user=AMY))[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}"
    response = await joinup.post(nested, content_type="application/json")
    assert response.status_code == 400 and "nested too deeply" in response.json()["error"]
    assert _audit_count(joinup) == before
