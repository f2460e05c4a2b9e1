"""stats [team] [this month|last quarter]: headline response-time figures as a card; insight and edit directory
send a short-lived link to the web pages."""

from __future__ import annotations

from rapidfuzz import fuzz, process
from sqlmodel import Session, col, select

from directory.offered import offered
from handlers.context import HandlerContext
from handlers.insight.disagreements import TOP_PAIRS, pair_sections, partnership_fields
from handlers.insight.links import LINK_LIFETIME, Purpose, make_link
from handlers.insight.scope import Scope, directory_scope, insight_scope, require_team_insight
from handlers.messages import Button, Field, InboundMessage, Reply, Section
from handlers.router import Router
from schedules.insight import figures as insight
from schedules.insight.disagreements import pair_figures
from schedules.insight.figures import EscalationFigures, Share, TeamFigures
from schedules.insight.periods import period_named, split_period_words
from schedules.insight.sql import Distribution
from storage import audit
from storage.errors import NotFound
from storage.models import Team

DEFAULT_PERIOD = "this month"
# The periods a stats card offers as buttons (the one shown is left out).
_OTHER_PERIODS = ("this month", "last quarter", "last 6 months")
TOP_TEAMS = 5


def working_time(minutes: int | None) -> str:
    """Say a working-time duration in words: "45 minutes", "2 working hours", "13.5 working hours"."""
    if minutes is None:
        return "none yet"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(minutes / 60, 1)
    text = f"{hours:g}"
    return f"{text} working hour" if text == "1" else f"{text} working hours"


def spread(figures: Distribution) -> str:
    """Say a median and 90th percentile: "median 2 working hours; 9 in 10 within 13 working hours"."""
    if figures.count == 0:
        return "none yet"
    return f"median {working_time(figures.median)}; 9 in 10 within {working_time(figures.p90)}"


def share(part: Share) -> str:
    """Say a share: "3 of 4 (75%)", or "nothing due yet"."""
    return "nothing due yet" if part.due == 0 else f"{part.met} of {part.due} ({part.percent}%)"


def out_of(count: int, total: int) -> str:
    """Say "2 of 4 (50%)", or "none" when the total is 0."""
    return "none" if total == 0 else f"{count} of {total} ({round(100 * count / total)}%)"


def figure_fields(figures: TeamFigures) -> tuple[Field, ...]:
    """Return the headline figures as card fields."""
    return (
        Field("Referrals", str(figures.referrals)),
        Field("Time to acknowledge", spread(figures.ack)),
        Field("Acknowledged on time", share(figures.ack_on_time)),
        Field("Time to feedback", spread(figures.feedback)),
        Field("Feedback on time", share(figures.feedback_on_time)),
        Field("Needed 2 or more chases or attempts", out_of(figures.repeat_contacts, figures.referrals)),
        Field(
            "Referred again within 90 days of no further action",
            out_of(figures.re_referred_after_nfa, figures.nfa),
        ),
    )


def escalation_field(escalations: list[EscalationFigures]) -> Field:
    """Return one field summarising escalations opened: how many, by level, and days to resolve."""
    opened = sum(e.opened for e in escalations)
    if opened == 0:
        return Field("Escalations opened", "none")
    levels: dict[int, int] = {}
    resolved = 0
    for figures in escalations:
        for level, count in figures.by_level.items():
            levels[level] = levels.get(level, 0) + count
        resolved += figures.resolution_days.count
    by_level = ", ".join(f"level {level}: {count}" for level, count in sorted(levels.items()))
    medians = [e.resolution_days.median for e in escalations if e.resolution_days.median is not None]
    days = f"; {resolved} resolved" if resolved else "; none resolved yet"
    if len(escalations) == 1 and medians:
        days += f", median {medians[0]} working {'day' if medians[0] == 1 else 'days'}"
    return Field("Escalations opened", f"{opened} ({by_level}){days}")


def find_team(*, session: Session, text: str, scope: Scope) -> Team:
    """Return the team a person named, by key, name or a close spelling, preferring teams in scope.

    Raises:
        NotFound: nothing close enough.
    """
    wanted = " ".join(text.lower().replace("’", "'").split())
    teams = list(session.exec(select(Team).where(offered()).order_by(col(Team.name))).all())
    exact = [t for t in teams if wanted in (t.name.lower(), t.key.lower(), t.key.lower().replace("-", " "))]
    candidates = exact or [t for t in teams if wanted in t.name.lower() or wanted in t.key.lower()]
    if len(candidates) > 1:
        # "front door" names the team keyed front-door before "Adults' front door".
        candidates.sort(key=lambda t: -fuzz.ratio(wanted, t.key.replace("-", " ")))
    if not candidates:
        best = process.extractOne(
            wanted, {t.key: t.name.lower() for t in teams}, scorer=fuzz.WRatio, score_cutoff=75
        )
        candidates = [t for t in teams if best is not None and t.key == best[2]]
    if not candidates:
        raise NotFound(
            "team", text, hint="Type the team's name as the directory has it, like stats front door."
        )
    in_scope = [t for t in candidates if t.id is not None and scope.allows(t.id)]
    return (in_scope or candidates)[0]


def _arguments(msg: InboundMessage, ctx: HandlerContext) -> str:
    """Return what follows the command word ("front door last quarter"), or the button's value."""
    if msg.action:
        return msg.action_value or ""
    return ctx.args.strip(" ?!.")


async def show_stats(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Reply with the headline figures for a team, or for every team in the person's view."""
    team_words, period_words = split_period_words(_arguments(msg, ctx))
    now = ctx.clock.now()
    period = period_named(period_words or DEFAULT_PERIOD, now=now)
    with ctx.sessions() as session:
        scope = insight_scope(session=session, person=ctx.person, clock=ctx.clock)
        if team_words:
            team = find_team(session=session, text=team_words, scope=scope)
            assert team.id is not None
            require_team_insight(
                session=session, person=ctx.person, clock=ctx.clock, scope=scope, team_id=team.id
            )
            ids: frozenset[int] | None = frozenset({team.id})
            title = team.name
        else:
            ids, title = scope.team_ids, "every team you can see"
        per_team = insight.team_figures(session=session, period=period, now=now, team_ids=ids)
        overall = insight.overall_figures(
            session=session, period=period, now=now, team_ids=ids, per_team=per_team
        )
        escalations = insight.escalation_figures(session=session, period=period, team_ids=ids, per_team=False)
        pairs = pair_figures(session=session, period=period, now=now, team_ids=ids)
        if team_words:
            per_team = []
    sections = tuple(
        Section(
            title=f.team_name,
            text=f"{f.referrals} referrals; acknowledged on time: {share(f.ack_on_time)}",
            fields=(Field("Time to acknowledge", spread(f.ack)),),
        )
        for f in per_team[:TOP_TEAMS]
    )
    more = f" The {TOP_TEAMS} busiest teams are below." if len(per_team) > TOP_TEAMS else ""
    if len(pairs) > TOP_PAIRS:
        more += (
            f" Escalations are shown for the {TOP_PAIRS} busiest agency pairs; the dashboard has them all."
        )
    return Reply(
        text=f"Figures for {title}, {period.label}. Times are in working hours, from sending to the reply.{more}",
        fields=(*figure_fields(overall), escalation_field(escalations), *partnership_fields(pairs)),
        sections=sections + pair_sections(pairs),
        buttons=(
            Button("Open the dashboard", "insight", "", style="primary"),
            *[
                Button(other.capitalize(), "stats", f"{team_words} {other}".strip())
                for other in _OTHER_PERIODS
                if other != (period_words or DEFAULT_PERIOD).lower()
            ][:2],
        ),
    )


def _link_reply(ctx: HandlerContext, purpose: Purpose, what: str, command: str) -> Reply:
    now = ctx.clock.now()
    link = make_link(
        base_url=ctx.settings.public_base_url,
        secret=ctx.settings.link_secret,
        person_id=ctx.person_id,
        purpose=purpose,
        now=now,
    )
    with ctx.sessions.begin() as session:
        audit.record(
            session=session, at=now, actor=ctx.actor, action="web.link_sent", subject=f"web:{purpose}"
        )
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    return Reply(
        text=f"Here is your link to {what}. It works once, within {minutes} minutes, and only for you: {link}\n"
        f"Don't forward it. If it stops working, type {command} again for a new one.",
        is_private=True,
    )


async def send_insight_link(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Send a 15-minute link to the insight dashboard."""
    with ctx.sessions() as session:
        insight_scope(session=session, person=ctx.person, clock=ctx.clock)
    return _link_reply(ctx, "insight", "the insight dashboard", "insight")


async def send_directory_link(msg: InboundMessage, ctx: HandlerContext) -> Reply:
    """Send a 15-minute link to the directory editor (directory admins only)."""
    with ctx.sessions() as session:
        directory_scope(session=session, person=ctx.person, clock=ctx.clock)
    return _link_reply(ctx, "directory", "the directory editor", "edit directory")


def register(router: Router) -> None:
    """Register stats, insight and edit directory."""
    router.command(
        "stats",
        show_stats,
        aliases=("figures", "statistics"),
        summary="Response times for a team: stats front door last quarter (managers and the partnership).",
        usage="stats [team] [this month|last month|last quarter|last 6 months]",
        examples=("stats", "stats front door last quarter"),
    )
    router.action("stats", show_stats)
    router.command(
        "insight",
        send_insight_link,
        aliases=("dashboard",),
        summary="Get a 15-minute link to the insight dashboard (managers and the partnership).",
        usage="insight",
    )
    router.action("insight", send_insight_link)
    router.command(
        "edit directory",
        send_directory_link,
        aliases=("edit-directory",),
        summary="Get a 15-minute link to the directory editor (directory admins).",
        usage="edit directory",
    )
    router.phrase(r"edit\s+(?:the\s+)?directory", "edit directory")
