"""help [topic]: what joinup can do, built from the commands that are registered."""

from __future__ import annotations

from handlers.context import HandlerContext
from handlers.messages import Field, InboundMessage, Reply
from handlers.router import Handler, Router

INTRO = (
    "I help you reach the right people about a child and keep track of what you're waiting for. "
    "Type a command, or just say what you need, like: worried about a baby, or parent hearing voices."
)


def make_help(router: Router) -> Handler:
    """Build the help handler for `router`, so help always matches what is registered."""

    async def show_help(msg: InboundMessage, ctx: HandlerContext) -> Reply:
        """List the commands, or explain one."""
        intent = router.parse(msg.action_value or msg.text)
        topic = intent.args.lower() if intent.name == "help" else ""
        if topic:
            command = router.get_command(router.parse(topic).name)
            if command is not None and command.name != "help":
                return Reply(text=f"{command.summary}\nType: {command.usage}")
            return Reply(text=f"I don't have help on {topic!r}. Type help to see every command.")
        fields = tuple(Field(c.usage, c.summary) for c in router.commands if c.summary)
        return Reply(text=INTRO, fields=fields)

    return show_help


def register(router: Router) -> None:
    """Register help."""
    show_help = make_help(router)
    router.command(
        "help",
        show_help,
        aliases=("?", "hi", "hello", "start", "commands", "menu"),
        summary="See what I can do, or help <command> for one command.",
        usage="help [command]",
    )
    router.action("help", show_help)
