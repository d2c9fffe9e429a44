"""End-to-end fixtures: a real server on a free loopback port, Debian's Chromium driven by Playwright, screenshots.

The tests' `wait_for_function` predicates read elements with `?.`: a predicate that throws ends the wait with an
error at once, and a tab that navigates (the lesson's next step, a following student's tab) runs it in a document
still being parsed, where the element is not there yet and must mean "not yet"."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 800}
# How long a tab waits for what a test expects (an answer, a join, a followed view) before the test fails. Waits
# end as soon as the page is there, so this only bounds a stall: on a shared 2-core machine a room test's three
# tabs, server and browser sometimes stalled past 10 s within a full run.
TIMEOUT_MS = 20_000


@pytest.fixture(scope="session")
def base_url(start_server: Callable[..., AbstractContextManager[str]]) -> Iterator[str]:
    """Base URL of one `python -m app serve` process shared by every end-to-end test."""
    with start_server({"BACKPROP_LAB_ROOM_OPENS_PER_HOUR": "1000"}) as url:  # every test's rooms come from 127.0.0.1
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium; fails (never skips) when Playwright or Chromium is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        pytest.fail(f"Playwright is not installed ({error}); ./scripts/test installs it.", pytrace=False)
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium is missing at {CHROMIUM}; ./scripts/test installs it with apt-get.", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def console_errors() -> list[str]:
    """Console errors, uncaught exceptions and failed requests seen by the `page` fixture."""
    return []


def _record_console_error(message: ConsoleMessage, errors: list[str]) -> None:
    """Record a console message of type error."""
    if message.type == "error":
        errors.append(f"console: {message.text}")


def _record_failed_request(request: Request, errors: list[str]) -> None:
    """Record a request that failed, except one aborted because the tab navigated away (a favicon, say)."""
    if request.failure != "net::ERR_ABORTED":
        errors.append(f"request failed: {request.url} ({request.failure})")


def _record_http_error(response: Response, errors: list[str]) -> None:
    """Record a response with an HTTP error status."""
    if response.status >= 400:
        errors.append(f"HTTP {response.status}: {response.url}")


def _watch(tab: Page, errors: list[str]) -> Page:
    """Record a tab's console errors, uncaught exceptions, failed requests and HTTP errors in `errors`."""
    tab.set_default_timeout(TIMEOUT_MS)
    tab.on("console", lambda message: _record_console_error(message, errors))
    tab.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    tab.on("requestfailed", lambda request: _record_failed_request(request, errors))
    tab.on("response", lambda response: _record_http_error(response, errors))
    return tab


@pytest.fixture
def page(browser: Browser, console_errors: list[str]) -> Iterator[Page]:
    """A fresh desktop-sized tab that records its console errors, failed requests and HTTP errors."""
    context = browser.new_context(viewport=DESKTOP)
    yield _watch(context.new_page(), console_errors)
    context.close()


@pytest.fixture
def new_person(browser: Browser) -> Iterator[Callable[[], tuple[Page, list[str]]]]:
    """A factory of people: each call opens a tab in a browser context of its own (its own cookies and session
    storage, like another laptop) and returns it with the list its console errors are recorded in, as `page` does."""
    contexts = []

    def open_tab() -> tuple[Page, list[str]]:
        context = browser.new_context(viewport=DESKTOP)
        contexts.append(context)
        errors: list[str] = []
        return _watch(context.new_page(), errors), errors

    yield open_tab
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshot_dir(repo_root: Path) -> Path:
    """Folder CI keeps for screenshots (gitignored)."""
    folder = repo_root / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def screenshot(screenshot_dir: Path) -> Callable[[Page, str], Path]:
    """Save a full-page screenshot of a tab as `<name>.png` in the screenshot folder; returns its path."""

    def take(tab: Page, name: str) -> Path:
        path = screenshot_dir / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    return take
