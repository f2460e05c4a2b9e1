"""Onboarding: the three questions a new person answers before their first tracked item (never before a search).

Team (so managers see their team's items), nation (whose bank holidays the clocks skip) and job title.
The Dispatcher starts this flow when a command that tracks something meets a person who isn't set up yet;
when the last answer is in, the command that started it runs as if it had just been sent.
"""

from __future__ import annotations

from rapidfuzz import fuzz, process, utils
from sqlmodel import col, select

from directory.offered import offered
from handlers.context import HandlerContext
from handlers.dates import NATION_NAMES
from handlers.flow import (
    DONE,
    START,
    Data,
    Flow,
    Step,
    button_handler,
    choices,
    continue_flow,
    prepend,
    resumer,
    start,
)
from handlers.messages import Button, Field, InboundMessage, Reply
from handlers.router import FlowHandler, Router
from storage import audit
from storage.errors import InvalidInput
from storage.models import Person, Team
from storage.privacy import refuse_personal_data

NAME = "onboarding"
SKIP_WORDS = frozenset({"skip", "none", "no team", "not listed", "none of these", "n/a", "na", "-"})
_NATION_WORDS = {
    "england": "ENG",
    "english": "ENG",
    "eng": "ENG",
    "wales": "WLS",
    "welsh": "WLS",
    "cymru": "WLS",
    "wls": "WLS",
    "scotland": "SCT",
    "scottish": "SCT",
    "sct": "SCT",
    "sco": "SCT",
    "northern ireland": "NIR",
    "ni": "NIR",
    "n ireland": "NIR",
    "n. ireland": "NIR",
    "nir": "NIR",
}
MAX_JOB_TITLE = 100


def _team_matches(ctx: HandlerContext, text: str) -> list[tuple[int, str, float]]:
    with ctx.sessions() as session:
        teams = {
            t.id: t.name for t in session.exec(select(Team).where(offered()).order_by(col(Team.name))) if t.id
        }
    if not teams:
        return []
    found = process.extract(
        text, teams, scorer=fuzz.WRatio, processor=utils.default_process, limit=4, score_cutoff=60
    )
    return [(key, name, score) for name, score, key in found]


def _ask_team(data: Data, ctx: HandlerContext) -> Reply:
    return Reply(
        text="Which team are you in? Type its name, like health visiting or children's front door. "
        "Type skip if it isn't in the directory.",
        buttons=(Button("Skip", NAME, "skip"),),
    )


def _answer_team(value: str, data: Data, ctx: HandlerContext) -> str:
    text = value.strip()
    if text.lower() in SKIP_WORDS:
        data["team_id"], data["team_name"] = None, ""
        return "nation"
    if text.startswith("team:"):  # a suggestion button
        team_id = int(text.removeprefix("team:") or 0)
        with ctx.sessions() as session:
            team = session.get(Team, team_id)
        if team is None:
            raise InvalidInput("team", "I can't find that team any more.")
        data["team_id"], data["team_name"] = team.id, team.name
        return "nation"
    if not text:
        raise InvalidInput("team", "Type your team's name, or skip.")
    matches = _team_matches(ctx, text)
    if matches and (matches[0][2] >= 95 or len(matches) == 1 or matches[0][2] - matches[1][2] >= 15):
        data["team_id"], data["team_name"] = matches[0][0], matches[0][1]
        return "nation"
    if not matches:
        raise InvalidInput("team", f"I can't find a team called '{text[:60]}'. Try another name, or skip.")
    data["suggestions"] = [[key, name] for key, name, _ in matches]
    return "team_pick"


def _ask_team_pick(data: Data, ctx: HandlerContext) -> Reply:
    buttons = tuple(Button(str(name), NAME, f"team:{key}") for key, name in data.get("suggestions", []))
    return Reply(
        text="Which of these is your team?",
        buttons=(*buttons, Button("None of these", NAME, "skip")),
    )


def _ask_nation(data: Data, ctx: HandlerContext) -> Reply:
    return Reply(
        text="Which nation do you work in? I count working days with its bank holidays.",
        buttons=choices(NAME, tuple((name, code) for code, name in NATION_NAMES.items())),
    )


def nation_from_text(text: str) -> str:
    """Read a nation: 'England', 'scotland', 'NI', 'Cymru', or a code like 'SCT'.

    Raises:
        InvalidInput: not a UK nation.
    """
    word = " ".join(text.lower().split()).strip(" .!")
    if word.upper() in NATION_NAMES:
        return word.upper()
    if word in _NATION_WORDS:
        return _NATION_WORDS[word]
    best = process.extractOne(word, list(_NATION_WORDS), scorer=fuzz.ratio, score_cutoff=75)
    if best is not None:
        return _NATION_WORDS[best[0]]
    raise InvalidInput("nation", "Choose England, Wales, Scotland or Northern Ireland.")


def _answer_nation(value: str, data: Data, ctx: HandlerContext) -> str:
    data["nation"] = nation_from_text(value)
    return "job"


def _ask_job(data: Data, ctx: HandlerContext) -> Reply:
    return Reply(
        text="Last one: what's your job? For example: health visitor, GP, school DSL, social worker.",
        buttons=(Button("Skip", NAME, "skip"),),
    )


def _answer_job(value: str, data: Data, ctx: HandlerContext) -> str:
    text = " ".join(value.split())
    if text.lower() in SKIP_WORDS:
        data["job_title"] = ""
        return DONE
    if not text:
        raise InvalidInput("job_title", "Type your job title, or skip.")
    if len(text) > MAX_JOB_TITLE:
        raise InvalidInput("job_title", f"Please keep your job title under {MAX_JOB_TITLE} characters.")
    with ctx.sessions() as session:
        refuse_personal_data(session=session, text=text, field="job_title")
    data["job_title"] = text
    return DONE


async def _finish(data: Data, ctx: HandlerContext) -> Reply:
    nation = str(data.get("nation") or ctx.settings.default_nation)
    with ctx.sessions.begin() as session:
        person = session.get(Person, ctx.person_id)
        assert person is not None
        person.team_id = data.get("team_id")
        person.nation = nation
        if data.get("job_title"):
            person.job_title = str(data["job_title"])
        person.is_onboarded = True
        audit.record(
            session=session,
            at=ctx.clock.now(),
            actor=ctx.actor,
            action="person.onboarded",
            subject=f"person:{ctx.person_id}",
            data={"team_id": person.team_id, "nation": nation},
        )
    team = str(data.get("team_name") or "") or "not set"
    done = Reply(
        text="Thanks, you're set up. Type setup any time to change these.",
        fields=(
            Field("Team", team),
            Field("Working days", f"{NATION_NAMES.get(nation, nation)} bank holidays"),
            Field("Job", str(data.get("job_title") or "") or "not set"),
        ),
    )
    replay = data.get("replay")
    if isinstance(replay, dict) and ctx.dispatch is not None:
        message = InboundMessage(
            platform=ctx.message.platform,
            sender_key=ctx.message.sender_key,
            text=str(replay.get("text") or ""),
            action=replay.get("action"),
            action_value=replay.get("value"),
            form={str(k): str(v) for k, v in (replay.get("form") or {}).items()},
            address=ctx.message.address,
        )
        then = await ctx.dispatch(message)
        return prepend(done.text + "\n" + "\n".join(f"{f.label}: {f.value}" for f in done.fields), then)
    return done


ONBOARDING = Flow(
    name=NAME,
    steps=(
        Step("team", _ask_team, _answer_team),
        Step("team_pick", _ask_team_pick, _answer_team),
        Step("nation", _ask_nation, _answer_nation),
        Step("job", _ask_job, _answer_job),
    ),
    finish=_finish,
    intro="Before I keep track of anything for you, I need three quick answers. You only do this once.",
)


def _gate() -> FlowHandler:
    async def gate(msg: InboundMessage, ctx: HandlerContext, step: str) -> Reply:
        """Continue onboarding, or start it (from the Dispatcher) remembering the command to run afterwards."""
        if step == START:
            # A submitted form is replayed with its inputs, so nothing typed into it is lost.
            replay = {
                "text": msg.text,  # replayed through the Dispatcher as sent, never parsed here
                "action": msg.action,
                "value": msg.action_value,
                "form": dict(msg.form),
            }
            return await start(ONBOARDING, ctx, data={"replay": replay})
        return await continue_flow(ONBOARDING, msg, ctx, step)

    return gate


async def setup(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Show the sender's details and ask the onboarding questions again."""
    intro = "Let's set up your details." if not ctx.person.is_onboarded else "Let's update your details."
    return prepend(intro, await start(ONBOARDING, ctx))


_press = button_handler(
    ONBOARDING, expired="Those questions are finished. Type setup to change your details."
)


def register(router: Router) -> None:
    """Register the onboarding flow, its buttons and the setup command."""
    router.flow(
        NAME, _gate(), label="the setup questions", free_text_steps=("job",), resume=resumer(ONBOARDING)
    )
    router.action(NAME, _press)
    router.command(
        "setup",
        setup,
        aliases=("onboard", "onboarding", "profile", "register"),
        summary="Tell me your team, nation and job (asked once, before your first tracked item).",
        usage="setup",
    )
