"""The console chat, driven non-interactively: scripted input in, JSON lines or plain text out."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from bot.cli import cli
from bot.config import Settings
from bot.console import ConsoleNotifier, ConsoleOutput, parse_advance, render_text
from bot.console_forms import FormFiller
from bot.console_loop import ConsoleChat, run_console
from bot.runtime import build_runtime
from handlers.messages import Button, Choice, Field, Form, FormInput, Reply, Section
from schedules.time.clock import FakeClock
from tests.handlers.conftest import load_demo_fast


def _chat(
    engine: Engine, clock: FakeClock, *, as_json: bool, fake: bool = True
) -> tuple[ConsoleChat, io.StringIO]:
    out = io.StringIO()
    output = ConsoleOutput(stream=out, as_json=as_json)
    runtime = build_runtime(settings=Settings(), clock=clock, notifier=ConsoleNotifier(output), engine=engine)
    load_demo_fast(runtime.sessions, clock)
    return ConsoleChat(runtime, handle="hv.amy", output=output, fake_clock=clock if fake else None), out


async def _run(chat: ConsoleChat, script: str) -> None:
    await run_console(chat, stdin=io.StringIO(script), interactive=False)


def _lines(out: io.StringIO, *, to: tuple[str, ...] = ("hv.amy",)) -> list[dict[str, Any]]:
    """The JSON messages sent to `to` (scheduled jobs may also print reminders and digests for others)."""
    return [m for line in out.getvalue().splitlines() if (m := json.loads(line))["to"] in to]


async def test_the_readme_script_prints_three_sensible_replies(engine: Engine, clock: FakeClock) -> None:
    chat, out = _chat(engine, clock, as_json=True)
    await _run(chat, "find health visitor\nrole lead professional\ndue icpc from 2026-12-17\n")
    first, second, third = _lines(out)
    assert {m["to"] for m in (first, second, third)} == {"hv.amy"}
    assert {m["kind"] for m in (first, second, third)} == {"reply"}
    assert first["text"].startswith("Health visiting: open now until 5pm.")
    assert "0161 496 0500" in first["text"]
    assert first["buttons"][1] == {"label": "Log a referral", "action": "refer", "value": "health-visiting"}
    assert second["text"].startswith("Lead professional\n")
    assert "due by Tuesday 12 January 2027" in third["text"]


async def test_as_who_press_and_quit(engine: Engine, clock: FakeClock) -> None:
    chat, out = _chat(engine, clock, as_json=True)
    await _run(chat, "/who\n/as gp.omar\nhelp\n/press 9\n/press 2\n/press 1\n/quit\nfind LADO\n")
    who, switched, help_, missing, pressed, none, bye = _lines(out, to=("hv.amy", "gp.omar"))
    assert "hv.amy (Amy Hughes, Health visitor, Health visiting)  ← you" in who["text"]
    assert "mgr.kate" in who["text"]
    assert switched["text"].startswith("You are now gp.omar (Dr Omar Siddiqui")
    assert help_["to"] == "gp.omar"
    assert pressed["text"].startswith("Lead professional")
    assert missing["text"] == "There's no button 9. Buttons are numbered [1] to [3]."
    assert none["text"] == "There are no buttons to press right now."
    assert bye["text"].startswith("Bye.")  # and find LADO, after /quit, is never run


async def test_as_someone_new_is_onboarded_when_it_matters(engine: Engine, clock: FakeClock) -> None:
    chat, out = _chat(engine, clock, as_json=True)
    await _run(chat, "/as new.nurse\nhelp\n")
    switched, help_ = _lines(out, to=("new.nurse",))
    assert "That isn't a demo person, so joinup will treat you as someone new." in switched["text"]
    assert "You're new here." in help_["text"]


async def test_advance_moves_the_fake_clock_by_working_days(engine: Engine, clock: FakeClock) -> None:
    chat, out = _chat(engine, clock, as_json=False)
    await _run(chat, "/advance 2wd\n/advance 3h\n/advance soon\n")
    text = out.getvalue()
    assert "It is now 10am on Friday 27 November 2026." in text
    assert "It is now 1pm on Friday 27 November 2026." in text
    assert "Say how far to move" in text
    assert clock.now() == datetime(2026, 11, 27, 13, 0, tzinfo=UTC)


async def test_advance_on_a_real_clock_explains(engine: Engine, clock: FakeClock) -> None:
    chat, out = _chat(engine, clock, as_json=False, fake=False)
    await _run(chat, "/advance 1d\n")
    assert "The clock is real." in out.getvalue()


async def test_a_whole_share_walkthrough_by_button_numbers(engine: Engine, clock: FakeClock) -> None:
    chat, out = _chat(engine, clock, as_json=True)
    script = "share?\n/press 1\n/press 1\n/press 2\n/press 1\n/press 1\nfront door by secure email\n/press 1\nrisk\nNB-1\n"
    await _run(chat, script)
    last = _lines(out)[-1]
    assert last["text"].startswith("Recorded your decision against NB-1.")


async def test_plain_text_shows_each_results_buttons_under_it(engine: Engine, clock: FakeClock) -> None:
    chat, out = _chat(engine, clock, as_json=False)
    # More shows each result in full, with its own buttons under it.
    await _run(chat, "find mental health crisis\n/press 1\n")
    text = out.getvalue()
    assert "  [1] Log a referral" in text and "  [2] Log a referral" in text
    assert text.index("[1] Log a referral") < text.index("• ", text.index("[1] Log a referral"))


async def test_the_welcome_says_who_you_are_and_what_to_try(engine: Engine, clock: FakeClock) -> None:
    chat, _ = _chat(engine, clock, as_json=False)
    welcome = chat.welcome()
    assert "You are hv.amy (Amy Hughes, Health visitor, Health visiting)." in welcome
    assert "it is 10am on Wednesday 25 November 2026" in welcome
    assert "find health visitor" in welcome and "/press N" in welcome


def test_render_text_numbers_buttons_across_sections() -> None:
    reply = Reply(
        text="Two results.",
        fields=(Field("Note", "a field"),),
        sections=(
            Section("A", "first", (Field("Phone", "0161 496 0001"),), (Button("Refer A", "refer", "a"),)),
            Section("B", "", (), (Button("Refer B", "refer", "b"),)),
        ),
        buttons=(Button("Help", "help"),),
    )
    text, buttons = render_text(reply)
    assert [b.label for b in buttons] == ["Refer A", "Refer B", "Help"]
    assert text.splitlines() == [
        "Two results.",
        "  Note: a field",
        "",
        "• A",
        "  first",
        "  Phone: 0161 496 0001",
        "  [1] Refer A",
        "",
        "• B",
        "  [2] Refer B",
        "  [3] Help",
    ]


def test_a_reminder_is_labelled_with_its_recipient() -> None:
    out = io.StringIO()
    ConsoleOutput(stream=out, as_json=False).show(
        to="mgr.kate", reply=Reply(text="Chase TI-1", kind="reminder")
    )
    assert out.getvalue() == "── reminder for mgr.kate ──\nChase TI-1\n\n"


def test_form_filler_asks_each_input() -> None:
    form = Form(
        title="Log a referral",
        submit_action="refer.submit",
        value="front-door",
        inputs=(
            FormInput("case_ref", "Case reference"),
            FormInput(
                "method", "How", kind="choice", choices=(Choice("Phone", "phone"), Choice("Email", "email"))
            ),
            FormInput("note", "Note", is_required=False),
        ),
    )
    filler = FormFiller(form)
    assert filler.prompt() == "Case reference?"
    assert filler.answer("") == "This one is needed."
    assert filler.answer("NB-1") == ""
    assert "[1] Phone  [2] Email" in filler.prompt()
    assert filler.answer("3") == "Choose one of the numbers shown."
    assert filler.answer("2") == ""
    assert filler.answer("-") == ""
    assert filler.is_complete and filler.values == {"case_ref": "NB-1", "method": "email", "note": ""}


@pytest.mark.parametrize(("text", "amount"), [("2wd", 2), ("3h", 3 * 3600), ("1d", 86400), ("30m", 1800)])
def test_parse_advance(text: str, amount: int) -> None:
    parsed = parse_advance(text)
    assert (
        parsed == amount
        if isinstance(parsed, int)
        else parsed is not None and parsed.total_seconds() == amount
    )


def test_joinup_chat_json_from_a_pipe(tmp_path: Path) -> None:
    script = "find health visitor\nrole lead professional\ndue icpc from 2026-12-17\n"
    result = CliRunner().invoke(
        cli,
        [
            "chat",
            "--db",
            f"sqlite:///{tmp_path}/chat.db",
            "--as",
            "hv.amy",
            "--json",
            "--clock",
            "2026-11-25T10:00",
        ],
        input=script,
    )
    assert result.exit_code == 0, result.output
    lines = [m for line in result.output.splitlines() if (m := json.loads(line))["to"] == "hv.amy"]
    assert len(lines) == 3 and {m["kind"] for m in lines} == {"reply"}
    assert "Health visiting" in lines[0]["text"] and lines[2]["text"].startswith(
        "The initial child protection"
    )


async def test_no_input_at_all_still_shows_the_welcome(engine: Engine, clock: FakeClock) -> None:
    # QA: `make demo < /dev/null` migrated and seeded, then printed nothing at all.
    chat, out = _chat(engine, clock, as_json=False)
    await _run(chat, "")
    assert out.getvalue().startswith("Welcome to joinup, in the fictional borough of Northbrook.")
    assert "You are hv.amy (Amy Hughes" in out.getvalue()


async def test_scripted_input_gets_no_welcome(engine: Engine, clock: FakeClock) -> None:
    chat, out = _chat(engine, clock, as_json=True)
    await _run(chat, "thanks\n")
    assert [m["text"] for m in _lines(out)] == ["You're welcome. Type help if you need anything else."]


async def test_press_while_filling_a_form_says_to_type_the_answer(engine: Engine, clock: FakeClock) -> None:
    # QA: '/press 1' in the middle of a form said only "There are no buttons to press right now."
    chat, out = _chat(engine, clock, as_json=False)
    chat.form = FormFiller(
        Form(
            title="Outcome",
            submit_action="x.submit",
            value="",
            inputs=(FormInput("outcome", "What was agreed"),),
        )
    )
    await chat.line("/press 1")
    assert out.getvalue() == (
        "This question has no buttons: type your answer, or cancel to drop the form. What was agreed?\n\n"
    )
    assert chat.form is not None


@pytest.mark.parametrize("word", ["quit", "exit", "Bye", "/quit"])
async def test_quit_exit_and_bye_leave_the_chat(engine: Engine, clock: FakeClock, word: str) -> None:
    chat, out = _chat(engine, clock, as_json=True)
    await _run(chat, f"{word}\nfind LADO\n")
    (bye,) = _lines(out)
    assert bye["text"].startswith("Bye.")  # never searched for, and nothing after it runs


async def test_a_refused_form_field_is_asked_again_alone(engine: Engine, clock: FakeClock) -> None:
    from handlers.tracking.forms import refer_form

    chat, out = _chat(engine, clock, as_json=True)
    form = refer_form().form
    assert form is not None
    chat.form = FormFiller(form)
    # team, case reference (a name), method, about; then only the case reference is asked again.
    await _run(chat, "front door\nJane Doe\n1\n-\nNB-204518\n")
    said = [m["text"] for m in _lines(out)]
    again = next(t for t in said if t.startswith("That looks like a name."))
    assert "Case reference?" in again and "Which team" not in again
    assert any(t.startswith("Logged TI-0001: your referral about NB-204518") for t in said)


async def test_a_command_during_a_question_leaves_it_in_the_console(engine: Engine, clock: FakeClock) -> None:
    chat, out = _chat(engine, clock, as_json=True)
    await _run(chat, "refer nowhere case NB-204518\nescalations\ncontinue\nfront door\n")
    asked, left, back, logged = _lines(out)
    assert "Which team did you mean by 'nowhere'?" in asked["text"]
    assert left["text"].startswith("Left the referral questions; type continue to go back to them.")
    assert back["text"].startswith("Back to the referral questions.")
    assert logged["text"].startswith("Logged TI-0001: your referral about NB-204518")
