"""A small, hand-computed history for insight tests: December 2026 around the Christmas bank holidays.

Calendar: England, 9:00 to 17:00 (GMT, so London time equals UTC). Fri 25 and Mon 28 December 2026 are bank
holidays (28 December is the substitute for Boxing Day). Every expected figure below is worked out by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from schedules.insight.periods import Period, london_midnight
from storage.models import Agency, ContactAttempt, Escalation, Person, PolicyVersion, Team, TrackedItem

DECEMBER = Period(
    london_midnight(datetime(2026, 12, 1).date()),
    london_midnight(datetime(2027, 1, 1).date()),
    "December 2026",
)
NOW = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, *, month: int = 12, year: int = 2026) -> datetime:
    """Return a December 2026 moment (UTC equals London time in winter)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def seed(session: Session) -> dict[str, int]:
    """Load the fixture; return ids by name."""
    council = Agency(key="council", name="Northbrook Council", kind="children_social_care")
    health = Agency(key="health", name="Northbrook Community Health", kind="health")
    session.add_all([council, health])
    session.flush()
    front_door = Team(key="front-door", agency_id=council.id or 0, name="Children's front door")
    hv = Team(key="health-visiting", agency_id=health.id or 0, name="Health visiting")
    ldo = Team(key="lado", agency_id=council.id or 0, name="LADO")
    session.add_all([front_door, hv, ldo])
    session.flush()
    amy = Person(handle="hv.amy", display_name="Amy (HV)", team_id=hv.id, role="practitioner")
    session.add(amy)
    session.flush()
    number = 0

    def item(case_ref: str, to: Team, sent_at: datetime, **values: object) -> TrackedItem:
        nonlocal number
        number += 1
        row = TrackedItem(
            ref=f"TI-{number:04d}",
            case_ref=case_ref,
            from_person_id=amy.id or 0,
            from_team_id=hv.id,
            to_team_id=to.id or 0,
            sent_at=sent_at,
            created_at=sent_at,
            **values,  # type: ignore[arg-type]
        )
        session.add(row)
        session.flush()
        return row

    # 1: across the holidays. Ack 120 working minutes (Thu 16-17, Tue 9-10); feedback 720 (60 + 480 + 180).
    item(
        "NB-1001", front_door, at(24, 16),
        ack_due_at=at(29, 17), feedback_due_at=at(31, 17),
        acknowledged_at=at(29, 10), feedback_at=at(30, 12),
        outcome="no_further_action", outcome_reason="below threshold", status="closed", closed_at=at(30, 12),
    )  # fmt: skip
    # 2: ack 30 minutes; feedback at the very deadline, 4 full days = 1920 minutes (on time).
    item(
        "NB-1002", front_door, at(1, 9),
        ack_due_at=at(2, 17), feedback_due_at=at(4, 17),
        acknowledged_at=at(1, 9, 30), feedback_at=at(4, 17),
        outcome="accepted_for_assessment", status="closed", closed_at=at(4, 17),
    )  # fmt: skip
    # 3: ack late, 780 minutes (Mon 180 + Tue 480 + Wed 120); no feedback, now overdue; chased twice.
    item(
        "NB-1003", front_door, at(7, 14),
        ack_due_at=at(8, 17), feedback_due_at=at(10, 17), acknowledged_at=at(9, 11), chase_count=2,
    )  # fmt: skip
    # 4: never acknowledged (overdue); two attempts to reach the team.
    four = item("NB-1004", front_door, at(14, 10), ack_due_at=at(15, 17), feedback_due_at=at(17, 17))
    for hour in (11, 15):
        session.add(
            ContactAttempt(
                item_id=four.id, case_ref="NB-1004", team_id=front_door.id or 0, person_id=amy.id or 0,
                at=at(16, hour), result="no_answer",
            )
        )  # fmt: skip
    # 5: NB-1001 referred again after the NFA, in January (outside the period, but within 90 days).
    item("NB-1001", front_door, at(11, 10, month=1, year=2027), ack_due_at=at(12, 17, month=1, year=2027))
    # 6: November, outside the period.
    item("NB-0999", front_door, at(30, 10, month=11), acknowledged_at=at(30, 11, month=11))
    # 7: another team: one referral to the LADO, acknowledged in 2 hours.
    item("NB-2001", ldo, at(2, 10), ack_due_at=at(3, 17), acknowledged_at=at(2, 12))

    policy = PolicyVersion(
        key="northbrook", version=1, name="Northbrook ladder", sha256="0" * 64, loaded_at=at(1, 9)
    )
    session.add(policy)
    session.flush()

    def escalation(
        ref: str, level: int, status: str, opened_at: datetime, closed_at: datetime | None
    ) -> None:
        session.add(
            Escalation(
                ref=ref, case_ref="NB-1003", raised_by_person_id=amy.id or 0, other_team_id=front_door.id,
                policy_version_id=policy.id or 0, level=level, level_started_at=opened_at, status=status,
                opened_at=opened_at, closed_at=closed_at,
            )
        )  # fmt: skip

    # Wed 2 to Wed 9 December: 5 working days. Tue 22 to Wed 30: 23, 24, 29, 30 = 4 working days.
    escalation("ES-0001", 2, "resolved", at(2, 10), at(9, 15))
    escalation("ES-0002", 1, "resolved", at(22, 10), at(30, 11))
    escalation("ES-0003", 3, "open", at(23, 10), None)
    escalation("ES-0004", 1, "open", at(5, 10, month=1, year=2027), None)  # outside the period
    session.flush()
    return {"front_door": front_door.id or 0, "hv": hv.id or 0, "lado": ldo.id or 0, "amy": amy.id or 0}
