"""due <event> from <date>: Working Together timescales on each nation's working days."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.dates import parse_day
from handlers.guidance.timescales import find_event, split_request
from schedules.guidance.timescales import Event, due_date
from schedules.time.words import list_days
from storage.errors import InvalidInput
from tests.handlers.conftest import World

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("event", "start", "nation", "due"),
    [
        # DOMAIN.md's worked example: 25 and 28 Dec and 1 Jan are bank holidays in England...
        (Event.CORE_GROUP, date(2026, 12, 21), "ENG", date(2027, 1, 7)),
        (Event.CORE_GROUP, date(2026, 12, 21), "NIR", date(2027, 1, 7)),
        # Scotland's first core group is 15 working days after the CPPM, and Scotland also has Monday
        # 4 January 2027 off (2 January falls on a Saturday).
        (Event.CORE_GROUP, date(2026, 12, 21), "SCT", date(2027, 1, 15)),
        (Event.ICPC, date(2026, 12, 17), "ENG", date(2027, 1, 12)),
        # Scotland holds a CPPM within 28 calendar days, not an ICPC within 15 working days.
        (Event.ICPC, date(2026, 12, 17), "SCT", date(2027, 1, 14)),
        # Wales: the first core group within 10 working days of the initial conference.
        (Event.CORE_GROUP, date(2026, 12, 21), "WLS", date(2027, 1, 7)),
        # A referral on Christmas Eve: the decision is due on the next working day, after Boxing Day's substitute.
        (Event.REFERRAL_DECISION, date(2026, 12, 24), "ENG", date(2026, 12, 29)),
        (Event.LADO, date(2026, 12, 31), "ENG", date(2027, 1, 4)),
        # Easter 2027: Good Friday 26 March everywhere; Easter Monday 29 March except in Scotland.
        (Event.REFERRAL_DECISION, date(2027, 3, 25), "ENG", date(2027, 3, 30)),
        (Event.REFERRAL_DECISION, date(2027, 3, 25), "WLS", date(2027, 3, 30)),
        (Event.REFERRAL_DECISION, date(2027, 3, 25), "NIR", date(2027, 3, 30)),
        # Scotland: Good Friday only, so 15 working days from Thursday 25 March end on Friday 16 April.
        (Event.CORE_GROUP, date(2027, 3, 25), "SCT", date(2027, 4, 16)),
        # St Patrick's Day (Wednesday 17 March 2027) only in Northern Ireland.
        (Event.CORE_GROUP, date(2027, 3, 10), "ENG", date(2027, 3, 24)),
        (Event.CORE_GROUP, date(2027, 3, 10), "NIR", date(2027, 3, 25)),
        # 45 working days from a referral, across Christmas and New Year.
        (Event.ASSESSMENT, date(2026, 11, 25), "ENG", date(2027, 2, 1)),
        # Wales: 42 working days from the start of the s47 enquiries (England: 45 from the referral).
        (Event.ASSESSMENT, date(2026, 11, 25), "WLS", date(2027, 1, 27)),
        # Calendar months: 3 months after 30 November is the end of February.
        (Event.FIRST_REVIEW, date(2026, 11, 30), "ENG", date(2027, 2, 28)),
        (Event.LATER_REVIEW, date(2027, 1, 15), "ENG", date(2027, 7, 15)),
    ],
)
def test_due_dates(event: Event, start: date, nation: str, due: date) -> None:
    assert due_date(event=event, start=start, nation=nation).due == due


def test_the_skipped_bank_holidays_are_listed() -> None:
    deadline = due_date(event=Event.CORE_GROUP, start=date(2026, 12, 21), nation="SCT")
    assert deadline.holidays_skipped == (
        date(2026, 12, 25),
        date(2026, 12, 28),
        date(2027, 1, 1),
        date(2027, 1, 4),
    )
    assert list_days(deadline.holidays_skipped) == "25 and 28 December, 1 and 4 January"[:0] + (
        "25 and 28 December and 1 and 4 January"
    )


def test_a_month_timescale_on_a_weekend_offers_the_working_day_before() -> None:
    deadline = due_date(event=Event.FIRST_REVIEW, start=date(2026, 11, 30), nation="ENG")
    assert deadline.due == date(2027, 2, 28)  # a Sunday
    assert deadline.last_working_day == date(2027, 2, 26)


@pytest.mark.parametrize(
    ("words", "event"),
    [
        ("icpc", Event.ICPC),
        ("initial conference", Event.ICPC),
        ("ICPC", Event.ICPC),
        ("core group", Event.CORE_GROUP),
        ("the core group meeting", Event.CORE_GROUP),
        ("assessment", Event.ASSESSMENT),
        ("s47", Event.ASSESSMENT),
        ("review", Event.FIRST_REVIEW),
        ("next review", Event.LATER_REVIEW),
        ("lado", Event.LADO),
        ("referral decision", Event.REFERRAL_DECISION),
        ("asessment", Event.ASSESSMENT),
    ],
)
def test_event_words(words: str, event: Event) -> None:
    assert find_event(words) == event


def test_unknown_event_lists_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match="I know: referral decision"):
        find_event("party")


def test_split_request_with_and_without_from() -> None:
    assert split_request("core group from 21/12/2026") == ("core group", "21/12/2026")
    assert split_request("core group 21 Dec") == ("core group", "21 Dec")
    with pytest.raises(InvalidInput, match="From which date"):
        split_request("icpc")


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("17/12/2026", date(2026, 12, 17)),
        ("2026-12-17", date(2026, 12, 17)),
        ("17 Dec", date(2026, 12, 17)),
        ("17th December 2026", date(2026, 12, 17)),
        ("today", TODAY),
        ("tomorrow", date(2026, 11, 26)),
        ("next monday", date(2026, 11, 30)),
        ("last friday", date(2026, 11, 20)),
        ("2 Jan", date(2027, 1, 2)),
        ("20 Nov", date(2026, 11, 20)),
    ],
)
def test_parse_day(text: str, day: date) -> None:
    assert parse_day(text, today=TODAY) == day


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("31/02", "There's no 31 February"),
        ("31/02/2027", "There's no 31 February"),
        ("next blursday", "I don't understand the date"),
        ("", "Say which date"),
        ("12/12/1812", "a long way from today"),
        ("December", "I don't understand the date"),
    ],
)
def test_bad_dates(text: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        parse_day(text, today=TODAY)


async def test_due_reply_in_england(world: World) -> None:
    reply = await world.say("due icpc from 2026-12-17")
    assert reply.text.startswith(
        "The initial child protection conference is due by Tuesday 12 January 2027 "
        "(15 working days after Thursday 17 December 2026; 25 and 28 December and 1 January are bank "
        "holidays in England)."
    )
    assert "Working Together to Safeguard Children 2023" in reply.text


async def test_due_uses_the_persons_nation(world: World) -> None:
    with world.sessions.begin() as session:
        from storage.models import Person

        person = session.get(Person, world.person("gp.omar").id)
        assert person is not None
        person.nation = "SCT"
    reply = await world.say("due core group from 21/12/2026", who="gp.omar")
    assert "Friday 15 January 2027 (15 working days after Monday 21 December 2026" in reply.text
    assert "25 and 28 December and 1 and 4 January are bank holidays in Scotland" in reply.text
    assert "National Guidance for Child Protection in Scotland 2021 (updated 2023)" in reply.text
    assert "Working Together" not in reply.text


async def test_due_in_the_past_says_was_due(world: World) -> None:
    reply = await world.say("due referral from 2026-11-02")
    assert "was due by Tuesday 3 November 2026" in reply.text


async def test_due_on_a_weekend_start(world: World) -> None:
    reply = await world.say("due lado from 28/11/2026")
    assert "Saturday 28 November 2026 isn't a working day" in reply.text
    assert "Monday 30 November 2026" in reply.text


async def test_due_without_arguments_lists_every_timescale(world: World) -> None:
    reply = await world.say("due")
    labels = [f.label for f in reply.fields]
    assert labels == [
        "referral decision",
        "assessment",
        "ICPC",
        "core group",
        "review",
        "later review",
        "LADO",
    ]
    assert "15 working days from the strategy discussion" in reply.fields[2].value


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("due icpc from 31/02", "There's no 31 February"),
        ("due icpc from next blursday", "I don't understand the date 'next blursday'"),
        ("due party from today", "I don't know a timescale for 'party'"),
        ("due icpc", "From which date? Give the date of the strategy discussion"),
        # QA: a practitioner typed the event they had, not the one that is due.
        (
            "due strategy discussion from 25/11/2026",
            "A strategy discussion starts a clock rather than having a deadline of its own: the ICPC "
            "counts from it. Type: due ICPC from the strategy discussion date.",
        ),
    ],
)
async def test_due_bad_input_is_a_friendly_reply(world: World, text: str, answer: str) -> None:
    reply = await world.say(text)
    assert answer in reply.text


def _set_nation(world: World, handle: str, nation: str) -> None:
    from storage.models import Person

    with world.sessions.begin() as session:
        person = session.get(Person, world.person(handle).id)
        assert person is not None
        person.nation = nation


async def test_england_names_working_together_and_the_worked_example(world: World) -> None:
    reply = await world.say("due core group from 21/12/2026")
    assert reply.text.startswith("The first core group is due by Thursday 7 January 2027")
    assert "as Working Together to Safeguard Children 2023 sets out" in reply.text


async def test_scotland_answers_an_icpc_question_with_its_cppm(world: World) -> None:
    _set_nation(world, "gp.omar", "SCT")
    reply = await world.say("due icpc from 2026-12-17", who="gp.omar")
    assert "In Scotland that meeting is the CPPM." in reply.text
    assert (
        "The child protection planning meeting (CPPM) is due by Thursday 14 January 2027 "
        "(28 calendar days after Thursday 17 December 2026)." in reply.text
    )
    assert "National Guidance for Child Protection in Scotland 2021 (updated 2023)" in reply.text
    assert "Working Together" not in reply.text and "15 working days" not in reply.text
    same = await world.say("due cppm from 2026-12-17", who="gp.omar")
    assert "In Scotland that meeting" not in same.text and "Thursday 14 January 2027" in same.text
    ird = await world.say("due ird from 2026-12-17", who="gp.omar")
    assert (
        "An IRD starts a clock" in ird.text
        and "from the IRD date" in ird.text
        and "the CPPM counts from it" in ird.text
    )


async def test_wales_core_group_and_its_unconfirmed_initial_conference(world: World) -> None:
    _set_nation(world, "gp.omar", "WLS")
    reply = await world.say("due core group from 21/12/2026", who="gp.omar")
    assert "The first core group is due by Thursday 7 January 2027 (10 working days" in reply.text
    assert "as Wales Safeguarding Procedures sets out" in reply.text
    conference = await world.say("due icpc from 2026-12-17", who="gp.omar")
    assert "isn't confirmed in Wales Safeguarding Procedures: check your local procedures" in conference.text
    lado = await world.say("due lado from 2026-12-17", who="gp.omar")
    assert "Wales has no LADO" in lado.text and "Check your local procedures" in lado.text


async def test_northern_ireland_says_its_timescales_need_local_confirmation(world: World) -> None:
    _set_nation(world, "gp.omar", "NIR")
    reply = await world.say("due case conference from 2026-12-17", who="gp.omar")
    assert "The initial child protection case conference is due by" in reply.text
    assert "isn't confirmed in Co-operating to Safeguard Children" in reply.text
    listed = await world.say("due", who="gp.omar")
    assert all("not confirmed: check your local procedures" in f.value for f in listed.fields)
    assert "Source: Co-operating to Safeguard Children" in listed.text


def test_every_nation_has_a_policy_file_with_a_source() -> None:
    from schedules.guidance.timescales import nation_policies

    policies = nation_policies()
    assert sorted(policies) == ["ENG", "NIR", "SCT", "WLS"]
    assert all(p.source and p.framework and p.events for p in policies.values())
    assert policies["SCT"].terms["conference"] == "child protection planning meeting (CPPM)"
    assert policies["SCT"].terms["strategy_discussion"] == "inter-agency referral discussion (IRD)"
