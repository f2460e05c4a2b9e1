"""Microsoft Graph through msgraph-sdk against a fake Graph: profiles, managers, sync, and graceful failure."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ClientAuthenticationError
from azure.identity.aio import ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.teams.graph import GraphPeople, GraphProfile, build_graph_client
from bot.teams.people import sync_people
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, Person
from tests.fakes.graph import FakeGraph
from tests.fakes.teams import APP_ID, TENANT_ID, FakeBotFramework
from tests.teams.conftest import AMY, JO, KATE, STRANGER, TeamsJoinup, build_joinup, teams_settings


def graph_people(fake: FakeGraph) -> GraphPeople:
    client = build_graph_client(teams_settings().teams, http_client=fake.http_client(), auth=fake.auth())
    assert client is not None
    return GraphPeople(client)


async def test_a_profile_has_mail_job_department_and_manager(fake_graph: FakeGraph) -> None:
    profile = await graph_people(fake_graph).profile(AMY)

    assert profile == GraphProfile(
        user_id=AMY,
        mail="hv.amy@example.org",
        display_name="Amy Hughes",
        job_title="Health visitor",
        department="0-19 Health",
        manager_id=KATE,
        manager_mail="mgr.kate@example.org",
    )
    assert f"/v1.0/users/{AMY}/manager" in fake_graph.requests


async def test_someone_without_a_manager_still_has_a_profile(fake_graph: FakeGraph) -> None:
    profile = await graph_people(fake_graph).profile(JO)

    assert profile is not None
    assert profile.mail == "sw.jo@example.org"
    assert profile.manager_id is None


async def test_graph_being_down_means_no_profile_not_an_error(fake_graph: FakeGraph) -> None:
    fake_graph.failing = True

    assert await graph_people(fake_graph).profile(AMY) is None


async def test_an_unknown_user_has_no_profile(fake_graph: FakeGraph) -> None:
    assert await graph_people(fake_graph).profile("not-in-the-directory") is None


def test_without_a_tenant_there_is_no_graph_client() -> None:
    assert build_graph_client(teams_settings().teams) is None


async def test_first_contact_links_a_new_person_to_their_manager(joinup: TeamsJoinup) -> None:
    await joinup.say("help", user=KATE)  # Kate uses joinup in Teams, so Graph's manager id finds her
    joinup.graph.add(
        STRANGER,
        name="Sam Newman",
        mail="new.starter@example.org",
        job_title="Family support worker",
        manager=KATE,
    )

    await joinup.say("help", user=STRANGER)

    sam = joinup.teams_person(STRANGER)
    assert sam is not None
    assert sam.email == "new.starter@example.org"
    assert sam.manager_id == joinup.person("mgr.kate").id
    assert sam.job_title == "Family support worker"
    with joinup.runtime.sessions() as session:
        events = session.exec(
            select(AuditEvent).where(col(AuditEvent.action) == "person.directory_synced")
        ).all()
    assert [event.subject for event in events] == [f"person:{sam.id}"]


async def test_when_graph_is_down_joinup_still_answers(joinup: TeamsJoinup) -> None:
    joinup.graph.failing = True

    response = await joinup.say("help", user=STRANGER)

    assert response.status_code == 200
    assert "I help you reach the right people" in joinup.replies(STRANGER)[0]
    sam = joinup.teams_person(STRANGER)
    assert sam is not None
    assert sam.email is None  # unlinked for now; the next contact or sync-people fills it in


async def test_the_next_contact_after_an_outage_fills_in_what_graph_knows(joinup: TeamsJoinup) -> None:
    await joinup.say("help", user=KATE)
    joinup.graph.failing = True
    await joinup.say("help", user=STRANGER)
    joinup.graph.failing = False
    joinup.graph.add(STRANGER, name="Sam Newman", mail="new.starter@example.org", manager=KATE)

    await joinup.say("mine", user=STRANGER)

    sam = joinup.teams_person(STRANGER)
    assert sam is not None
    assert sam.email == "new.starter@example.org"
    assert sam.manager_id == joinup.person("mgr.kate").id
    requests = len(joinup.graph.requests)
    await joinup.say("mine", user=STRANGER)
    assert len(joinup.graph.requests) == requests  # known, with an e-mail: Graph isn't asked again


async def test_sync_people_refreshes_everyone_known_on_teams(joinup: TeamsJoinup) -> None:
    await joinup.say("help", user=KATE)
    joinup.graph.failing = True
    await joinup.say("help", user=STRANGER)  # created without e-mail while Graph was down
    joinup.graph.failing = False
    joinup.graph.add(STRANGER, name="Sam Newman", mail="new.starter@example.org", manager=KATE)
    people = graph_people(joinup.graph)

    result = await sync_people(sessions=joinup.runtime.sessions, clock=joinup.clock, graph=people)

    assert (result.checked, result.failed) == (2, 0)
    sam = joinup.teams_person(STRANGER)
    assert sam is not None
    assert sam.email == "new.starter@example.org"
    assert sam.manager_id == joinup.person("mgr.kate").id
    again = await sync_people(sessions=joinup.runtime.sessions, clock=joinup.clock, graph=people)
    assert again.updated == 0  # nothing changed, nothing audited twice


async def test_sync_people_counts_failures_and_changes_nothing_for_them(joinup: TeamsJoinup) -> None:
    await joinup.say("help", user=AMY)
    joinup.graph.failing = True
    with joinup.runtime.sessions() as session:
        before = session.exec(select(Person).where(col(Person.handle) == "hv.amy")).one().model_dump()

    result = await sync_people(
        sessions=joinup.runtime.sessions, clock=joinup.clock, graph=graph_people(joinup.graph)
    )

    assert (result.checked, result.updated, result.failed) == (1, 0, 1)
    with joinup.runtime.sessions() as session:
        assert session.exec(select(Person).where(col(Person.handle) == "hv.amy")).one().model_dump() == before


async def test_someone_who_uses_slack_too_is_one_person_on_both(joinup: TeamsJoinup) -> None:
    with joinup.runtime.sessions.begin() as session:  # Amy met joinup in Slack first
        amy = session.exec(select(Person).where(col(Person.handle) == "hv.amy")).one()
        amy.slack_user_id = "U0AMYHUGHES"

    await joinup.say("mine", user=AMY)

    amy = joinup.person("hv.amy")
    assert (amy.slack_user_id, amy.teams_user_id) == ("U0AMYHUGHES", AMY)
    with joinup.runtime.sessions() as session:
        assert len(session.exec(select(Person).where(col(Person.email) == "hv.amy@example.org")).all()) == 1


async def test_someone_met_while_graph_was_down_is_linked_when_it_answers(joinup: TeamsJoinup) -> None:
    amy = joinup.person("hv.amy")  # the demo health visitor, known by e-mail (e.g. from Slack)
    joinup.graph.failing = True
    await joinup.say("help", user=AMY)
    first = joinup.teams_person(AMY)
    assert first is not None and first.id != amy.id and first.email is None

    joinup.graph.failing = False
    await joinup.say("mine", user=AMY)  # Graph gives her e-mail: her Teams id moves to hv.amy

    linked = joinup.teams_person(AMY)
    assert linked is not None and linked.id == amy.id
    with joinup.runtime.sessions() as session:
        assert "person.linked" in session.exec(select(AuditEvent.action)).all()


class WrongSecret:
    """An azure-identity credential as it behaves with a wrong or expired client secret."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        raise ClientAuthenticationError("AADSTS7000215: Invalid client secret provided.")

    async def close(self) -> None:
        return None


def unreachable_token_endpoint() -> ClientSecretCredential:
    """A real client-secret credential whose Entra ID has no route (nothing listens on the port)."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    return ClientSecretCredential(
        TENANT_ID,
        APP_ID,
        "not-a-real-secret",
        authority=f"https://127.0.0.1:{port}",
        disable_instance_discovery=True,
        retry_total=0,
    )


def people_with(credential: AsyncTokenCredential, fake: FakeGraph, **kwargs: Any) -> GraphPeople:
    auth = AzureIdentityAuthenticationProvider(credential, scopes=["https://graph.microsoft.com/.default"])
    client = build_graph_client(teams_settings().teams, http_client=fake.http_client(), auth=auth)
    assert client is not None
    return GraphPeople(client, **kwargs)


async def test_a_wrong_secret_means_no_profile_not_an_error(fake_graph: FakeGraph) -> None:
    assert await people_with(WrongSecret(), fake_graph).profile(AMY) is None
    assert fake_graph.requests == []  # nothing reached Graph without a token


async def test_no_route_to_the_token_endpoint_means_no_profile_not_an_error(fake_graph: FakeGraph) -> None:
    credential = unreachable_token_endpoint()
    try:
        assert await people_with(credential, fake_graph).profile(AMY) is None
    finally:
        await credential.close()


async def test_graph_failures_are_logged_once_a_minute(
    fake_graph: FakeGraph, caplog: pytest.LogCaptureFixture
) -> None:
    now = [1000.0]
    people = people_with(WrongSecret(), fake_graph, monotonic=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="bot.teams.graph")

    for _ in range(5):
        await people.profile(AMY)
    now[0] += 61
    await people.profile(JO)

    lines = [record for record in caplog.records if record.name == "bot.teams.graph"]
    assert len(lines) == 2
    assert lines[1].__dict__["failures"] == 5  # the four held back, and this one
    assert all(record.exc_info is None for record in lines)  # an expected failure: one line, no traceback


async def test_a_graph_token_failure_still_answers_the_person(
    fake_teams: FakeBotFramework, fake_graph: FakeGraph, clock: FakeClock, engine: Engine
) -> None:
    app = build_joinup(
        fake=fake_teams, graph=fake_graph, clock=clock, engine=engine, graph_auth=wrong_secret_auth()
    )
    async with app.http:
        response = await app.say("help", user=STRANGER)

    assert response.status_code == 200
    assert len(app.replies(STRANGER)) == 1
    sam = app.teams_person(STRANGER)
    assert sam is not None and sam.email is None  # handled without Graph data, to be filled in later

    fake_graph_ok = build_joinup(fake=fake_teams, graph=fake_graph, clock=clock, engine=engine)
    async with fake_graph_ok.http:
        await fake_graph_ok.say("help", user=STRANGER)
    healed = fake_graph_ok.teams_person(STRANGER)
    assert healed is not None and healed.email == "new.starter@example.org"


def wrong_secret_auth() -> AzureIdentityAuthenticationProvider:
    return AzureIdentityAuthenticationProvider(WrongSecret(), scopes=["https://graph.microsoft.com/.default"])
