"""The Teams SDK's own logging, kept from carrying what people typed.

The SDK logs every incoming activity at DEBUG with its full text and card inputs
(`microsoft_teams.apps.app_process`: "Received activity: ..."), so with `joinup -v` a note the privacy
guard refused would reach the log. joinup's log redaction can't make that safe (it hides numbers, e-mail
addresses and postcodes, not people's names), so that logger is held at INFO: its DEBUG lines are only
that dump and two "calling plugins"/"completed" lines, and its warnings and errors still come through.
"""

from __future__ import annotations

import logging

ACTIVITY_DUMP_LOGGER = "microsoft_teams.apps.app_process"


def quiet_activity_dump() -> None:
    """Keep the SDK's full-activity DEBUG dump out of the logs, whatever the root level (idempotent)."""
    logger = logging.getLogger(ACTIVITY_DUMP_LOGGER)
    if logger.level == logging.NOTSET or logger.level < logging.INFO:
        logger.setLevel(logging.INFO)
