"""The issue's directory examples in the console chat: the right contacts first, short, with the 999 line."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from schedules.time.clock import FakeClock
from tests.test_console import _chat, _lines, _run

DANGER = "If a child is in immediate danger, call 999."

# (what a safeguarding lead types, the team named first, text that must be on the first screen,
#  teams that must not be named)
EXAMPLES = [
    ("private fostering", "Children's front door (MASH)", "Private fostering must be notified to children's services",
     ["Local authority designated officer"]),
    ("prevent", "Council Prevent lead", "Counter-Terrorism and Security Act 2015", ["Housing options"]),
    ("radicalisation", "Council Prevent lead", "Police Prevent team", ["Housing options"]),
    ("FGM", "Children's front door (MASH)", "must report known FGM in under-18s to the police on 101",
     ["Housing options"]),
    ("forced marriage", "Forced Marriage Unit (national line)", "020 7008 0151", ["Housing options"]),
    ("domestic abuse children at home", "Children's front door (MASH)", "IDVA", ["Housing options"]),
    ("dad drinking heavily and kids at home", "Children's front door (MASH)", "Hidden harm worker",
     ["Housing options"]),
    ("young carer", "Young carers service", "0161 496 0150", ["CAMHS", "Local authority designated officer"]),
    ("16 year old sofa surfing", "Children's front door (MASH)", "Housing options", ["Perinatal"]),
    ("worried about a baby", "Children's front door (MASH)", "Health visiting", []),
]  # fmt: skip


@pytest.mark.parametrize(("said", "first", "shown", "never"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
async def test_the_issues_examples_in_the_console(
    engine: Engine, clock: FakeClock, said: str, first: str, shown: str, never: list[str]
) -> None:
    chat, out = _chat(engine, clock, as_json=True)
    await _run(chat, f"{said}\n")
    [reply] = _lines(out)
    text = " ".join(reply["text"].split())  # the console wraps lines; compare the words
    assert f"{first}: open now" in text and text.index(f"{first}: open now") < text.index("Why: handles:"), (
        text
    )
    assert shown in text
    assert not [name for name in never if name in text]
    assert DANGER in text and len(reply["text"]) <= 760  # 700 for the screen, plus the console's button line
    assert reply["buttons"][0] == {"label": "More", "action": "find_more", "value": said}


async def test_an_adult_example_leads_with_adult_services_and_no_child_line(
    engine: Engine, clock: FakeClock
) -> None:
    chat, out = _chat(engine, clock, as_json=True)
    await _run(chat, "elderly man neglected by his carer\n")
    [reply] = _lines(out)
    assert " ".join(reply["text"].split()).startswith("Adult safeguarding team: open now")
    assert "Adults' front door" in reply["text"]
    assert "Children's front door" not in reply["text"] and "LADO" not in reply["text"]


async def test_what_is_a_cin_plan_is_explained_and_bare_process_words_too(
    engine: Engine, clock: FakeClock
) -> None:
    chat, out = _chat(engine, clock, as_json=True)
    await _run(chat, "what is a CIN plan\ncore group\nICPC\n")
    cin, core, icpc = _lines(out)
    assert cin["text"].startswith("CIN: Child in need (Children Act 1989, section 17)")
    assert core["text"].startswith("Core group\n")
    assert icpc["text"].startswith("ICPC: Initial child protection conference\n")
    assert not any(b["action"] == "find_more" for m in (cin, core, icpc) for b in m["buttons"])


async def test_more_shows_todays_full_detail(engine: Engine, clock: FakeClock) -> None:
    chat, out = _chat(engine, clock, as_json=False)
    await _run(chat, "worried about a baby\n/press 1\n")
    printed = out.getvalue()
    first, more = printed.split("\n\n", 1)
    assert len(first) <= 700
    assert "Consultation line (social worker advice) (Phone: 0161 496 0101)" in more
    assert "Last checked:" in more


async def test_stopwords_or_punctuation_get_the_safe_default_out_of_hours(
    engine: Engine, clock: FakeClock
) -> None:
    chat, out = _chat(engine, clock, as_json=True)
    await _run(chat, "/advance 10h\nthe and of\n?!\n")
    replies = [m for m in _lines(out) if m["text"].startswith("I'm not sure")]
    assert len(replies) == 2
    for reply in replies:
        text = " ".join(reply["text"].split())
        assert "Children's front door (MASH): closed now; opens at 9am on Thursday 26 November." in text
        assert "Out of hours, contact Emergency duty team (out of hours) on 0161 496 0110 (open now)." in text
        assert "To talk it through with a social worker first: call 0161 496 0101." in text
        assert DANGER in text
