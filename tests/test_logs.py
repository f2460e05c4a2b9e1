"""Log output: one redacted JSON object per line when asked for, and one line (no traceback) for the Teams SDK's
report of a handler failure."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from bot.logs import TEAMS_SDK_SERVER_LOGGER, JsonFormatter, OneLineSdkFailure, uvicorn_log_config

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import logging
from bot.logs import setup_logging
setup_logging(verbose=False, log_format="json")
log = logging.getLogger("bot.slack.notifier")
log.warning("slack call failed for hv.amy@example.org", extra={"platform": "slack", "method": "chat.postMessage",
            "status": "slack: http_503", "person_id": 7})
try:
    raise RuntimeError("boom for 07700 900123")
except RuntimeError:
    log.exception("a bug")
"""


def test_json_logs_are_one_redacted_object_per_line() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=True,
    )

    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2  # the traceback stays inside its record's line
    expected, bug = (json.loads(line) for line in lines)
    assert expected["level"] == "warning" and expected["logger"] == "bot.slack.notifier"
    assert expected["platform"] == "slack" and expected["method"] == "chat.postMessage"
    assert expected["status"] == "slack: http_503" and expected["person_id"] == 7
    assert "hv.amy@example.org" not in expected["message"]
    assert "RuntimeError" in bug["traceback"]
    assert "07700 900123" not in bug["traceback"]


def test_the_teams_sdks_handler_failure_is_one_line() -> None:
    record = logging.LogRecord(TEAMS_SDK_SERVER_LOGGER, logging.ERROR, __file__, 1, "boom", None, None)
    try:
        raise ValueError("handler failed")
    except ValueError:
        record.exc_info = sys.exc_info()

    assert OneLineSdkFailure().filter(record)

    assert record.getMessage() == "teams handler failed: ValueError"
    assert record.exc_info is None
    assert "Traceback" not in JsonFormatter().format(record)


def test_uvicorn_loggers_are_redacted_and_json_when_asked() -> None:
    config = uvicorn_log_config(
        {
            "formatters": {"default": {"fmt": "%(message)s"}},
            "handlers": {"default": {"formatter": "default"}},
        },
        "json",
    )

    assert config["handlers"]["default"]["filters"] == ["redact"]
    assert config["formatters"]["default"] == {"()": JsonFormatter}
