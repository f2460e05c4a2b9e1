"""In headless Chromium: open the dashboard through a signed link, check the charts render and the CSV downloads,
edit a directory entry and find the change in a chat search, and see the page for an expired or tampered link.
axe-core checks every page for WCAG 2.2 A/AA problems; screenshots go to docs/screenshots/."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import SQLModel

from bot.web import build_web_app
from handlers.messages import InboundMessage
from storage.db import make_engine
from tests.web import browser
from tests.web.conftest import WebWorld, make_world

MISSING = browser.missing_browser()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(MISSING is not None and not browser.IS_REQUIRED, reason=f"no browser: {MISSING}"),
]


@pytest.fixture
def file_engine(tmp_path: Path) -> Iterator[Engine]:
    """An SQLite file, since the server answers from its own thread."""
    engine = make_engine(f"sqlite:///{tmp_path / 'web.sqlite3'}")
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def served(file_engine: Engine) -> Iterator[tuple[WebWorld, str]]:
    """The web world served by uvicorn on a free port; yields it and its base URL."""
    sock = browser.free_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    world = make_world(file_engine, base_url=base_url)
    with browser.serving(build_web_app(world.runtime), sock):
        yield world, base_url


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium that downloads into tmp_path/downloads."""
    assert MISSING is None, MISSING
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    chrome = browser.chrome(downloads)
    chrome.download_dir = downloads
    yield chrome
    chrome.quit()


def _check_accessibility(driver: Any, screenshot: str) -> None:
    problems = browser.serious(browser.axe_violations(driver))
    browser.save_screenshot(driver, browser.SCREENSHOTS / screenshot)
    assert problems == [], "\n".join(problems)


def test_dashboard_charts_render_and_tables_download(served: tuple[WebWorld, str], driver: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    world, _base = served
    driver.get(world.link("nscp.lead", "insight"))
    assert driver.find_element(By.TAG_NAME, "h1").text == "Open the insight dashboard"
    _check_accessibility(driver, "link-continue.png")
    driver.find_element(By.ID, "continue").click()
    browser.wait_for(lambda: driver.current_url.endswith("/insight"))
    assert driver.current_url.endswith("/insight")
    assert driver.title == "Response times and repeat referrals – joinup"
    charts = driver.find_elements(By.CSS_SELECTOR, "svg.joinup-chart")
    assert len(charts) == 4
    for chart in charts:
        assert chart.size["width"] > 300 and chart.size["height"] > 20
    bars = [bar for bar in driver.find_elements(By.CSS_SELECTOR, "#chart-teams rect.joinup-bar")]
    assert bars and max(bar.size["width"] for bar in bars) > 100  # drawn, not just present in the markup
    # GOV.UK Frontend's JavaScript ran: the body is marked and the styles are applied.
    assert "govuk-frontend-supported" in driver.find_element(By.TAG_NAME, "body").get_attribute("class")
    assert driver.find_element(By.CSS_SELECTOR, "h1").value_of_css_property("font-weight") == "700"
    _check_accessibility(driver, "insight-dashboard.png")
    # Keyboard: the first Tab lands on the skip link.
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    assert driver.switch_to.active_element.text == "Skip to main content"

    # Choose last month (December 2026, the hand-computed history) with the form, then download by keyboard.
    Select(driver.find_element(By.ID, "period")).select_by_visible_text("Last month")
    old_caption = driver.find_element(By.CSS_SELECTOR, ".govuk-caption-l")
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    browser.wait_for(lambda: browser.is_stale(old_caption))  # the new page, not the old one still showing
    assert "December 2026" in driver.find_element(By.CSS_SELECTOR, ".govuk-caption-l").text
    driver.find_element(By.CSS_SELECTOR, "a[href^='/insight/download/teams.csv']").send_keys(Keys.ENTER)
    downloaded = browser.wait_for(lambda: list(driver.download_dir.glob("*.csv")))
    rows = list(csv.reader(io.StringIO(downloaded[0].read_text(encoding="utf-8"))))
    assert downloaded[0].name.startswith("joinup-teams-all-")
    assert rows[1][:3] == ["Children's front door", "4", "2.0"]


def test_a_directory_edit_shows_in_chat_search(served: tuple[WebWorld, str], driver: Any) -> None:
    from selenium.webdriver.common.by import By

    world, _base = served
    driver.get(world.link("dir.admin", "directory"))
    driver.find_element(By.ID, "continue").click()
    browser.wait_for(lambda: driver.current_url.endswith("/directory/edit"))
    assert "Due for review" in driver.find_element(By.ID, "teams").text
    _check_accessibility(driver, "directory-list.png")

    before = _run(world, "find splash club")
    assert "LADO" not in before.text
    driver.find_element(By.LINK_TEXT, "LADO").click()
    handles = driver.find_element(By.ID, "handles")
    handles.clear()
    handles.send_keys("allegation about the splash club")
    interval = driver.find_element(By.ID, "review_interval_days")
    interval.clear()
    interval.send_keys("3")
    driver.find_element(By.ID, "save").click()
    summary = driver.find_element(By.CSS_SELECTOR, ".govuk-error-summary")
    assert "The review interval: 3 is too small" in summary.text
    assert driver.title.startswith("Error: ")
    # GOV.UK Frontend moves focus to the summary, so a screen reader announces it first.
    assert "govuk-error-summary" in (driver.switch_to.active_element.get_attribute("class") or "")
    _check_accessibility(driver, "directory-edit-errors.png")

    interval = driver.find_element(By.ID, "review_interval_days")
    interval.clear()
    interval.send_keys("90")
    driver.find_element(By.ID, "save").click()
    banner = driver.find_element(By.CSS_SELECTOR, ".govuk-notification-banner")
    assert "Saved" in banner.text

    reply = _run(world, "find splash club")
    assert reply.text.startswith("LADO: Open now.") and "Why: matches: splash club." in reply.text, reply


def _run(world: WebWorld, text: str) -> Any:
    import asyncio

    return asyncio.run(
        world.runtime.dispatcher.handle(
            InboundMessage(platform="console", sender_key="hv.manager", text=text)
        )
    )


@pytest.mark.parametrize("spoil", ["expired", "tampered"])
def test_a_bad_link_says_ask_the_bot_for_a_new_one(
    served: tuple[WebWorld, str], driver: Any, spoil: str
) -> None:
    from selenium.webdriver.common.by import By

    world, _base = served
    link = world.link("nscp.lead", "insight")
    if spoil == "expired":
        world.clock.advance(timedelta(minutes=16))
    else:
        link = link.replace("?t=", "?t=x")
    driver.get(link)
    assert driver.find_element(By.TAG_NAME, "h1").text == "Link expired — ask the bot for a new one"
    assert driver.get_cookies() == []
    _check_accessibility(driver, f"link-{spoil}.png")


@pytest.mark.parametrize(("path", "heading"), [("/privacy", "Privacy notice"), ("/terms", "Terms of use")])
def test_the_privacy_notice_and_terms_pass_the_accessibility_check(
    served: tuple[WebWorld, str], driver: Any, path: str, heading: str
) -> None:
    from selenium.webdriver.common.by import By

    _world, base = served
    driver.get(base + path)
    assert driver.find_element(By.TAG_NAME, "h1").text == heading
    assert browser.serious(browser.axe_violations(driver)) == []
