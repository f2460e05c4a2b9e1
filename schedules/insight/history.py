"""Generate months of realistic, fictional referral history so a new dashboard has something to show.

Used by the demo (`joinup demo seed-history`, and the demo seeders) and by `joinup bench insight`. Every team
gets its own pace (some fast, some slow); referrals fall on working time; about a quarter end in no further
action and some of those are referred again; a few disagreements are escalated. Durations are built in
working minutes first and the timestamps derived from them, so the frozen durations are exact. Only case
references are invented (NB-nnnnnn), never names. Rows are inserted in batches, not one at a time.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from schedules.escalation.policy import Policy, policy_of
from schedules.insight.durations import CalendarCache
from schedules.time.calendar import WorkingCalendar
from schedules.time.calendars import calendar_for_team
from schedules.time.clock import Clock
from storage import audit
from storage.models import AuditEvent, ContactRoute, Escalation, Person, PolicyVersion, Team, TrackedItem

SEEDED_ACTION = "demo.history_seeded"
OUTCOMES = (
    ("accepted_for_assessment", 0.30),
    ("early_help", 0.18),
    ("signposted", 0.12),
    ("no_further_action", 0.25),
    ("information_only", 0.12),
    ("withdrawn", 0.03),
)
KINDS = (("referral", 0.7), ("callback", 0.2), ("information_request", 0.1))
DAY_MINUTES = 480
EMERGENCY_NUMBERS = ("999", "112")
# The demo is about today: only disagreements raised in the last few working days are still open, and only a
# handful of them, some past their level deadline and some due soon; everything older has been settled.
RECENT_WORKING_DAYS = 8
MAX_OPEN_ESCALATIONS = 6
OPEN_LEVEL_DAYS = {1: 2, 2: 5}  # without a policy loaded: the shipped ladder's first two levels


@dataclass(frozen=True, slots=True)
class HistoryPlan:
    """How much history to make and how it behaves."""

    months: int = 6
    referrals_per_team_week: float = 2.0
    seed: int = 2026
    unacknowledged_rate: float = 0.05
    no_feedback_rate: float = 0.12
    re_referral_rate: float = 0.35  # of NFA decisions
    escalation_rate: float = 0.05


@dataclass(frozen=True, slots=True)
class HistorySummary:
    """What was generated."""

    items: int
    escalations: int


FRONT_DOOR_SHARE = 4.0


def _pick(rng: random.Random, weighted: Sequence[tuple[str, float]]) -> str:
    return rng.choices([name for name, _ in weighted], weights=[weight for _, weight in weighted])[0]


def _minutes(rng: random.Random, median: float, spread: float, *, cap: int) -> int:
    return max(5, min(cap, int(rng.lognormvariate(math.log(median), spread))))


class _Maker:
    def __init__(
        self, *, plan: HistoryPlan, now: datetime, calendars: CalendarCache, policy: Policy | None = None
    ) -> None:
        self.plan = plan
        self.policy = policy
        self.open_escalations = 0
        self.now = now
        self.rng = random.Random(plan.seed)
        self.calendars = calendars
        self.items: list[dict[str, Any]] = []
        self.escalations: list[dict[str, Any]] = []

    def calendar(self, team: Team) -> WorkingCalendar:
        return self.calendars.get(team.nation)

    def item(self, *, team: Team, sender: Person, sent_at: datetime, pace: float, case_ref: str) -> None:
        rng, plan, calendar = self.rng, self.plan, self.calendar(team)
        sent_at = calendar.next_working_time(sent_at)
        if sent_at >= self.now:
            return
        row: dict[str, Any] = {
            "ref": f"new-{uuid.uuid4().hex[:16]}",
            "kind": _pick(rng, KINDS),
            "case_ref": case_ref,
            "from_person_id": sender.id,
            "from_team_id": sender.team_id,
            "to_team_id": team.id,
            "method": rng.choice(("phone", "secure_email", "portal")),
            "nation": team.nation,
            "sent_at": sent_at,
            "ack_due_at": calendar.add_working_days(sent_at, 1),
            "feedback_due_at": calendar.add_working_days(sent_at, 3),
            "chase_count": 0,
            "status": "closed",
            "created_at": sent_at,
        }
        if rng.random() >= plan.unacknowledged_rate:
            ack = _minutes(rng, 150 * pace, 1.0, cap=12 * DAY_MINUTES)
            acknowledged_at = calendar.add_working_minutes(sent_at, ack)
            if acknowledged_at <= self.now:
                row |= {"acknowledged_at": acknowledged_at, "ack_working_minutes": ack}
                row["chase_count"] = 0 if ack <= DAY_MINUTES else min(3, 1 + ack // (2 * DAY_MINUTES))
                if rng.random() >= plan.no_feedback_rate:
                    feedback = ack + _minutes(rng, 900 * pace, 0.8, cap=25 * DAY_MINUTES)
                    feedback_at = calendar.add_working_minutes(sent_at, feedback)
                    if feedback_at <= self.now:
                        outcome = _pick(rng, OUTCOMES)
                        reason = (
                            "Below threshold; family offered early help."
                            if outcome == "no_further_action"
                            else ""
                        )
                        row |= {
                            "feedback_at": feedback_at,
                            "feedback_working_minutes": feedback,
                            "outcome": outcome,
                            "outcome_reason": reason,
                        }
        else:
            row["chase_count"] = 3
        decided_at = row.get("feedback_at") or min(self.now, sent_at + timedelta(days=14))
        # History is closed: open items would need the chases tracking schedules when a referral is made.
        row["closed_at"] = decided_at
        self.items.append(row)
        self._maybe_escalate(row, team=team, sender=sender)
        if row.get("outcome") == "no_further_action" and rng.random() < plan.re_referral_rate:
            later = decided_at + timedelta(days=rng.uniform(3, 80), hours=rng.uniform(0, 8))
            self.item(team=team, sender=sender, sent_at=later, pace=pace, case_ref=case_ref)

    def _maybe_escalate(self, row: dict[str, Any], *, team: Team, sender: Person) -> None:
        rng = self.rng
        late = (row.get("ack_working_minutes") or 10**6) > DAY_MINUTES
        chance = self.plan.escalation_rate * (3 if row.get("outcome") == "no_further_action" or late else 1)
        if rng.random() >= chance:
            return
        calendar = self.calendar(team)
        opened_at = calendar.next_working_time(
            (row.get("feedback_at") or row["ack_due_at"]) + timedelta(hours=rng.uniform(1, 30))
        )
        if opened_at >= self.now:
            return
        level = int(_pick(rng, (("1", 0.6), ("2", 0.28), ("3", 0.1), ("4", 0.02))))
        escalation: dict[str, Any] = {
            "ref": f"new-{uuid.uuid4().hex[:16]}",
            "case_ref": row["case_ref"],
            "raised_by_person_id": sender.id,
            "other_team_id": team.id,
            "level": level,
            "level_started_at": opened_at,
            "status": "open",
            "opened_at": opened_at,
        }
        age = calendar.working_days_between(calendar.local(opened_at).date(), calendar.local(self.now).date())
        if age <= RECENT_WORKING_DAYS and self.open_escalations < MAX_OPEN_ESCALATIONS:
            self.open_escalations += 1
            self.escalations.append(escalation | self._still_open(team, opened_at, rng.random() < 0.4))
            return
        days = rng.randint(1, 3) * level
        closed_at = min(calendar.add_working_days(opened_at, days), self.now)
        withdrawn = rng.random() < 0.1
        escalation |= {
            "status": "withdrawn" if withdrawn else "resolved",
            "outcome": "withdrawn"
            if withdrawn
            else ("Decided by the partnership" if level == 4 else "Agreed next steps"),
            "closed_at": closed_at,
            "resolution_working_days": calendar.working_days_between(
                calendar.local(opened_at).date(), calendar.local(closed_at).date()
            ),
        }
        self.escalations.append(escalation)

    def _still_open(self, team: Team, opened_at: datetime, moved_up: bool) -> dict[str, Any]:
        """An open escalation's level and deadline, on the challenged team's calendar (its hours too)."""
        calendar = calendar_for_team(team=team, settings=self.calendars.settings)

        def days(level: int) -> int:
            found = self.policy.level(level).working_days if self.policy is not None else None
            return found if found is not None else OPEN_LEVEL_DAYS.get(level, 5)

        level, started = 1, opened_at
        level_2_at = calendar.add_working_days(opened_at, days(1))
        if moved_up and level_2_at < self.now:
            level, started = 2, level_2_at
        return {
            "level": level,
            "level_started_at": started,
            "level_due_at": calendar.add_working_days(started, days(level)),
            "status": "open",
        }


def _insert(session: Session, model: Any, rows: list[dict[str, Any]], prefix: str, batch_size: int) -> None:
    for start in range(0, len(rows), batch_size):
        session.execute(insert(model), rows[start : start + batch_size])
    placeholders = session.exec(select(model.id).where(col(model.ref).like("new-%"))).all()
    if placeholders:
        session.execute(update(model), [{"id": i, "ref": f"{prefix}-{i:04d}"} for i in placeholders])


def generate_history(
    *,
    session: Session,
    clock: Clock,
    teams: Sequence[Team],
    senders: Sequence[Person],
    plan: HistoryPlan = HistoryPlan(),
    calendars: CalendarCache | None = None,
    batch_size: int = 2000,
) -> HistorySummary:
    """Insert `plan.months` of referrals from `senders` to `teams`, ending now; return how many rows."""
    now = clock.now()
    policy = session.exec(select(PolicyVersion).order_by(col(PolicyVersion.id))).first()
    maker = _Maker(
        plan=plan,
        now=now,
        calendars=calendars or CalendarCache(),
        policy=policy_of(policy) if policy is not None else None,
    )
    start = now - timedelta(days=round(plan.months * 30.4))
    weeks = (now - start).days / 7
    rng = maker.rng
    for team in teams:
        pace = rng.choice((0.3, 0.6, 1.0, 1.0, 1.6, 2.5))  # each team has its own speed
        volume = plan.referrals_per_team_week * rng.choice((0.3, 0.7, 1.0, 1.0, 1.5, 3.0))
        if team.key.endswith("front-door"):
            volume *= FRONT_DOOR_SHARE  # children's and adults' front doors take the most referrals anywhere
        count = int(volume * weeks)
        eligible = [p for p in senders if p.team_id != team.id] or list(senders)
        for _ in range(count):
            sent_at = start + timedelta(seconds=rng.uniform(0, (now - start).total_seconds()))
            case_ref = f"NB-{rng.randint(100000, 999999)}"
            maker.item(team=team, sender=rng.choice(eligible), sent_at=sent_at, pace=pace, case_ref=case_ref)
    _insert(session, TrackedItem, maker.items, "TI", batch_size)
    escalations = maker.escalations if policy is not None else []
    for row in escalations:
        row["policy_version_id"] = policy.id if policy else 0
    _insert(session, Escalation, escalations, "ES", batch_size)
    session.flush()
    return HistorySummary(items=len(maker.items), escalations=len(escalations))


def history_teams(*, session: Session) -> list[Team]:
    """Return the teams that receive referrals: every team but the 999 line (front doors carry it too)."""
    emergency = set(
        session.exec(select(ContactRoute.team_id).where(col(ContactRoute.value).in_(EMERGENCY_NUMBERS))).all()
    )
    return [t for t in session.exec(select(Team).order_by(col(Team.id))).all() if t.id not in emergency]


def seed_demo_history(session: Session, clock: Clock) -> None:
    """Demo seeder: six months of history for the demo borough, once (skipped if already seeded or empty)."""
    if session.exec(select(AuditEvent.id).where(col(AuditEvent.action) == SEEDED_ACTION)).first() is not None:
        return
    teams = history_teams(session=session)
    senders = list(
        session.exec(select(Person).where(col(Person.team_id).is_not(None)).order_by(col(Person.id))).all()
    )
    if not teams or not senders:
        return
    summary = generate_history(session=session, clock=clock, teams=teams, senders=senders)
    audit.record(
        session=session,
        at=clock.now(),
        actor="system:demo",
        action=SEEDED_ACTION,
        subject="demo:history",
        data={"items": summary.items, "escalations": summary.escalations},
    )
