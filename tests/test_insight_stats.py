"""The stats card, its role scope, and the signed links that insight and edit directory send."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from handlers.dispatch import Dispatcher
from handlers.insight import commands as stats
from handlers.insight.links import (
    LinkRefused,
    make_link_token,
    make_session_token,
    read_link_token,
    read_session_token,
)
from handlers.insight.scope import directory_scope, insight_scope
from handlers.messages import InboundMessage, RecordingNotifier, Reply
from handlers.router import Router
from schedules.insight.durations import CalendarCache, backfill_durations
from schedules.insight.figures import Distribution, EscalationFigures
from schedules.settings import DomainSettings
from schedules.time.clock import FakeClock
from storage.errors import NotAllowed
from storage.models import AuditEvent, Person, RoleGrant, Team
from tests.insight_fixture import NOW, seed

SECRET = SecretStr("test-secret")


@pytest.fixture
def ids(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions.begin() as session:
        ids = seed(session)
        backfill_durations(session=session, calendars=CalendarCache())
        people = {
            "hv.manager": Person(
                handle="hv.manager", display_name="HV manager", role="manager", team_id=ids["hv"]
            ),
            "nscp.lead": Person(handle="nscp.lead", display_name="Partnership lead", role="partnership"),
            "dir.admin": Person(handle="dir.admin", display_name="Directory admin", role="directory_admin"),
        }
        session.add_all(people.values())
        session.flush()
        ids |= {handle: person.id or 0 for handle, person in people.items()}
    return ids


def _dispatcher(sessions: sessionmaker[Session]) -> Dispatcher:
    router = Router()
    stats.register(router)
    return Dispatcher(
        router=router,
        sessions=sessions,
        clock=FakeClock(NOW),
        notifier=RecordingNotifier(),
        settings=DomainSettings(public_base_url="https://joinup.example.org", link_secret=SECRET),
    )


async def _say(sessions: sessionmaker[Session], handle: str, text: str) -> Reply:
    return await _dispatcher(sessions).handle(
        InboundMessage(platform="console", sender_key=handle, text=text)
    )


def _fields(reply: Reply) -> dict[str, str]:
    return {field.label: field.value for field in reply.fields}


async def test_stats_card_shows_the_hand_computed_figures(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    reply = await _say(sessions, "nscp.lead", "stats front door last month")
    assert reply.text.startswith("Figures for Children's front door, December 2026.")
    assert _fields(reply) == {
        "Referrals": "4",
        "Time to acknowledge": "median 2 working hours; 9 in 10 within 13 working hours",
        "Acknowledged on time": "2 of 4 (50%)",
        "Time to feedback": "median 12 working hours; 9 in 10 within 32 working hours",
        "Feedback on time": "2 of 4 (50%)",
        "Needed 2 or more chases or attempts": "2 of 4 (50%)",
        "Referred again within 90 days of no further action": "1 of 1 (100%)",
        "Escalations opened": "3 (level 1: 1, level 2: 1, level 3: 1); 2 resolved, median 4 working days",
        # ES-0002 resolved at level 1, ES-0001 at level 2; ES-0003 (December) and ES-0004 (January) are open.
        "Escalations resolved at the lowest level": "1 of 2 resolved (50%)",
        "Open escalations past their level deadline": "0 of 2 open",
    }
    assert [(b.action, b.value) for b in reply.buttons] == [
        ("insight", ""),
        ("stats", "front door this month"),
        ("stats", "front door last quarter"),
    ]
    quarter = await _say(sessions, "nscp.lead", "stats front door last quarter")
    assert [b.value for b in quarter.buttons[1:]] == ["front door this month", "front door last 6 months"]


async def test_partnership_sees_every_team_busiest_first(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    reply = await _say(sessions, "nscp.lead", "figures previous month")
    assert "every team you can see" in reply.text
    assert _fields(reply)["Referrals"] == "5"
    assert [s.title for s in reply.sections] == [
        "Children's front door",
        "LADO",
        "Escalations: Northbrook Community Health → Northbrook Council",
    ]


async def test_manager_sees_teams_they_refer_to_but_not_others(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    with sessions() as session:
        manager = session.get(Person, ids["hv.manager"])
        assert manager is not None
        scope = insight_scope(session=session, person=manager, clock=FakeClock(NOW))
    assert scope.team_ids == frozenset({ids["hv"], ids["front_door"], ids["lado"]})
    with sessions.begin() as session:
        session.add(
            Person(handle="lado.manager", display_name="LADO manager", role="manager", team_id=ids["lado"])
        )
    refused = await _say(sessions, "lado.manager", "stats front door last month")
    assert refused.text.startswith("You can't see figures for Children's front door.")
    own = await _say(sessions, "lado.manager", "stats lado last month")
    assert _fields(own)["Referrals"] == "1"


async def test_practitioners_are_told_who_can_see_figures(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    reply = await _say(sessions, "hv.amy", "stats")
    assert reply.text.startswith("You can't see the area-wide figures.")
    assert "for the safeguarding partnership" in reply.text
    with sessions() as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "access.refused")).one()
    assert refused.actor == "hv.amy"


async def test_unknown_team_and_period_get_friendly_replies(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    assert "I can't find team dentists" in (await _say(sessions, "nscp.lead", "stats dentists")).text
    assert "I know these periods" in (await _say(sessions, "nscp.lead", "stats lado last fortnight")).text


async def test_one_resolved_escalation_says_day_not_days() -> None:
    one = stats.escalation_field(
        [EscalationFigures(team_id=1, opened=1, by_level={1: 1}, resolution_days=Distribution(1, 1, 1))]
    )
    assert one.value == "1 (level 1: 1); 1 resolved, median 1 working day"


async def test_a_typo_in_the_team_name_still_finds_it(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    reply = await _say(sessions, "nscp.lead", "stats front dor last month")
    assert "Children's front door" in reply.text


def test_granted_scopes(sessions: sessionmaker[Session], ids: dict[str, int]) -> None:
    with sessions.begin() as session:
        amy = session.get(Person, ids["amy"])
        assert amy is not None
        with pytest.raises(NotAllowed):
            directory_scope(session=session, person=amy, clock=FakeClock(NOW))
    with sessions.begin() as session:
        amy = session.get(Person, ids["amy"])
        assert amy is not None
        agency = session.get(Team, ids["hv"])
        assert agency is not None
        session.add(RoleGrant(person_id=ids["amy"], role="directory_admin", agency_id=agency.agency_id))
        session.add(RoleGrant(person_id=ids["amy"], role="partnership"))
        session.flush()
        assert directory_scope(session=session, person=amy, clock=FakeClock(NOW)).team_ids == frozenset(
            {ids["hv"]}
        )
        assert insight_scope(session=session, person=amy, clock=FakeClock(NOW)).team_ids is None


async def test_insight_sends_a_signed_link_and_audits_it(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    reply = await _say(sessions, "nscp.lead", "insight")
    assert "works once, within 15 minutes" in reply.text and reply.is_private
    url = next(word for word in reply.text.split() if word.startswith("https://"))
    assert url.startswith("https://joinup.example.org/web/enter?t=")
    token = parse_qs(urlparse(url).query)["t"][0]
    claims = read_link_token(secret=SECRET, token=token, now=NOW + timedelta(minutes=14))
    assert (claims.person_id, claims.purpose) == (ids["nscp.lead"], "insight")
    with sessions() as session:
        assert session.exec(select(AuditEvent.action).where(AuditEvent.action == "web.link_sent")).all()


async def test_edit_directory_is_for_directory_admins(
    sessions: sessionmaker[Session], ids: dict[str, int]
) -> None:
    assert "/web/enter?t=" in (await _say(sessions, "dir.admin", "edit the directory")).text
    refused = await _say(sessions, "hv.amy", "edit directory")
    assert refused.text.startswith("You can't edit Health visiting in the directory.")


def test_links_expire_after_15_minutes_and_refuse_tampering() -> None:
    token = make_link_token(secret=SECRET, person_id=7, purpose="directory", now=NOW)
    assert read_link_token(secret=SECRET, token=token, now=NOW).purpose == "directory"
    with pytest.raises(LinkRefused) as expired:
        read_link_token(secret=SECRET, token=token, now=NOW + timedelta(minutes=15))
    assert expired.value.reason == "expired"
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense", ""):
        with pytest.raises(LinkRefused) as tampered:
            read_link_token(secret=SECRET, token=bad, now=NOW)
        assert tampered.value.reason == "invalid"
    with pytest.raises(LinkRefused):
        read_link_token(secret=SecretStr("another secret"), token=token, now=NOW)


def test_a_link_token_is_not_a_session_token() -> None:
    link = make_link_token(secret=SECRET, person_id=7, purpose="insight", now=NOW)
    claims = read_link_token(secret=SECRET, token=link, now=NOW)
    with pytest.raises(LinkRefused):
        read_session_token(secret=SECRET, token=link, now=NOW)
    session = make_session_token(secret=SECRET, claims=claims, now=NOW)
    assert read_session_token(secret=SECRET, token=session, now=NOW + timedelta(minutes=59)).person_id == 7
    with pytest.raises(LinkRefused):
        read_session_token(secret=SECRET, token=session, now=NOW + timedelta(hours=1))


def test_working_time_wording() -> None:
    assert [stats.working_time(m) for m in (None, 45, 60, 90, 780)] == [
        "none yet",
        "45 minutes",
        "1 working hour",
        "1.5 working hours",
        "13 working hours",
    ]
