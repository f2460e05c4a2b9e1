"""Pulling a neighbour's Open Referral feed: record by record, never all or nothing.

The feed is served by a fake HTTP server (httpx.MockTransport) paged the way councils' feeds page: the ORUK
1.0 style (`content`, `totalPages`, `last`) that openplace feeds such as Bristol's use, and HSDS 3.0 Pages.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, func, select

from bot.cli import cli
from directory.editing import EditRejected, apply_edit, list_teams, mark_verified
from directory.feed import services_page
from directory.index import build_index
from directory.pull import NO_CONTACT, NO_NAME, REPEATED_ID, SourceReport, read_records
from directory.pull_fetch import PullFailed, fetch_records
from directory.pull_store import PullHeld, store_pull
from directory.store import load_document
from directory.upkeep import stale_entries
from schedules.time.clock import FakeClock
from storage.models import AuditEvent, ContactRoute, Team

BRISTOL = Path(__file__).resolve().parents[3] / "shared" / "oruk" / "real" / "bristol-2024-12.json"
FEED = "https://feeds.example.org/o/ServiceDirectoryService/v2/services"


def oruk1_server(records: list[Any], *, hits: list[str] | None = None) -> httpx.MockTransport:
    """A fake council feed answering `?page=N&per_page=M` in the ORUK 1.0 (openplace) style."""

    def answer(request: httpx.Request) -> httpx.Response:
        if hits is not None:
            hits.append(str(request.url))
        page, size = int(request.url.params["page"]), int(request.url.params["per_page"])
        pages = -(-len(records) // size)
        chunk = records[(page - 1) * size : page * size]
        body = {"content": chunk, "totalElements": len(records), "totalPages": pages, "number": page,
                "size": size, "first": page == 1, "last": page >= pages}  # fmt: skip
        return httpx.Response(200, json=body)

    return httpx.MockTransport(answer)


def pull(
    sessions: sessionmaker[Session], clock: FakeClock, transport: httpx.BaseTransport, source: str = "bristol",
    **options: Any,
) -> tuple[SourceReport, Any]:  # fmt: skip
    with httpx.Client(transport=transport) as client:
        records = fetch_records(FEED, client=client)
    report = read_records(SourceReport(source), records)
    with sessions.begin() as session:
        summary = store_pull(session=session, clock=clock, report=report, actor="admin", **options)
    return report, summary


def service(number: int, **fields: Any) -> dict[str, Any]:
    """A fictional published service."""
    record = {
        "id": f"00000000-0000-4000-8000-{number:012d}",
        "name": f"Millbridge family group {number}",
        "description": f"<p>A drop-in group for families.&nbsp;Number {number}.</p>",
        "url": f"https://millbridge.example.org/groups/{number}",
        "email": "",
    }
    record.update(fields)
    return record


def pulled_count(sessions: sessionmaker[Session], source: str) -> int:
    with sessions() as session:
        published = (col(Team.source) == source, col(Team.retired_at).is_(None))
        return session.exec(select(func.count(col(Team.id))).where(*published)).one()


@pytest.mark.skipif(not BRISTOL.exists(), reason="the Bristol snapshot lives in ../shared/oruk/real")
def test_bristol_lands_per_record_and_a_second_pull_changes_nothing(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    records = json.loads(BRISTOL.read_text(encoding="utf-8"))
    hits: list[str] = []
    report, summary = pull(sessions, clock, oruk1_server(records, hits=hits))
    assert len(hits) == -(-len(records) // 50), "one request per page of 50, in order"
    assert report.pulled == 819 and len(report.usable) >= 770
    assert len(report.usable) + len(report.quarantined) == 819
    assert all(note.text in (NO_NAME, NO_CONTACT, REPEATED_ID) for note in report.quarantined)
    assert report.reasons()[NO_NAME] == 1 and report.reasons()[REPEATED_ID] == 2
    assert (summary.added, summary.updated, summary.removed) == (len(report.usable), 0, 0)
    assert pulled_count(sessions, "bristol") == len(report.usable)
    with sessions() as session:
        routes = session.exec(select(ContactRoute.value)).all()
        assert all(not v.startswith("www.") for v in routes), "a bare web address got https://"
        purposes = session.exec(select(Team.purpose).where(col(Team.source) == "bristol")).all()
        assert all("<p>" not in p and "&nbsp;" not in p and len(p) <= 2000 for p in purposes)
    assert any("had no scheme; https:// added" in n.text for n in report.fixed)
    assert any("personal-looking e-mail" in n.text for n in report.flagged)
    _, again = pull(sessions, clock, oruk1_server(records))
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, len(report.usable))
    assert pulled_count(sessions, "bristol") == len(report.usable)


def test_tidying_and_the_report(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    long = " ".join(f"Sentence number {n} about the group." for n in range(150))
    records = [
        service(1, url="www.millbridge.example.org/one"),
        service(2, description=long),
        service(3, url="", email="millbridge.toddlers@gmail.com"),
        service(4, url="", phones=[{"id": "p", "number": "07700 900123"}]),
        service(5, name="  "),
        service(6, url="", email=""),
        service(7, id=""),
        service(8, id="dup"),
        service(9, id="dup"),
        "not a record",
    ]
    report, summary = pull(sessions, clock, oruk1_server(records))
    assert [s.source_id[-1] for s in report.usable] == ["1", "2", "3", "4"]
    assert summary.added == 4
    assert {(n.name, n.text) for n in report.quarantined} >= {
        ("", NO_NAME),
        ("Millbridge family group 6", NO_CONTACT),
        ("Millbridge family group 8", REPEATED_ID),
    }
    by_id = {s.source_id[-1]: s for s in report.usable}
    assert by_id["1"].url == "https://www.millbridge.example.org/one"
    assert by_id["1"].description == "A drop-in group for families. Number 1."
    cut = by_id["2"].description
    assert len(cut) <= 2000 and cut.endswith("More at https://millbridge.example.org/groups/2")
    assert cut.split(" More at")[0].endswith("about the group.")
    flagged = " ".join(n.text for n in report.flagged)
    assert "millbridge.toddlers@gmail.com" in flagged and "07700 900123" in flagged
    text = "\n".join(report.lines())
    assert "10 services pulled, 4 usable, 6 quarantined" in text
    with sessions() as session:
        event = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "directory.pulled")).one()
        assert event.data["usable"] == 4


def test_pulled_services_are_read_only_and_stay_out_of_the_partnerships_own_lists(
    demo: Session, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    own_teams = len(load_document(session=demo).teams)
    own_feed = services_page(session=demo, at=clock.now(), per_page=100)["total_items"]
    own_index = len(build_index(demo).teams)
    demo.rollback()
    pull(sessions, clock, oruk1_server([service(n) for n in range(1, 6)]), source="millbridge")
    with sessions.begin() as session:
        team = session.exec(select(Team).where(col(Team.source) == "millbridge")).first()
        assert team is not None and team.source_pulled_at is not None
        with pytest.raises(EditRejected) as edited:
            apply_edit(session=session, clock=clock, team=team, form={"name": "Changed"}, actor="admin")
        assert "read-only here; ask its publisher" in edited.value.errors[0].message
        with pytest.raises(EditRejected) as verified:
            mark_verified(session=session, clock=clock, team=team, actor="admin")
        assert "comes from the millbridge feed" in verified.value.errors[0].message
        assert len(load_document(session=session).teams) == own_teams, "exports hold only our own teams"
        assert services_page(session=session, at=clock.now(), per_page=100)["total_items"] == own_feed
        index = build_index(session)
        assert int(index.own.sum()) == own_index, "search answers from our own teams by default"
        assert len(index.teams) == own_index + 5 and int(index.public_services.sum()) == 5
        assert all(e.team_key != team.key for e in stale_entries(session=session, at=clock.now()))
        assert all(row.key != team.key for row in list_teams(session=session, now=clock.now()))


def test_dropped_services_are_retired_but_a_big_drop_is_held(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    records = [service(n) for n in range(1, 11)]
    pull(sessions, clock, oruk1_server(records))
    _, summary = pull(sessions, clock, oruk1_server(records[:9]))
    assert summary.removed == 1 and pulled_count(sessions, "bristol") == 9
    with pytest.raises(PullHeld, match="would remove 5 of its 9"):
        pull(sessions, clock, oruk1_server(records[:4]))
    assert pulled_count(sessions, "bristol") == 9, "a held pull changes nothing"
    _, confirmed = pull(sessions, clock, oruk1_server(records[:4]), confirm_removals=True)
    assert confirmed.removed == 5 and pulled_count(sessions, "bristol") == 4


def _html(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200, text="<html><body>Maintenance</body></html>", headers={"content-type": "text/html"}
    )


def _timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("slow", request=request)


def _loop(request: httpx.Request) -> httpx.Response:
    body = {"content": [service(1)], "totalPages": 5, "last": False}
    return httpx.Response(200, json=body)


def _broken(request: httpx.Request) -> httpx.Response:
    return httpx.Response(500, text="oops")


@pytest.mark.parametrize(
    ("handler", "says"),
    [
        (_html, r"answered a web page \(HTML\)"),
        (_timeout, "did not answer within 30 seconds"),
        (_loop, "loops its paging"),
        (_broken, "answered HTTP 500"),
    ],
)
def test_a_bad_feed_stops_with_one_line_and_keeps_the_last_good_copy(
    sessions: sessionmaker[Session],
    clock: FakeClock,
    handler: Callable[[httpx.Request], httpx.Response],
    says: str,
) -> None:
    pull(sessions, clock, oruk1_server([service(n) for n in range(1, 4)]))
    with pytest.raises(PullFailed, match=says):
        pull(sessions, clock, httpx.MockTransport(handler))
    assert pulled_count(sessions, "bristol") == 3


def test_retry_after_is_honoured(sessions: sessionmaker[Session]) -> None:
    calls: list[int] = []
    waits: list[float] = []
    inner = oruk1_server([service(1)])

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "7"})
        return inner.handle_request(request)

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        records = fetch_records(FEED, client=client, sleep=waits.append)
    assert waits == [7.0] and len(records) == 1


def test_cli_pull_from_a_saved_file(tmp_path: Path) -> None:
    feed = tmp_path / "millbridge.json"
    feed.write_text(json.dumps([service(1), service(2, url="", email="")]), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'joinup.db'}"
    result = CliRunner().invoke(cli, ["directory", "pull", str(feed), "--source", "millbridge", "--db", url])
    assert result.exit_code == 0, result.output
    assert "2 services pulled, 1 usable, 1 quarantined" in result.output
    assert "Stored for millbridge: 1 added" in result.output
    assert f"Quarantined: Millbridge family group 2 [{service(2)['id']}]: {NO_CONTACT}" in result.output
    bad = CliRunner().invoke(cli, ["directory", "pull", str(feed), "--source", "Not A Name!", "--db", url])
    assert bad.exit_code == 1 and "lower-case letters" in bad.output and "Traceback" not in bad.output
