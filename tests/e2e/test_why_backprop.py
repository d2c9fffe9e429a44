"""The why-backprop page in Chromium: the slide's counts side by side, and counts and timings for larger chains."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.e2e.stage import MIN_TEXT_PX, PROJECTORS, off_screen, small_text, viewport_shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def column(page: Page, table: str, key: str) -> list[str]:
    return [page.get_by_test_id(f"{table}-{row}-{key}").inner_text() for row in range(5)]


def test_the_slide_network_shows_the_slides_counts_and_the_consistent_ones(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path], console_errors: list[str]
) -> None:
    page.goto(f"{base_url}/why-backprop")
    expect(page.get_by_test_id("slide-counts-total-forward")).to_have_text("64")
    assert column(page, "slide-counts", "forward") == ["4", "12", "20", "14", "14"]
    assert column(page, "slide-counts", "slide") == ["4", "12", "28", "14", "14"]
    assert column(page, "slide-counts", "reverse") == ["4", "6", "6", "4", "1"]
    assert page.get_by_test_id("slide-counts-total-slide").inner_text() == "72"
    layer3 = page.get_by_test_id("slide-listing-layer-3")
    assert layer3.locator("li.term--repeated").count() == 4 and layer3.locator("li.term--zero").count() == 4
    assert page.get_by_test_id("backward-layer-4").locator("li.term--carried").count() == 1
    expect(page.get_by_test_id("why-agree")).to_contain_text("same gradient")
    screenshot(page, "why-backprop-1280x800")
    assert console_errors == []


def test_sliders_grow_the_network_and_the_counts_and_timings_follow(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    page.goto(f"{base_url}/why-backprop")
    expect(page.get_by_test_id("why-weights")).to_have_text("14")
    page.get_by_test_id("why-width").fill("4")
    page.get_by_test_id("why-depth").fill("6")
    expect(page.get_by_test_id("why-weights")).to_have_text("100")  # 4·4·6 + 4
    assert page.get_by_test_id("why-reverse").inner_text() == "125"  # 100 weights + 24 nodes + ∂l/∂ŷ
    assert int(page.get_by_test_id("why-forward-total").inner_text()) > 10 * 125
    expect(page.get_by_test_id("why-time-note")).to_contain_text("Measured width 4, depths 1 to 12", timeout=20_000)
    assert page.get_by_test_id("why-time-chart").locator("polyline").count() == 2
    assert "width=4" in page.url and "depth=6" in page.url
    screenshot(page, "why-backprop-larger")


def test_the_why_backprop_page_fits_a_phone(page: Page, base_url: str, screenshot: Callable[[Page, str], Path]) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{base_url}/why-backprop")
    expect(page.get_by_test_id("slide-counts-total-forward")).to_have_text("64")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "why-backprop-390x844")


@pytest.mark.parametrize("size", PROJECTORS)
def test_page_down_steps_from_the_slides_counts_to_the_larger_networks_and_back(
    page: Page, base_url: str, console_errors: list[str], screenshot_dir: Path, size: str
) -> None:
    page.set_viewport_size(PROJECTORS[size])
    page.goto(f"{base_url}/why-backprop?present=1")
    expect(page.get_by_test_id("slide-counts-total-forward")).to_have_text("64")
    assert off_screen(page, "#why-slide-counts") is None
    page.keyboard.press("PageDown")
    page.wait_for_function("() => location.hash === '#why-larger'")
    expect(page.get_by_test_id("why-time-note")).to_contain_text("Measured width 2", timeout=20_000)
    for selector in (
        "[data-testid=why-width]",
        "[data-testid=why-forward-total]",
        "#why-count-chart",
        "#why-time-chart",
        "[data-testid=present-bar]",
    ):
        assert off_screen(page, selector) is None, off_screen(page, selector)
    assert small_text(page, "#why-larger", MIN_TEXT_PX[size]) == []
    viewport_shot(page, screenshot_dir, f"stage-why-backprop-larger-{size}")
    page.keyboard.press("PageUp")
    page.wait_for_function("() => location.hash === '#why-slide'")
    page.wait_for_timeout(100)
    assert off_screen(page, "#why-slide-counts") is None
    assert page.evaluate("scrollY") == 0, "the window itself never scrolls: main does"
    assert console_errors == []
