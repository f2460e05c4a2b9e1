"""The insight dashboard, CSV downloads, the directory editor and sign-in by signed link, through HTTP."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import pytest
from sqlmodel import col, select

from bot.web import build_web_app
from storage.models import AuditEvent, ContactRoute, ProcessedEvent, Team, TrackedItem
from tests.web.conftest import WebWorld

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def client(world: WebWorld) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_web_app(world.runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _use_link(client: httpx.AsyncClient, link: str) -> httpx.Response:
    """Open a link from chat and press Continue, as a person does."""
    page = await client.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200 and 'id="continue"' in page.text
    token = link.partition("?t=")[2]
    state = re.search(r'name="state" value="([^"]+)"', page.text)
    assert state is not None
    form = {"t": token, "state": state.group(1)}
    return await client.post("/web/enter", content=urlencode(form), headers=FORM)


async def _sign_in(client: httpx.AsyncClient, world: WebWorld, handle: str, purpose: str = "insight") -> None:
    response = await _use_link(client, world.link(handle, purpose))  # type: ignore[arg-type]
    assert response.status_code == 303
    assert response.headers["location"] == ("/insight" if purpose == "insight" else "/directory/edit")


def _actions(world: WebWorld) -> list[str]:
    with world.runtime.sessions() as session:
        return list(session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all())


async def test_pages_need_a_link_from_chat(client: httpx.AsyncClient) -> None:
    for path in ("/insight", "/directory/edit", "/insight/download/teams.csv", "/directory/edit/front-door"):
        response = await client.get(path)
        assert response.status_code == 403
        assert "Sign in from chat" in response.text


async def test_a_signed_link_opens_the_dashboard_and_is_audited(
    client: httpx.AsyncClient, world: WebWorld
) -> None:
    await _sign_in(client, world, "nscp.lead")
    page = await client.get("/insight")
    assert page.status_code == 200
    assert "Response times and repeat referrals" in page.text
    assert "Signed in as Pat Partnership until 1pm" in page.text
    assert "median 2 working hours; 9 in 10 within 13 working hours" in page.text
    assert page.text.count('role="img"') == 4
    assert 'href="/static/govuk/govuk-frontend.min.css"' in page.text
    assert (await client.get("/static/govuk/govuk-frontend.min.css")).status_code == 200
    assert (await client.get("/static/govuk/LICENSE.txt")).status_code == 404
    assert {"web.link_used", "insight.viewed"} <= set(_actions(world))


@pytest.mark.parametrize("spoil", ["expire", "tamper"])
async def test_an_expired_or_tampered_link_gets_a_clear_page(
    client: httpx.AsyncClient, world: WebWorld, spoil: str
) -> None:
    link = world.link("nscp.lead", "insight").removeprefix("http://testserver")
    if spoil == "expire":
        world.clock.advance(timedelta(minutes=15, seconds=1))
    else:
        link = link[:-3] + ("xyz" if not link.endswith("xyz") else "abc")
    response = await client.get(link)
    assert response.status_code == 403
    assert "Link expired — ask the bot for a new one" in response.text
    assert "joinup_web" not in response.cookies
    # Anyone can send a junk or stale token: counted, never written to the permanent audit log.
    assert "web.link_refused" not in _actions(world)


async def test_a_link_works_once_and_a_preview_does_not_use_it(
    client: httpx.AsyncClient, world: WebWorld
) -> None:
    link = world.link("nscp.lead", "insight")
    for _ in range(3):  # Slack, Teams or a mail scanner fetching the link to preview it
        assert (await client.get(link.removeprefix("http://testserver"))).status_code == 200
    assert "web.link_used" not in _actions(world)
    assert (await _use_link(client, link)).status_code == 303
    again = await client.get(link.removeprefix("http://testserver"))
    assert again.status_code == 403 and "Link already used — ask the bot for a new one" in again.text
    token = link.partition("?t=")[2]
    forwarded = await client.post("/web/enter", content=urlencode({"t": token}), headers=FORM)
    assert forwarded.status_code == 403 and "Each link works once" in forwarded.text
    assert _actions(world).count("web.link_used") == 1 and "web.link_refused" in _actions(world)
    fresh = world.link("nscp.lead", "insight")  # the next link the bot sends is a different one
    assert fresh != link and (await _use_link(client, fresh)).status_code == 303
    world.clock.advance(timedelta(minutes=31))  # both links long expired: their records go at the next use
    assert (await _use_link(client, world.link("nscp.lead", "insight"))).status_code == 303
    with world.runtime.sessions() as session:
        used = session.exec(
            select(ProcessedEvent.key).where(col(ProcessedEvent.key).startswith("web-link:"))
        ).all()
    assert len(used) == 1


async def test_a_session_ends_after_an_hour(client: httpx.AsyncClient, world: WebWorld) -> None:
    await _sign_in(client, world, "nscp.lead")
    world.clock.advance(timedelta(minutes=61))
    assert "Link expired" in (await client.get("/insight")).text


async def test_every_table_downloads_as_csv(client: httpx.AsyncClient, world: WebWorld) -> None:
    await _sign_in(client, world, "nscp.lead")
    response = await client.get("/insight/download/teams.csv", params={"period": "last month"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["Team", "Referrals", "Acknowledged: median hours"]
    assert rows[1] == [
        "Children's front door",
        "4",
        "2.0",
        "13.0",
        "50",
        "12.0",
        "32.0",
        "50",
        "50",
        "1",
        "1",
    ]
    for name in ("acknowledgement", "weekly", "escalations", "agency_pairs"):
        assert (await client.get(f"/insight/download/{name}.csv")).status_code == 200
    # December's escalations: health visiting → the council's front door, ES-0001 resolved at level 2 and
    # ES-0002 at level 1; ES-0003 still open (no deadline stored, so not late).
    pairs = await client.get("/insight/download/agency_pairs.csv", params={"period": "last month"})
    rows = list(csv.reader(io.StringIO(pairs.text)))
    assert rows[0][:4] == ["Agencies", "Opened", "Resolved", "Resolved at the lowest level %"]
    assert rows[1][:4] == ["Northbrook Community Health → Northbrook Council", "3", "2", "50"]
    assert rows[1][-2:] == ["2", "0"]
    assert (await client.get("/insight/download/people.csv")).status_code == 404
    assert "insight.downloaded" in _actions(world)


async def test_a_manager_sees_only_their_scope(client: httpx.AsyncClient, world: WebWorld) -> None:
    await _sign_in(client, world, "hv.manager")
    page = await client.get("/insight")
    assert "your teams and the teams you refer to" in page.text
    assert (await client.get("/insight", params={"team": "lado"})).status_code == 200
    with world.runtime.sessions.begin() as session:
        session.add(Team(key="police", agency_id=1, name="Westvale Police"))
    refused = await client.get("/insight", params={"team": "police"})
    assert refused.status_code == 403
    assert "You can&#39;t see figures for Westvale Police" in refused.text


async def test_a_practitioner_cannot_open_the_dashboard(client: httpx.AsyncClient, world: WebWorld) -> None:
    await _sign_in(client, world, "amy")
    refused = await client.get("/insight")
    assert refused.status_code == 403 and "area-wide figures" in refused.text
    assert (await client.get("/directory/edit")).status_code == 403


def _form(page: str) -> dict[str, str]:
    """Pull the hidden CSRF token out of a page."""
    marker = 'name="csrf" value="'
    start = page.index(marker) + len(marker)
    return {"csrf": page[start : page.index('"', start)]}


async def test_the_directory_lists_teams_and_flags_stale_ones(
    client: httpx.AsyncClient, world: WebWorld
) -> None:
    await _sign_in(client, world, "dir.admin", "directory")
    page = await client.get("/directory/edit")
    assert (
        page.status_code == 200 and "Children&#39;s front door" in page.text and "Due for review" in page.text
    )
    found = await client.get("/directory/edit", params={"q": "lado"})
    assert "LADO" in found.text and "front door" not in found.text


async def test_editing_shows_every_problem_and_saves_nothing(
    client: httpx.AsyncClient, world: WebWorld
) -> None:
    await _sign_in(client, world, "dir.admin", "directory")
    form = _form((await client.get("/directory/edit/front-door")).text)
    with world.runtime.sessions() as session:
        route_id = session.exec(select(ContactRoute.id)).one()
    bad = form | {
        "name": "",
        "hours": "monday 9-5",
        "review_interval_days": "3",
        f"route-{route_id}-kind": "phone",
        f"route-{route_id}-value": "not a number",
        f"route-{route_id}-ack_unit": "working_days",
        f"route-{route_id}-response_unit": "working_days",
    }
    response = await client.post("/directory/edit/front-door", data=bad)
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert response.text.count('class="govuk-error-message"') == 4
    assert f'href="#route-{route_id}-value"' in response.text
    assert "Error: Edit Children" in response.text  # the page title says there is an error
    with world.runtime.sessions() as session:
        assert (
            session.exec(select(Team.name).where(Team.key == "front-door")).one() == "Children's front door"
        )


async def test_a_good_edit_is_saved_and_audited(client: httpx.AsyncClient, world: WebWorld) -> None:
    await _sign_in(client, world, "dir.admin", "directory")
    page = (await client.get("/directory/edit/front-door")).text
    with world.runtime.sessions() as session:
        route_id = session.exec(select(ContactRoute.id)).one()
    form = _form(page) | {
        "name": "Children's front door and MASH",
        "purpose": "Worried about a child? Talk to the front door.",
        "handles": "worried about a child, referral, consultation",
        "not_for": "",
        "hours": "mon 08:45-17:15; fri 08:45-16:45",
        "review_interval_days": "90",
        f"route-{route_id}-kind": "phone",
        f"route-{route_id}-value": "0161 496 0101",
        f"route-{route_id}-label": "Duty line",
        f"route-{route_id}-when_to_use": "",
        f"route-{route_id}-how_to_leave_message": "",
        f"route-{route_id}-ack_expected": "1",
        f"route-{route_id}-ack_unit": "working_days",
        f"route-{route_id}-response_expected": "3",
        f"route-{route_id}-response_unit": "working_days",
    }
    response = await client.post("/directory/edit/front-door", data=form)
    assert response.status_code == 303
    assert response.headers["location"] == "/directory/edit/front-door?saved=3"
    assert "Saved 3 changes" in (await client.get(response.headers["location"])).text
    with world.runtime.sessions() as session:
        team = session.exec(select(Team).where(Team.key == "front-door")).one()
        value = session.exec(select(ContactRoute.value)).one()
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "directory.team_edited")).one()
    assert team.name == "Children's front door and MASH"
    assert team.hours == {"mon": [["08:45", "17:15"]], "fri": [["08:45", "16:45"]]} or team.hours == {
        "mon": [("08:45", "17:15")],
        "fri": [("08:45", "16:45")],
    }
    assert value == "0161 496 0101"
    assert event.actor == "dir.admin" and "name" in event.data["changed"]


async def test_mark_as_checked_updates_the_entry(client: httpx.AsyncClient, world: WebWorld) -> None:
    await _sign_in(client, world, "dir.admin", "directory")
    form = _form((await client.get("/directory/edit/front-door")).text)
    response = await client.post("/directory/edit/front-door/verify", data=form)
    assert response.status_code == 303
    page = (await client.get(response.headers["location"])).text
    assert "Marked as checked today" in page and "Friday 15 January 2027" in page
    assert "directory.verified" in _actions(world)


async def test_a_form_without_the_token_is_refused(client: httpx.AsyncClient, world: WebWorld) -> None:
    await _sign_in(client, world, "dir.admin", "directory")
    response = await client.post("/directory/edit/front-door/verify", data={"csrf": "forged"})
    assert response.status_code == 403
    assert "directory.verified" not in _actions(world)


def _referrals(page: str) -> str:
    found = re.search(r'Referrals</dt>\s*<dd class="govuk-summary-list__value">([^<]*)</dd>', page)
    assert found is not None
    return found.group(1)


async def test_figures_are_counted_again_after_five_minutes(
    client: httpx.AsyncClient, world: WebWorld
) -> None:
    await _sign_in(client, world, "nscp.lead")
    first = (await client.get("/insight", params={"period": "this month"})).text
    assert "Figures worked out at 12pm" in first
    assert _referrals(first) == "1"  # NB-1001's re-referral on 11 January
    with world.runtime.sessions.begin() as session:
        session.add(
            TrackedItem(
                ref="TI-9001", case_ref="NB-3001", from_person_id=world.ids["amy"], to_team_id=world.ids["lado"],
                sent_at=world.clock.now() - timedelta(hours=1), created_at=world.clock.now(),
            )
        )  # fmt: skip
    world.clock.advance(timedelta(minutes=4))
    assert _referrals((await client.get("/insight", params={"period": "this month"})).text) == "1"
    world.clock.advance(timedelta(minutes=1))
    later = (await client.get("/insight", params={"period": "this month"})).text
    assert "Figures worked out at 12:05pm" in later
    assert _referrals(later) == "2"
