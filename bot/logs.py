"""Logging set-up for every joinup command: plain lines, or one JSON object per line (JOINUP_LOG_FORMAT=json or
`joinup --log-format json`), always through the redaction filter so nothing personal reaches the logs.

Expected failures (a platform's 4xx/5xx, an unreachable response_url, a timeout) are logged by their callers as one
line with platform, method, status and item. The Teams SDK logs its own traceback when a handler fails; joinup has
already logged that failure where it happened, so the SDK's copy is cut to one line here.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

from storage.redaction import RedactingFilter, install_redaction

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"
# The Teams SDK's HTTP server logs `logger.exception(...)` for any handler failure.
TEAMS_SDK_SERVER_LOGGER = "microsoft_teams.apps.http.http_server"
# uvicorn adds color_message (the message with terminal colour codes): not for a log collector.
_STANDARD = RedactingFilter._STANDARD | {"taskName", "color_message"}
_chosen: list[LogFormat] = ["text"]  # the format setup_logging chose, for uvicorn's own loggers


def chosen_format() -> LogFormat:
    """The log format this process was set up with."""
    return _chosen[0]


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, the record's extra fields, and the
    (already redacted) traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as one line of JSON."""
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_") and name not in entry:
                entry[name] = value if isinstance(value, str | int | float | bool | None) else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["traceback"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class OneLineSdkFailure(logging.Filter):
    """Cut the Teams SDK's traceback for a handler failure to one line naming the error's type."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Drop the traceback, keep the line."""
        if record.exc_info and record.exc_info[0] is not None:
            record.msg, record.args = f"teams handler failed: {record.exc_info[0].__name__}", None
            record.exc_info, record.exc_text = None, None
        return True


def formatter(log_format: LogFormat) -> logging.Formatter:
    """The formatter for a log format."""
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def setup_logging(*, verbose: bool, log_format: LogFormat) -> None:
    """Send log records to stderr in the chosen format, redacted, with the Teams SDK's handler tracebacks cut."""
    _chosen[0] = log_format
    root = logging.getLogger()
    if not root.handlers:  # as logging.basicConfig: a host that set up logging already (pytest) keeps its own
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(formatter(log_format))
        root.addHandler(handler)
        root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    install_redaction()  # nothing personal reaches the logs: log lines and tracebacks are redacted
    sdk = logging.getLogger(TEAMS_SDK_SERVER_LOGGER)
    if not any(isinstance(f, OneLineSdkFailure) for f in sdk.filters):
        sdk.addFilter(OneLineSdkFailure())


def uvicorn_log_config(config: dict[str, Any], log_format: LogFormat) -> dict[str, Any]:
    """uvicorn's logging dictConfig with every handler redacted and, for JSON, every formatter JSON."""
    config.setdefault("filters", {})["redact"] = {"()": RedactingFilter}
    for handler in config.get("handlers", {}).values():
        handler.setdefault("filters", []).append("redact")
    if log_format == "json":
        for name in list(config.get("formatters", {})):
            config["formatters"][name] = {"()": JsonFormatter}
    return config
