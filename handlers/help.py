"""help [topic]: what joinup can do, built from the commands that are registered."""

from __future__ import annotations

from handlers.context import HandlerContext
from handlers.guidance.role import lookup
from handlers.messages import Button, Field, InboundMessage, Reply, Section
from handlers.router import Handler, Router

INTRO = (
    "I help you reach the right people about a child and keep track of what you're waiting for. "
    "Type a command, or just say what you need, like: worried about a baby, or parent hearing voices."
)
NEW_HERE = (
    "You're new here. Searching works straight away; before I track anything for you I'll ask your team, "
    "nation and job (or type setup now)."
)
GREETINGS = frozenset({"hi", "hello", "hiya", "hey", "start", "menu", "commands"})
TIPS = (
    "Type help <command> for more on one command. In the middle of a question, type back to change your "
    "last answer or cancel to stop. Use case references, never names or NHS numbers."
)


# The command list in help, by what people come to do. A command not named here goes under "More".
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Find the right contact", ("find", "role", "due", "share")),
    (
        "Track a referral or call",
        ("refer", "tried", "ack", "feedback", "mine", "snooze", "pause", "resume", "close"),
    ),
    ("When you disagree with a decision", ("escalate", "disagree", "escalations", "chronology")),
    ("Managers and the partnership", ("digest", "stats", "insight")),
    ("Keeping the directory right", ("verify", "stale", "edit directory")),
    ("You", ("setup", "help")),
)


def command_groups(router: Router) -> tuple[Section, ...]:
    """Every command with a summary, as one section a group (GROUPS), in the order people need them."""
    commands = {c.name: c for c in router.commands if c.summary}
    grouped = {name for _title, names in GROUPS for name in names}
    groups = [*GROUPS, ("More", tuple(name for name in commands if name not in grouped))]
    return tuple(
        Section(title=title, fields=tuple(Field(commands[n].usage, commands[n].summary) for n in present))
        for title, names in groups
        if (present := [n for n in names if n in commands])
    )


def make_help(router: Router) -> Handler:
    """Build the help handler for `router`, so help always matches what is registered."""

    async def show_help(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        """List the commands, or explain one."""
        topic = (msg.action_value or "") if msg.action else ctx.args
        topic = topic.strip(" ?!.").lower()
        if ctx.word.rstrip("!,.") in GREETINGS:  # "hi there", "hello joinup": a greeting, not a topic
            topic = ""
        if topic:
            return _topic(router, topic)
        intro = INTRO if ctx.person.is_onboarded else f"{INTRO}\n{NEW_HERE}"
        buttons = tuple(
            Button(f"Try: {example}", "try", example)
            for example in ("find health visitor", "role lead professional", "share?")
            if router.parse(example).name != "search"
        )
        return Reply(text=f"{intro}\n{TIPS}", sections=command_groups(router), buttons=buttons)

    return show_help


def _topic(router: Router, topic: str) -> Reply:
    intent = router.parse(topic)
    command = router.get_command(intent.name)
    if command is not None and command.name != "help":
        lines = [command.summary, f"Type: {command.usage}"]
        if command.details:
            lines.append(command.details)
        fields = tuple(Field("Example", example) for example in command.examples)
        buttons = tuple(Button(f"Try: {e}", "try", e) for e in command.examples[:3])
        return Reply(text="\n".join(lines), fields=fields, buttons=buttons)
    if router.get_command("role") is not None and lookup(topic) is not None:
        return Reply(
            text=f"I don't have help on '{topic[:60]}' as a command, but I can explain it as a role "
            "or abbreviation. Type help to see every command.",
            buttons=(Button(f"Explain {topic[:40]}", "role", topic[:60]),),
        )
    # No "Explain nonsense" button for a word the glossary doesn't know: it would only say so again.
    return Reply(
        text=f"I don't have help on '{topic[:60]}'. Type help to see every command, or just say what "
        "you need, like worried about a baby."
    )


def make_try(router: Router) -> Handler:
    """Build the handler for 'Try: …' buttons: run the example as if it had been typed."""

    async def try_example(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        if ctx.dispatch is None or not msg.action_value:
            return Reply(text="Type help to see what I can do.")
        typed = InboundMessage(
            platform=msg.platform, sender_key=msg.sender_key, text=msg.action_value, address=msg.address
        )
        return await ctx.dispatch(typed)

    return try_example


def register(router: Router) -> None:
    """Register help."""
    show_help = make_help(router)
    router.command(
        "help",
        show_help,
        aliases=("?", "hi", "hello", "hiya", "hey", "start", "commands", "menu", "halp", "helo"),
        summary="See what I can do, or help <command> for one command.",
        usage="help [command]",
        examples=("help", "help find", "help share"),
    )
    router.action("help", show_help)
    router.action("try", make_try(router))
