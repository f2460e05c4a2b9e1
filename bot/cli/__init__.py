"""The joinup command line. Each command group lives in its own module and is loaded only when it runs.

Lazy loading keeps `joinup chat` from importing the Slack and Teams SDKs, which would cost seconds of start-up
on a new user's first run. `joinup --help` still loads every group, to show each one's help line.
"""

from __future__ import annotations

import importlib

import click

from bot.cli.common import friendly_errors
from bot.logs import LogFormat, setup_logging

# Every command: name → "module:attribute", in the order --help lists them.
COMMANDS: dict[str, str] = {
    "chat": "bot.cli.chat:chat",
    "serve": "bot.cli.serve:serve",
    "db": "bot.cli.db:db",
    "audit": "bot.cli.audit:audit",
    "bench": "bench.cli:bench",
    "policy": "bot.cli.policy:policy",  # escalation policies: load a new version, list them
    "chronology": "bot.cli.chronology:chronology",  # a case's chronology, for case reviews
    "demo": "bot.cli.demo:demo",  # demo seed-history: fictional referrals for insight and stats
    "teams": "bot.cli.teams:teams",  # teams package (the app to upload), teams sync-people
    "directory": "bot.cli.directory:directory",  # import/export/check/stale/verify/coverage
    "digest": "bot.cli.digest:digest",  # digest preview
    "purge": "bot.cli.retention:purge",  # purge closed work past the retention period
    "inbox": "bot.cli.inbox:inbox",  # list, retry, drop the requests platforms handed joinup
    "outbox": "bot.cli.inbox:outbox",  # list and retry undelivered reminders
    "worker": "bot.cli.serve:worker",  # inbox workers and the scheduled jobs, without the web server
}

# Modules that only add commands to a group above; loaded with their group.
SUBCOMMAND_MODULES: dict[str, list[str]] = {
    "bench": [
        "bench.load",
        "bench.report",
        "bench.insight",  # insight queries over a large history
        "bench.slack",  # acks and replies against a bare bolt app
        "bench.teams",  # the same against a bare Teams SDK app
        "bench.sweep",  # the outbox sweep, with many due reminders
        "bench.sweep_real",  # the sweep through the real renderers and notifiers to fake platforms
        "bench.digest",  # digests for every manager
        "bench.search",  # directory search on a large directory
        "bench.relevance",  # directory answers against labelled practitioner queries
        "bench.feeds",  # pulling neighbours' feeds, and search and the feed at national scale
        "bench.privacy",  # the privacy guard's recall and false refusals on labelled notes
    ],
}


def load_command(name: str) -> click.Command:
    """Import one command (and the modules that add subcommands to it)."""
    module_name, _, attribute = COMMANDS[name].partition(":")
    command: click.Command = getattr(importlib.import_module(module_name), attribute)
    for extra in SUBCOMMAND_MODULES.get(name, []):
        importlib.import_module(extra)
    return command


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, in the order of COMMANDS."""
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import the command when it is asked for."""
        return load_command(cmd_name) if cmd_name in COMMANDS else None


@click.group(
    cls=LazyGroup,
    help="joinup: reach the right people about a child, and keep track of what you're waiting for.",
)
@click.option("--verbose", "-v", is_flag=True, help="Log debug detail to stderr.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    envvar="JOINUP_LOG_FORMAT",
    help="Log lines as text, or as one JSON object per line (for a log collector). Both are redacted.",
)
def cli(verbose: bool, log_format: LogFormat = "text") -> None:
    """The joinup command line."""
    setup_logging(verbose=verbose, log_format=log_format)


def main() -> None:
    """Run the CLI, turning known errors into one line instead of a traceback."""
    with friendly_errors():
        cli(standalone_mode=True)
