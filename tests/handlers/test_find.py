"""find, free text and role: directory answers with how, when, messages, expectations and hours."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.find.commands import parse_find
from handlers.guidance.role import glossary, lookup
from tests.handlers.conftest import World, text_of

AREAS = ["central", "north", "south"]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("health visitor", ("health visitor", None, False)),
        ("front door open now", ("front door", None, True)),
        ("open now front door", ("front door", None, True)),
        ("front door that's open now?", ("front door", None, True)),
        ("cmht in north", ("cmht", "north", False)),
        ("cmht in the North area open now", ("cmht", "north", True)),
        ("cmht in nroth", ("cmht", "north", False)),
        ("worried about a baby in the bath", ("worried about a baby in the bath", None, False)),
        ("open now", ("", None, True)),
        ("in north", ("", "north", False)),  # QA: searched for the words 'in north'
        ("in the north area open now", ("", "north", True)),
        ("for a child", ("for a child", None, False)),
    ],
)
def test_parse_find(text: str, parsed: tuple[str, str | None, bool]) -> None:
    assert parse_find(text, AREAS) == parsed


async def test_find_shows_a_short_first_screen_and_more_shows_routes_hours_and_expectations(
    world: World,
) -> None:
    reply = await world.say("find health visitor")
    assert reply.text.startswith(
        "Health visiting: open now until 5pm. Call 0161 496 0500. Expect it acknowledged within 1 working day."
    )
    assert reply.text.endswith("If a child is in immediate danger, call 999.")
    assert len(reply.text) <= 700 and not reply.sections
    assert [(b.label, b.action, b.value) for b in reply.buttons] == [
        ("More", "find_more", "health visitor"),
        ("Log a referral", "refer", "health-visiting"),
    ]
    reply = await world.press("More")
    first = reply.sections[0]
    assert first.title == "Health visiting (Northbrook Community Health (0–19 service))"
    assert "Open now, until 5pm." in first.text
    fields = {f.label: f.value for f in first.fields}
    phone = fields["Health visiting duty line (Phone: 0161 496 0500)"]
    assert "Leaving a message: Leave the case reference and your number" in phone
    assert "Expect it acknowledged within 1 working day; response within 2 working days." in phone
    assert fields["Hours"].startswith("Mon–Thu 08:30–17:00")
    assert fields["Last checked"] == "Saturday 14 November 2026"  # the demo's own date, shifted to be fresh
    [button] = first.buttons
    assert (button.label, button.action, button.value) == ("Log a referral", "refer", "health-visiting")


async def test_out_of_hours_offers_the_emergency_duty_team_and_999(world: World) -> None:
    world.clock.advance(timedelta(hours=9, minutes=30))  # Wednesday 19:30
    reply = await world.say("find front door")
    assert "Children's front door (MASH): closed now; opens at 9am on Thursday 26 November." in reply.text
    assert (
        "Out of hours, contact Emergency duty team (out of hours) on 0161 496 0110 (open now)." in reply.text
    )
    assert reply.text.endswith("If a child is in immediate danger, call 999.")
    reply = await world.press("More")
    assert "Closed now. Opens at 9am on Thursday 26 November." in reply.sections[0].text


async def test_open_now_leaves_out_closed_services(world: World) -> None:
    world.clock.advance(timedelta(hours=9, minutes=30))  # Wednesday 19:30
    reply = await world.say("find front door open now")
    assert reply.text.startswith("Emergency duty team (out of hours): open now")
    assert "Children's front door (MASH)" not in reply.text


async def test_open_now_never_offers_an_unrelated_open_service(world: World) -> None:
    # QA: at 8pm 'health visitor open now' offered the adult mental health crisis line, the only
    # 24/7 service that matched the words at all. Say health visiting is closed, and who to call instead.
    world.clock.advance(timedelta(hours=10))  # Wednesday 20:00
    reply = await world.say("find health visitor open now")
    assert reply.text.startswith("Emergency duty team (out of hours): open now")
    assert "Or: Health visiting, call 0161 496 0500 (closed now)." in reply.text
    assert "Crisis" not in reply.text
    assert reply.text.endswith("If a child is in immediate danger, call 999.")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("worried about Jane Doe born 01/02/2020", "a date of birth"),
        ("find family at M1 1AA", "a postcode"),
    ],
)
async def test_a_search_with_personal_details_is_refused_not_echoed(
    world: World, text: str, kind: str
) -> None:
    before = world.row_counts()
    reply = await world.say(text)
    assert reply.text.startswith(f"That looks like {kind}. Search by the need or the service")
    assert "Jane" not in reply.text and "1AA" not in reply.text
    assert not reply.sections
    assert world.row_counts() == before


async def test_a_directory_phone_number_is_not_personal_data(world: World) -> None:
    reply = await world.say("find 0161 496 0100")
    assert not reply.text.startswith("That looks like")


async def test_a_stale_entry_carries_a_warning(world: World) -> None:
    await world.say("find hidden harm")
    reply = await world.press("More")
    hidden = next(s for s in reply.sections if "idden harm" in s.title)
    checked = {f.label: f.value for f in hidden.fields}["Last checked"]
    assert "Overdue for review: confirm these details before you rely on them." in checked


async def test_area_narrows_the_search(world: World) -> None:
    reply = await world.say("find cmht in south")
    assert reply.text.startswith("Community mental health team (south): open now")
    assert "(north)" not in reply.text


async def test_free_text_is_a_search(world: World) -> None:
    reply = await world.say("worried about a baby")
    assert reply.text.startswith("Children's front door (MASH): open now until 5:15pm. Call 0161 496 0100.")
    assert "Why: handles: worries about a baby." in reply.text


async def test_nothing_found_gives_the_safe_default(world: World) -> None:
    reply = await world.say("find xyzzy plugh")
    assert reply.text.startswith(
        "I'm not sure who handles 'xyzzy plugh'. If you're worried about a child, start here:\n"
        "Children's front door (MASH): open now until 5:15pm. Call 0161 496 0100."
    )
    assert "To talk it through with a social worker first: call 0161 496 0101." in reply.text
    assert reply.text.endswith("If a child is in immediate danger, call 999.")


async def test_find_with_nothing_asks_what(world: World) -> None:
    reply = await world.say("find")
    assert reply.text.startswith("What are you looking for?")
    reply = await world.say("find in north")
    assert reply.text.startswith("What are you looking for in north? For example: find health visitor")


async def test_thanks_is_not_a_search(world: World) -> None:
    reply = await world.say("thanks!")
    assert reply.text == "You're welcome. Type help if you need anything else."


async def test_a_search_writes_nothing(world: World) -> None:
    await world.say("help")
    before = world.row_counts()
    await world.say("find front door open now")
    await world.say("parent hearing voices, pregnant")
    assert world.row_counts() == before


def test_the_glossary_has_at_least_15_roles_and_every_find_finds_something() -> None:
    assert len(glossary()) >= 15
    terms = [e.term for e in glossary()]
    assert len(terms) == len(set(terms))


@pytest.mark.parametrize(
    ("name", "term"),
    [
        ("ASC", "ASC"),
        ("asc", "ASC"),
        ("adult social care", "ASC"),
        ("MASH", "Front door"),
        ("the LADO", "LADO"),
        ("lead profesional", "Lead professional"),
        ("health visitors", "Health visitor"),
        ("DSLs", "DSL"),
        ("children's social care", "CSC"),
        ("childrens social care", "CSC"),
    ],
)
def test_lookup(name: str, term: str) -> None:
    entry = lookup(name)
    assert entry is not None and entry.term == term


def test_short_unknown_abbreviations_are_not_guessed() -> None:
    assert lookup("ASD") is None


async def test_role_explains_and_offers_a_directory_search(world: World) -> None:
    reply = await world.say("what does ASC do?")
    assert reply.text.startswith("ASC: Adult social care\nThe local authority's adult services.")
    [button] = reply.buttons
    reply = await world.click(button)
    assert reply.text.startswith("Adults' front door (adult social care): open now")


async def test_role_lead_professional(world: World) -> None:
    reply = await world.say("role lead professional")
    assert reply.text.startswith("Lead professional\nThe named person who coordinates early help")


def test_at_least_15_role_cards_say_what_they_need_and_what_they_wont_do() -> None:
    cards = [e for e in glossary() if e.what and e.need and e.wont]
    assert len(cards) >= 15


async def test_a_role_card(world: World) -> None:
    reply = await world.say("role LADO")
    labels = [f.label for f in reply.fields]
    assert labels == ["When to contact them", "What they'll need from you", "What they won't do"]
    assert reply.fields[0].value.startswith("Within 1 working day of an allegation")


async def test_role_without_a_name_lists_what_it_knows(world: World) -> None:
    reply = await world.say("role")
    assert "I know:" in reply.text and "LADO" in reply.text


async def test_an_unknown_role_becomes_a_search(world: World) -> None:
    reply = await world.say("what is the number for the front door")
    assert reply.text.startswith("Children's front door (MASH): open now until 5:15pm. Call 0161 496 0100.")
    reply = await world.say("role blorptastic")
    assert "I don't have an explanation of 'blorptastic'" in text_of(reply)
