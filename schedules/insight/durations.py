"""Freeze working-time durations when a clock stops, so insight can aggregate them in SQL.

Working-hours arithmetic (weekends, each nation's bank holidays, team closure days) is done once, here, in
Python with the WorkingCalendar; the result is stored on the row. The tracking and escalation code call
`record_durations` / `record_resolution` when an item is acknowledged or answered and when an escalation closes;
`backfill_durations` fills rows written before that (or by an import).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, or_, select

from schedules.settings import ReminderSettings
from schedules.time.calendar import WorkingCalendar
from schedules.time.calendars import WorkingHours, calendar_for_nation
from storage.models import Escalation, Team, TrackedItem


class CalendarCache:
    """One WorkingCalendar per (nation, closure days), built on first use."""

    def __init__(self, *, settings: WorkingHours | None = None) -> None:
        # Without settings, the default working day of ReminderSettings (09:00 to 17:00).
        self.settings: WorkingHours = settings if settings is not None else ReminderSettings()
        self._calendars: dict[tuple[str, frozenset[date]], WorkingCalendar] = {}

    def get(self, nation: str, closure_days: frozenset[date] = frozenset()) -> WorkingCalendar:
        """Return the calendar for `nation` with the receiving team's closure days."""
        key = (nation, closure_days)
        if key not in self._calendars:
            self._calendars[key] = calendar_for_nation(
                nation=nation, settings=self.settings, closure_days=closure_days
            )
        return self._calendars[key]


def _closure_days(team: Team | None) -> frozenset[date]:
    if team is None:
        return frozenset()
    return frozenset(date.fromisoformat(day) for day in team.closure_days)


def record_durations(*, item: TrackedItem, calendar: WorkingCalendar) -> None:
    """Store the working minutes from sending to acknowledgement and to feedback, for the clocks that stopped,
    leaving out the time the item was paused (banked at each resume, plus a pause still running then).

    Call it whenever acknowledged_at or feedback_at is set; values already stored are kept.
    """

    def running(stopped_at: datetime, paused: int) -> int:
        ongoing = 0
        if item.paused_at is not None and item.paused_at < stopped_at:
            ongoing = calendar.working_minutes_between(item.paused_at, stopped_at)
        return max(calendar.working_minutes_between(item.sent_at, stopped_at) - paused - ongoing, 0)

    if item.acknowledged_at is not None and item.ack_working_minutes is None:
        item.ack_working_minutes = running(item.acknowledged_at, item.ack_paused_minutes)
    if item.feedback_at is not None and item.feedback_working_minutes is None:
        item.feedback_working_minutes = running(item.feedback_at, item.feedback_paused_minutes)


def bank_pause(*, item: TrackedItem, calendar: WorkingCalendar, now: datetime) -> None:
    """At resume: add the working minutes just spent paused to each clock that was still running."""
    if item.paused_at is None:
        return
    minutes = calendar.working_minutes_between(item.paused_at, now)
    if item.acknowledged_at is None:
        item.ack_paused_minutes += minutes
    if item.feedback_at is None:
        item.feedback_paused_minutes += minutes


def record_item_durations(*, session: Session, item: TrackedItem, calendars: CalendarCache) -> None:
    """Store an item's durations on the receiving team's calendar (its nation and closure days)."""
    team = session.get(Team, item.to_team_id)
    record_durations(item=item, calendar=calendars.get(item.nation, _closure_days(team)))


def record_resolution(*, escalation: Escalation, calendar: WorkingCalendar) -> None:
    """Store the working days from opening an escalation to closing it; call it when it closes."""
    if escalation.closed_at is None or escalation.resolution_working_days is not None:
        return
    opened_on = calendar.local(escalation.opened_at).date()
    closed_on = calendar.local(escalation.closed_at).date()
    escalation.resolution_working_days = max(calendar.working_days_between(opened_on, closed_on), 0)


def backfill_durations(*, session: Session, calendars: CalendarCache, batch_size: int = 500) -> int:
    """Fill in missing durations on stopped clocks and closed escalations; return how many rows changed."""
    changed = 0
    teams = {team.id: team for team in session.exec(select(Team)).all()}
    last_id = 0
    while True:
        items = session.exec(
            select(TrackedItem)
            .where(
                col(TrackedItem.id) > last_id,
                or_(
                    col(TrackedItem.acknowledged_at).is_not(None)
                    & col(TrackedItem.ack_working_minutes).is_(None),
                    col(TrackedItem.feedback_at).is_not(None)
                    & col(TrackedItem.feedback_working_minutes).is_(None),
                ),
            )
            .order_by(col(TrackedItem.id))
            .limit(batch_size)
        ).all()
        if not items:
            break
        for item in items:
            team = teams.get(item.to_team_id)
            record_durations(item=item, calendar=calendars.get(item.nation, _closure_days(team)))
            changed += 1
            last_id = item.id or last_id
        session.flush()
    escalations = session.exec(
        select(Escalation).where(
            col(Escalation.closed_at).is_not(None), col(Escalation.resolution_working_days).is_(None)
        )
    ).all()
    for escalation in escalations:
        # The disagreement runs on the other team's working days, as its timescales do.
        team = teams.get(escalation.other_team_id)
        nation = team.nation if team is not None else "ENG"
        record_resolution(escalation=escalation, calendar=calendars.get(nation, _closure_days(team)))
        changed += 1
    session.flush()
    return changed
