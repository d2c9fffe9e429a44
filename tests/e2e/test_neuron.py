"""The neuron page in Chromium: sliders move the line the server computes, the activation sets h's range."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
LINE = "[data-testid=neuron-surface-line]"


def line_ends(page: Page) -> list[float]:
    return page.eval_on_selector(LINE, "l => ['x1', 'y1', 'x2', 'y2'].map(a => Number(l.getAttribute(a)))")


def open_page(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/neuron")
    page.wait_for_selector(LINE)


def test_moving_the_bias_slider_moves_the_decision_line_without_turning_it(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path], console_errors: list[str]
) -> None:
    open_page(page, base_url)
    before, angle = line_ends(page), page.get_by_test_id("neuron-angle").inner_text()
    offset = page.get_by_test_id("neuron-offset").inner_text()
    screenshot(page, "neuron-1280x800-before")
    page.get_by_test_id("neuron-b").focus()
    for _ in range(10):  # b from −6 to −5 with the keyboard, 0.1 a press
        page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("neuron-formula")).to_contain_text(
        re.compile(r"\(−5\+")
    )  # the answer for b = −5 is drawn
    after = line_ends(page)
    assert after != before
    assert page.get_by_test_id("neuron-angle").inner_text() == angle == "45°"
    assert page.get_by_test_id("neuron-offset").inner_text() != offset
    # the line x₁ + x₂ = 1.25 now lies nearer the origin (bottom left) than x₁ + x₂ = 1.5 did
    assert after[0] < before[0] and after[3] > before[3]
    assert "b=-5" in page.url
    screenshot(page, "neuron-1280x800-bias-moved")
    assert console_errors == []


def test_moving_a_weight_turns_the_line(page: Page, base_url: str) -> None:
    open_page(page, base_url)
    page.get_by_test_id("neuron-w2").fill("1")
    expect(page.get_by_test_id("neuron-angle")).to_have_text("14.04°")


@pytest.mark.parametrize(
    "g, words, h11",
    [("tanh", "−1 to 1", "0.964"), ("relu", "0 to ∞", "2"), ("identity", "−∞ to ∞", "2"), ("step", "0 to 1", "1")],
)
def test_the_activation_sets_the_range_of_h(page: Page, base_url: str, g: str, words: str, h11: str) -> None:
    open_page(page, base_url)
    page.get_by_test_id("neuron-g").select_option(g)
    expect(page.get_by_test_id("neuron-point-3-h")).to_have_text(h11)  # h at (1, 1), where a = 4 + 4 − 6 = 2
    expect(page.get_by_test_id("neuron-range")).to_have_text(words)


def test_the_neuron_page_fits_a_phone(page: Page, base_url: str, screenshot: Callable[[Page, str], Path]) -> None:
    page.set_viewport_size(PHONE)
    open_page(page, base_url)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "neuron-390x844")
