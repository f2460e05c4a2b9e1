"""Staleness, verification and coverage gaps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from directory.search import search
from directory.upkeep import coverage_gaps, stale_entries, verify_team
from schedules.time.clock import FakeClock
from storage.errors import InvalidInput
from storage.models import AuditEvent, ContactRoute, Team


def team(session: Session, key: str) -> Team:
    return session.exec(select(Team).where(col(Team.key) == key)).one()


def test_stale_lists_overdue_entries_most_overdue_first(demo: Session, clock: FakeClock) -> None:
    entries = stale_entries(session=demo, at=clock.now())
    assert [e.team_key for e in entries] == ["hidden-harm"]
    assert entries[0].days_overdue is not None and entries[0].days_overdue > 90
    later = stale_entries(session=demo, at=clock.now() + timedelta(days=200))
    assert len(later) > 20
    assert later[0].days_overdue == max(e.days_overdue or 0 for e in later)
    team(demo, "lado").last_verified_at = None
    assert stale_entries(session=demo, at=clock.now())[0].team_key == "lado"  # never verified comes first


def test_verify_records_an_audit_event_and_clears_staleness(demo: Session, clock: FakeClock) -> None:
    hidden_harm = team(demo, "hidden-harm")
    assert search(demo, "hidden harm", at=clock.now())[0].is_stale
    verify_team(session=demo, clock=clock, team=hidden_harm, actor="admin.nadia", review_interval_days=180)
    demo.flush()
    assert hidden_harm.last_verified_at == clock.now() and hidden_harm.review_interval_days == 180
    assert stale_entries(session=demo, at=clock.now()) == []
    event = demo.exec(select(AuditEvent).where(col(AuditEvent.action) == "directory.verified")).one()
    assert (event.actor, event.subject, event.data["review_interval_days"]) == (
        "admin.nadia",
        "team:hidden-harm",
        180,
    )
    assert not search(demo, "hidden harm", at=clock.now())[0].is_stale


@pytest.mark.parametrize("days", [0, -5, 5000])
def test_verify_refuses_a_silly_interval(demo: Session, clock: FakeClock, days: int) -> None:
    with pytest.raises(InvalidInput):
        verify_team(
            session=demo, clock=clock, team=team(demo, "lado"), actor="admin.nadia", review_interval_days=days
        )


def test_demo_has_no_coverage_gaps(demo: Session) -> None:
    assert coverage_gaps(session=demo) == []


def test_a_missing_team_shows_as_a_gap(demo: Session) -> None:
    for key in ("cmht-south",):
        gone = team(demo, key)
        for route in demo.exec(select(ContactRoute).where(col(ContactRoute.team_id) == gone.id)):
            demo.delete(route)
    demo.flush()
    gaps = {(g.area, g.need) for g in coverage_gaps(session=demo)}
    assert gaps == {("south", "adult mental health"), ("central", "adult mental health")}
