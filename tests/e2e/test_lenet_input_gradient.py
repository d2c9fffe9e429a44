"""/lenet's input-gradient panel (#input-gradient) in Chromium against a real server: on a digit drawn with the
mouse, the saliency maps are drawn, moving the ε slider until LeNet reads another digit shows the flip and a
perturbation that is not blank, the iterated attack flips it too, and dreaming draws a picture; the panel is one
projected screen at 720p and 1080p, usable on a touch phone; viewport screenshots are saved as artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.stage import MIN_TEXT_PX, PROJECTORS, off_screen, small_text, viewport_shot
from tests.e2e.test_lenet import DISTINCT_COLOURS, PHONE, open_lenet, settled, stroke

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

PANEL = "#input-gradient"
READING = "[data-testid=fgsm-prediction]"
ON_ONE_SCREEN = (
    "[data-testid=saliency-map]",
    "[data-testid=times-input-map]",
    "[data-testid=fgsm-epsilon]",
    "[data-testid=fgsm-perturbation]",
    "[data-testid=fgsm-image]",
    READING,
    "[data-testid=dream-run]",
    "[data-testid=dream-image]",
)


def draw_seven(page: Page) -> None:
    """A 7 drawn with the mouse: a bar across the top, then a stroke down to the left."""
    stroke(page, [(70, 60), (140, 58), (210, 56), (190, 120), (160, 185), (135, 245)])


def open_panel(page: Page) -> None:
    """Bring the panel on screen (as a student scrolling down, or a lecturer going to #input-gradient) and wait for
    the answer for the drawing as it is."""
    page.evaluate("(selector) => document.querySelector(selector).scrollIntoView({ block: 'start' })", PANEL)
    page.wait_for_function(
        "() => document.getElementById('input-gradient')?.dataset.empty === 'false'"
        " && document.querySelector('[data-testid=fgsm-prediction]')?.textContent.length > 0"
    )


def epsilon_shown(page: Page) -> str:
    """The ε the readout's answer is for, as written in it."""
    return page.locator(READING).inner_text().split("ε = ")[1].split(":")[0]


def slide_until_the_reading_changes(page: Page) -> float:
    """Press → on the ε slider (0.005 a press), waiting for each answer, until LeNet reads another digit; the ε."""
    slider = page.locator("[data-testid=fgsm-epsilon]")
    slider.focus()
    for _ in range(100):
        if page.locator(READING).get_attribute("data-flipped") == "true":
            break
        slider.press("ArrowRight")
        value = slider.input_value()
        page.wait_for_function(
            "(value) => document.querySelector('[data-testid=fgsm-prediction]')?.textContent.includes(`ε = ${value}:`)",
            arg=str(float(value)),
        )
    return float(epsilon_shown(page))


def test_the_epsilon_slider_flips_the_prediction_and_shows_the_perturbation(
    page: Page, base_url: str, console_errors: list[str], screenshot_dir: Path
) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    open_lenet(page, base_url)
    draw_seven(page)
    settled(page)
    read_as = page.locator("[data-testid=prediction]").inner_text()
    open_panel(page)
    assert page.locator("[data-testid=input-gradient-status]").inner_text().endswith(f"as {read_as}.")
    for figure in ("saliency-map", "times-input-map"):
        assert page.evaluate(DISTINCT_COLOURS, f"[data-testid={figure}] canvas") > 1, figure
    assert "Full colour is ±" in page.locator("[data-testid=saliency-scale]").inner_text()

    epsilon = slide_until_the_reading_changes(page)
    reading = page.locator(READING)
    assert reading.get_attribute("data-flipped") == "true"
    assert reading.get_attribute("data-prediction") != read_as
    assert f"not {read_as}" in reading.inner_text()
    assert 0 < epsilon <= 0.3
    assert page.evaluate(DISTINCT_COLOURS, "[data-testid=fgsm-perturbation] canvas") > 1
    assert page.evaluate(DISTINCT_COLOURS, "[data-testid=fgsm-image] canvas") > 1
    smallest = page.locator("[data-testid=fgsm-smallest]").inner_text()
    assert f"ε = {epsilon} is the smallest" in smallest  # the server's grid has the slider's steps
    viewport_shot(page, screenshot_dir, "lenet-input-gradient-1440x900")

    page.locator("[data-testid=fgsm-iterated-mode]").check()
    assert reading.get_attribute("data-flipped") == "true"
    assert reading.inner_text().startswith("Iterated steps of 0.01: LeNet reads")
    assert console_errors == []


def test_dreaming_draws_what_a_class_responds_to(page: Page, base_url: str, console_errors: list[str]) -> None:
    open_lenet(page, base_url)
    draw_seven(page)
    settled(page)
    open_panel(page)
    page.select_option("[data-testid=dream-objective]", "class:5")
    page.locator("[data-testid=dream-run]").click()
    page.wait_for_function("() => document.getElementById('dream-image')?.dataset.frame === '5'")
    assert page.evaluate(DISTINCT_COLOURS, "[data-testid=dream-image] canvas") > 1
    assert page.locator("[data-testid=dream-strip] canvas").count() == 6
    assert page.locator("[data-testid=dream-result]").inner_text().startswith("score of 5: ")

    page.select_option("[data-testid=dream-objective]", "conv2:4")
    page.select_option("[data-testid=dream-start]", "drawing")
    page.locator("[data-testid=dream-run]").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=dream-result]')?.textContent.startsWith('centre unit of conv2 map')"
    )
    assert page.locator("[data-testid=dream-result]").inner_text().startswith("centre unit of conv2 map 4: ")
    assert "from your drawing" in page.locator("[data-testid=dream-result]").inner_text()
    assert console_errors == []


@pytest.mark.parametrize("size", PROJECTORS)
def test_projected_the_panel_is_one_screen_a_hall_can_read(
    page: Page, base_url: str, console_errors: list[str], screenshot_dir: Path, size: str
) -> None:
    page.set_viewport_size(PROJECTORS[size])
    page.goto(f"{base_url}/lenet?present=1#input-gradient")
    page.wait_for_selector('[data-testid="map-conv2-0"]')
    page.select_option("#lenet-example", "7")
    open_panel(page)
    page.locator("[data-testid=dream-run]").click()
    page.wait_for_function("() => document.getElementById('dream-image')?.dataset.frame === '5'")
    found = [reason for selector in ON_ONE_SCREEN if (reason := off_screen(page, selector))]
    viewport_shot(page, screenshot_dir, f"lenet-input-gradient-present-{size}")
    assert found == []
    assert off_screen(page, PANEL) is None, "the panel is its own stage: exactly the screen under the bar"
    assert off_screen(page, "[data-testid=present-bar]") is None, "the lesson bar stays on screen above the panel"
    assert small_text(page, PANEL, MIN_TEXT_PX[size]) == []
    assert console_errors == []


def test_on_a_touch_phone_the_panel_fits_the_width_and_works(
    browser: Browser, base_url: str, screenshot_dir: Path
) -> None:
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    open_lenet(tab, base_url)
    tab.select_option("#lenet-example", "2")
    open_panel(tab)
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for selector in ("[data-testid=saliency-map]", "[data-testid=fgsm-image]", "[data-testid=dream-image]"):
        box = tab.locator(selector).bounding_box()
        assert box is not None and box["width"] >= 120, f"{selector} is large enough to see on a phone"
    tab.locator("[data-testid=fgsm-smallest-apply]").tap()
    tab.wait_for_function("() => document.querySelector('[data-testid=fgsm-prediction]')?.dataset.flipped === 'true'")
    tab.locator("[data-testid=fgsm-prediction]").scroll_into_view_if_needed()
    viewport_shot(tab, screenshot_dir, "lenet-input-gradient-390x844")
    context.close()
