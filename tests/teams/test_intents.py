"""The typed-intent examples through Teams activities: what the fake Bot Framework connector received."""

from __future__ import annotations

from sqlmodel import select

from bot.teams import forms
from storage.models import TrackedItem
from tests.teams.conftest import TeamsJoinup


def _items(joinup: TeamsJoinup) -> list[TrackedItem]:
    with joinup.runtime.sessions() as session:
        return list(session.exec(select(TrackedItem)).all())


async def test_the_team_field_never_reaches_the_case_or_the_method(joinup: TeamsJoinup) -> None:
    await joinup.press(
        {
            "action": forms.REFER_FORM,
            "value": "",
            "team": "front door case NB-999999 by portal about x",
            "case_ref": "NB-204520",
            "method": "phone",
            "about": "",
        }
    )
    assert "NB-999999" not in {i.case_ref for i in _items(joinup)}
    assert all((i.case_ref, i.method) == ("NB-204520", "phone") for i in _items(joinup))


async def test_a_command_during_a_typo_question_is_not_taken_as_the_team(joinup: TeamsJoinup) -> None:
    await joinup.say("refer front door case NB-204518 by phone")
    await joinup.say("refer nowhere case NB-204520")
    assert "Which team did you mean by 'nowhere'?" in joinup.replies()[-1]
    for command, said in (
        ("tried TI-0001 no answer", "Recorded: no answer"),
        ("escalations", "You have no open escalations"),
        ("due icpc from 2026-12-17", "The initial child protection conference is due by"),
    ):
        await joinup.say(command)
        assert said in joinup.replies()[-1]
        assert "Which team did you mean" not in joinup.replies()[-1]
    assert [i.case_ref for i in _items(joinup)] == ["NB-204518"]


async def test_please_refer_and_a_name_as_the_case(joinup: TeamsJoinup) -> None:
    await joinup.say("please refer front door case NB-204519 by phone")
    assert joinup.replies()[-1].startswith("Logged TI-0001: your referral about NB-204519")
    await joinup.say("refer health visiting case Jane by phone")
    assert "That looks like a name" in joinup.replies()[-1]
    assert [i.case_ref for i in _items(joinup)] == ["NB-204519"]


async def test_the_feedback_card_during_a_pending_question_records_feedback(joinup: TeamsJoinup) -> None:
    await joinup.say("refer front door case NB-204518 by phone")
    await joinup.say("refer front door")
    assert "What is your case reference" in joinup.replies()[-1]
    await joinup.press(
        {"action": forms.FEEDBACK_FORM, "value": "", "item": "TI-0001", "outcome": "early_help", "reason": ""}
    )
    assert joinup.replies()[-1].startswith("Left the referral questions")
    assert [(i.case_ref, i.outcome) for i in _items(joinup)] == [("NB-204518", "early_help")]
