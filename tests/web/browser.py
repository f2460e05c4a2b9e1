"""Helpers for the browser tests: a real joinup server on a free port, headless Chromium, and axe-core.

Browser tests are marked `browser`. They skip cleanly when Chromium, ChromeDriver or selenium is missing,
unless JOINUP_TEST_BROWSER=required (set by .ci/run), when a missing browser is a failure instead.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
IS_REQUIRED = os.environ.get("JOINUP_TEST_BROWSER") == "required"
# WCAG 2.0, 2.1 and 2.2, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def missing_browser() -> str | None:
    """Say what is missing to run the browser tests, or None when everything is there."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    if CHROMIUM is None or CHROMEDRIVER is None:
        return "Chromium and ChromeDriver are not installed (apt-get install -y chromium chromium-driver)"
    return None


def free_socket() -> socket.socket:
    """Bind a listening socket on a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


@contextmanager
def serving(app: FastAPI, sock: socket.socket) -> Iterator[None]:
    """Run `app` with uvicorn on `sock` in a thread for the duration of the block."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def chrome(download_dir: Path) -> Any:
    """Start headless Chromium through ChromeDriver, downloading files into `download_dir`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1600"):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(download_dir), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER or ""), options=options)
    # After a click that loads a page, look for the next page's elements for a while rather than at once:
    # on a busy machine (the suite runs on every core) the new page can take a moment to arrive.
    driver.implicitly_wait(10)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)}
    )
    return driver


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """Run axe-core on the current page and return its violations."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(result => done(result.violations), error => done([{id: 'axe-error', impact: 'critical',"
        " description: String(error), nodes: []}]));",
        AXE_TAGS,
    )
    return violations


def serious(violations: list[dict[str, Any]]) -> list[str]:
    """Return a line per serious or critical violation."""
    return [
        f"{v['id']} ({v['impact']}): {v['description']} at {[n.get('target') for n in v.get('nodes', [])][:3]}"
        for v in violations
        if v.get("impact") in ("serious", "critical")
    ]


def save_screenshot(driver: Any, path: Path, *, max_height: int = 2400) -> None:
    """Save the page (beyond the window, up to `max_height` CSS pixels) as a PNG."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], max_height), "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))


def wait_for(condition: Any, *, timeout: float = 10.0) -> Any:
    """Poll `condition()` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the browser")
        time.sleep(0.05)


def is_stale(element: Any) -> bool:
    """Tell whether `element` belongs to a page the browser has left (after a click that loads another)."""
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        element.tag_name  # noqa: B018  (any call on a stale element raises)
    except StaleElementReferenceException:
        return True
    return False
