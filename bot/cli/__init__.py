"""The joinup command line. Each command group lives in its own module and is added here."""

from __future__ import annotations

import logging
import sys

import click

from bot.cli import audit, bench, bench_load, bench_report, bench_slack, chat, db, serve
from bot.cli import bench_digest as digest_benchmark  # issue 10
from bot.cli import bench_insight as insight_benchmark  # issue 12
from bot.cli import bench_search as search_benchmark  # issue 4
from bot.cli import bench_sweep as sweep_benchmark  # issue 6
from bot.cli import chronology as chronology_commands
from bot.cli import demo as demo_commands  # issue 12
from bot.cli import digest as digest_commands  # issue 10
from bot.cli import directory as directory_commands
from bot.cli import policy as policy_commands
from bot.cli import retention as retention_commands  # issue 10
from bot.cli import teams as teams_commands
from bot.cli.common import friendly_errors
from storage.privacy import install_redaction

# Modules that only add commands to a group above (e.g. bench all/report).
SUBCOMMAND_MODULES = [bench_load, bench_report]
SUBCOMMAND_MODULES.append(insight_benchmark)  # bench insight (issue 12)
SUBCOMMAND_MODULES.append(bench_slack)  # bench slack
SUBCOMMAND_MODULES.append(sweep_benchmark)  # bench sweep (issue 6)
SUBCOMMAND_MODULES.append(digest_benchmark)  # bench digest (issue 10)
SUBCOMMAND_MODULES.append(search_benchmark)  # bench search (issue 4)

# Every command group, in the order --help lists them.
GROUPS: list[click.Command] = [chat.chat, serve.serve, db.db, audit.audit, bench.bench]
GROUPS += [policy_commands.policy, chronology_commands.chronology]  # issue 7
GROUPS.append(demo_commands.demo)  # demo seed-history (issue 12)
GROUPS.append(teams_commands.teams)  # teams package, teams sync-people (issue 9)
GROUPS.append(directory_commands.directory)  # directory import/export/check/stale/verify/coverage (issue 4)
GROUPS += [digest_commands.digest, retention_commands.purge]  # digest preview, purge (issue 10)


@click.group(help="joinup: reach the right people about a child, and keep track of what you're waiting for.")
@click.option("--verbose", "-v", is_flag=True, help="Log debug detail to stderr.")
def cli(verbose: bool) -> None:
    """The joinup command line."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    install_redaction()  # nothing personal reaches the logs (issue 10)


for group in GROUPS:
    cli.add_command(group)


def main() -> None:
    """Run the CLI, turning known errors into one line instead of a traceback."""
    with friendly_errors():
        cli(standalone_mode=True)
