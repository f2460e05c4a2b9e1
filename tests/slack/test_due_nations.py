"""due under the person's own nation's framework, through signed Slack requests."""

from __future__ import annotations

from sqlmodel import col, select

from storage.models import Person
from tests.slack.conftest import AMY, Joinup


async def test_a_scottish_user_gets_scotlands_framework_through_slack(joinup: Joinup) -> None:
    with joinup.runtime.sessions.begin() as session:
        session.exec(select(Person).where(col(Person.handle) == "hv.amy")).one().nation = "SCT"
    await joinup.dm("due icpc from 2026-12-17", user=AMY)
    (reply,) = await joinup.fake.wait_for("chat.postMessage")
    text = reply.args["text"]
    assert "In Scotland that meeting is the CPPM." in text
    assert "due by Thursday 14 January 2027 (28 calendar days after Thursday 17 December 2026)" in text
    assert "National Guidance for Child Protection in Scotland" in text
    assert "Working Together" not in text
