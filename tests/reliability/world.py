"""A small borough for the reliability tests: referrers on Slack and Teams, a front door, a directory admin.

Reminders travel through the real outbox sweep, the real renderers and the real Slack and Teams notifiers,
which talk HTTP to bot/loadgen.FakePlatform served in this event loop. Time is a FakeClock moved straight to
the next due reminder, so retries with minutes of backoff cost no wall-clock time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import jwt
from pydantic import SecretStr
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.config import SlackSettings, TeamsSettings
from bot.notify import RoutingNotifier
from bot.runtime import build_router
from bot.slack.notifier import build_slack_notifier
from bot.teams.notify import build_teams_notifier
from handlers.router import Router
from handlers.tracking.chasing import run_sweep
from schedules.outbox import rows as outbox
from schedules.outbox.sweep import SweepReport
from schedules.settings import ReminderSettings
from schedules.time.clock import FakeClock
from schedules.tracking.items import refer
from storage.models import (
    Agency,
    ContactRoute,
    ConversationRef,
    Person,
    Reminder,
    RoleGrant,
    Team,
    TrackedItem,
)

APP_ID = "5f2a9c1e-0b7d-4c3a-9e61-2d8f4b7a1c11"
TOKEN = jwt.encode(
    {"aud": "https://api.botframework.com", "appid": APP_ID, "exp": 4102444800}, "t" * 32, algorithm="HS256"
)


def fixed_token(scope: str | list[str], tenant_id: str | None) -> str:
    """The bot's outbound Teams token (no Entra ID to ask; the fake never checks it)."""
    return TOKEN


class NoSleep:
    """The Teams retry middleware's sleep: records each wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@dataclass
class Borough:
    """Ids of the people and team in the reliability world."""

    front_door: int
    jo: int  # the front door's contact person (Slack): receives the receiving-side chases
    admin: int  # directory admin of the children's services agency (Slack)
    referrers: list[int] = field(default_factory=list)


def build_borough(
    sessions: sessionmaker[Session], clock: FakeClock, *, fake_url: str, referrers: int, teams_every: int = 0
) -> Borough:
    """People and a front door; referrer n is on Teams when teams_every and n % teams_every == 0."""
    with sessions.begin() as session:
        childrens = Agency(
            key="nb-childrens", name="Northbrook children's services", kind="children_social_care"
        )
        health = Agency(key="nb-health", name="Northbrook 0-19 health", kind="health")
        session.add_all([childrens, health])
        session.flush()
        assert childrens.id is not None and health.id is not None
        front_door = Team(
            key="front-door",
            agency_id=childrens.id,
            name="Children's front door",
            contact_person_handle="sw.jo",
        )
        health_visiting = Team(key="health-visiting", agency_id=health.id, name="Health visiting")
        session.add_all([front_door, health_visiting])
        session.flush()
        assert front_door.id is not None
        session.add(
            ContactRoute(
                key="front-door-phone",
                team_id=front_door.id,
                kind="phone",
                value="0161 496 0100",
                ack_expected=1,
                response_expected=3,
            )
        )
        jo = _person(session, clock, "sw.jo", front_door.id, slack="U0JO", fake_url=fake_url)
        admin = _person(session, clock, "da.sam", front_door.id, slack="U0SAM", fake_url=fake_url)
        session.add(RoleGrant(person_id=admin, role="directory_admin", agency_id=childrens.id))
        ids = []
        for n in range(1, referrers + 1):
            on_teams = bool(teams_every) and n % teams_every == 0
            ids.append(
                _person(
                    session,
                    clock,
                    f"hv.ref{n}",
                    health_visiting.id,
                    slack=None if on_teams else f"U0REF{n}",
                    teams=f"29:ref{n}" if on_teams else None,
                    fake_url=fake_url,
                )
            )
        return Borough(front_door=front_door.id, jo=jo, admin=admin, referrers=ids)


def _person(
    session: Session,
    clock: FakeClock,
    handle: str,
    team_id: int | None,
    *,
    slack: str | None,
    fake_url: str,
    teams: str | None = None,
) -> int:
    person = Person(handle=handle, display_name=handle, team_id=team_id, created_at=clock.now())
    session.add(person)
    session.flush()
    assert person.id is not None
    if slack:
        address = {"user_id": slack}
        session.add(
            ConversationRef(person_id=person.id, platform="slack", address=address, updated_at=clock.now())
        )
    if teams:
        address = {"conversation_id": f"a:{teams}", "service_url": f"{fake_url}/teams"}
        session.add(
            ConversationRef(person_id=person.id, platform="teams", address=address, updated_at=clock.now())
        )
    return person.id


def refer_all(
    sessions: sessionmaker[Session], clock: FakeClock, borough: Borough, settings: ReminderSettings
) -> list[int]:
    """Each referrer refers one case to the front door; return the item ids."""
    items = []
    with sessions.begin() as session:
        team = session.get(Team, borough.front_door)
        assert team is not None
        for n, person_id in enumerate(borough.referrers, start=1):
            person = session.get(Person, person_id)
            assert person is not None
            item = refer(
                session=session,
                clock=clock,
                settings=settings,
                person=person,
                team=team,
                case_ref=f"NB-{204500 + n}",
            )
            assert item.id is not None
            items.append(item.id)
    return items


def notifier(sessions: sessionmaker[Session], *, fake_url: str) -> RoutingNotifier:
    """The production notifiers (Slack client retries, Teams retry middleware) pointed at the fake platform."""
    slack = SlackSettings(
        enabled=True, bot_token=SecretStr("xoxb-reliability"), api_url=f"{fake_url}/slack/api/"
    )
    teams = TeamsSettings(
        enabled=True, app_id=APP_ID, tenant_id="reliability-tenant", allow_unauthenticated=True
    )
    return RoutingNotifier(
        sessions=sessions,
        platforms={
            "slack": build_slack_notifier(
                slack, sessions=sessions, retry_interval=FixedValueRetryIntervalCalculator(0.0)
            ),
            "teams": build_teams_notifier(teams, sessions=sessions, token=fixed_token, sleep=NoSleep()),
        },
    )


@dataclass
class Drive:
    """What driving the sweep to quiescence took."""

    report: SweepReport = field(default_factory=SweepReport)
    sweeps: int = 0


async def sweep_until_quiet(
    *,
    sessions: sessionmaker[Session],
    clock: FakeClock,
    notifier: RoutingNotifier,
    settings: ReminderSettings,
    router: Router | None = None,
    until: datetime | None = None,
    max_sweeps: int = 500,
) -> Drive:
    """Jump the clock to each next due reminder and sweep, until none is pending (or `until` is reached)."""
    router = router or build_router()
    drive = Drive()
    while drive.sweeps < max_sweeps:
        with sessions() as session:
            due = outbox.next_due_at(session=session)
        if due is None or (until is not None and due > until):
            return drive
        if due > clock.now():
            clock.set(due)
        drive.report.add(
            await run_sweep(
                router=router, sessions=sessions, clock=clock, notifier=notifier, settings=settings
            )
        )
        drive.sweeps += 1
    raise AssertionError(f"the outbox was still busy after {max_sweeps} sweeps")


def reminders(sessions: sessionmaker[Session]) -> list[Reminder]:
    """Every reminder row, detached."""
    with sessions() as session:
        rows = list(session.exec(select(Reminder).order_by(col(Reminder.id))))
        for row in rows:
            session.expunge(row)
        return rows


def items(sessions: sessionmaker[Session]) -> list[TrackedItem]:
    """Every tracked item, detached."""
    with sessions() as session:
        rows = list(session.exec(select(TrackedItem).order_by(col(TrackedItem.id))))
        for row in rows:
            session.expunge(row)
        return rows
