"""The home page and the coming-soon pages, rendered by Chromium against a real server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from app.server.pages import PAGES

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
MAX_TABS_TO_NAV = 5
MAX_PHONE_HEADER_PX = 140  # the brand and Present, then one row of page links


def test_home_page_shows_its_title_and_every_card(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    page.goto(base_url)
    assert page.title() == "backprop-lab"
    assert page.get_by_role("heading", level=1).inner_text() == "backprop-lab"
    cards = page.get_by_test_id("page-card")
    assert cards.count() == len(PAGES)
    for card, registry_page in zip(cards.all(), PAGES, strict=True):
        assert card.is_visible()
        assert card.get_by_role("link", name=registry_page.title).is_visible()
    screenshot(page, "home-1280x800")


def test_home_page_on_a_phone_stacks_cards_without_horizontal_scrolling(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(base_url)
    lefts = {round(card.bounding_box()["x"]) for card in page.get_by_test_id("page-card").all()}
    assert len(lefts) == 1, f"cards should stack in one column on a phone, found columns at x={sorted(lefts)}"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "home-390x844")


def test_on_a_phone_the_page_links_are_one_sideways_row_that_shows_the_current_page(page: Page, base_url: str) -> None:
    """Wrapped, the links took 330 of the phone's 844 px at the top of every page; one row keeps the header short."""
    page.set_viewport_size(PHONE)
    for registry_page in PAGES:
        page.goto(base_url + registry_page.path)
        header = page.locator(".site-header").bounding_box()
        assert header is not None and header["height"] <= MAX_PHONE_HEADER_PX, registry_page.path
        links = page.get_by_test_id("nav").get_by_role("link")
        assert links.count() == len(PAGES)
        assert len({round(link.bounding_box()["y"]) for link in links.all()}) == 1, "the links should be one row"
        current = page.get_by_test_id("nav").locator('[aria-current="page"]').bounding_box()
        assert current is not None and current["x"] >= 0 and current["x"] + current["width"] <= PHONE["width"], (
            f"{registry_page.path}: the current page's link is off the screen at x={current}"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_clicking_each_card_opens_its_page(page: Page, base_url: str, screenshot: Callable[[Page, str], Path]) -> None:
    for registry_page in PAGES:
        page.goto(base_url)
        page.get_by_test_id("page-card").get_by_role("link", name=registry_page.title).click()
        page.wait_for_url(base_url + registry_page.path)
        assert page.get_by_role("heading", level=1).inner_text() == registry_page.title
        current = page.get_by_test_id("nav").locator('[aria-current="page"]')
        assert current.inner_text() == registry_page.title
        if not registry_page.ready:
            assert page.get_by_text("Coming soon").first.is_visible()
    screenshot(page, f"coming-soon-{PAGES[-1].slug}")


def test_tab_reaches_the_nav_links_with_a_visible_focus_ring(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    page.goto(base_url)
    for _ in range(MAX_TABS_TO_NAV):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('[data-testid=nav]') !== null"):
            break
    else:
        pytest.fail(f"{MAX_TABS_TO_NAV} presses of Tab did not reach a nav link")
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return {style: s.outlineStyle, width: parseFloat(s.outlineWidth)}; })()"
    )
    assert outline["style"] != "none" and outline["width"] >= 2, f"focus ring too faint: {outline}"
    screenshot(page, "home-keyboard-focus")


def test_pages_load_without_console_errors(page: Page, base_url: str, console_errors: list[str]) -> None:
    for path in ["/", *(registry_page.path for registry_page in PAGES)]:
        page.goto(base_url + path, wait_until="load")
    assert console_errors == []
