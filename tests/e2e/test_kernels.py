"""The kernels page in Chromium: the server lifts the points and trains the SVMs, the page draws; kernels and C
change the support vectors, a click adds a point, a drag turns the lifted view; screenshots at every size."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.e2e.stage import MIN_TEXT_PX, PROJECTORS, off_screen, small_text, viewport_shot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
MOONS = "/kernels?set=moons&size=60&noise=0.2&seed=0&feature=poly&fdegree=3&kernel=poly&c=1&gamma=0&degree=2&coef0=1"
SVM_PICTURE = "() => document.querySelector('[data-testid=kernels-svm-canvas]').toDataURL()"


def open_page(page: Page, base_url: str, path: str = "/kernels", points: int = 4) -> None:
    """Open the page and wait until the server's state for its points is drawn."""
    page.goto(base_url + path)
    expect(page.get_by_test_id("kernels-count")).to_have_text(str(points))
    expect(page.get_by_test_id("kernels-svm-point")).to_have_count(points)


def sv_count(page: Page) -> int:
    return int(page.get_by_test_id("kernels-sv-count").inner_text())


def set_slider(page: Page, testid: str, value: float) -> None:
    """Move a range input as a user's drag ends: the value, then an input event."""
    page.get_by_test_id(testid).evaluate(
        "(el, value) => { el.value = String(value); el.dispatchEvent(new Event('input', { bubbles: true })); }", value
    )


def test_xor_opens_lifted_by_the_product_and_separated_by_a_plane(
    page: Page, base_url: str, screenshot_dir: Path, console_errors: list[str]
) -> None:
    page.set_viewport_size(LAPTOP)
    open_page(page, base_url)
    expect(page.get_by_test_id("kernels-feature-readout")).to_have_attribute("data-errors", "0")
    expect(page.get_by_test_id("kernels-plane-readout")).to_contain_text("x₁x₂")
    lifted = page.get_by_test_id("kernels-lifted")
    expect(lifted).to_have_attribute("data-points", "4")
    assert int(lifted.get_attribute("data-plane")) >= 3  # the plane cuts the box
    expect(page.get_by_test_id("kernels-svm-boundary")).to_have_count(1)
    expect(page.get_by_test_id("kernels-svm-margin")).to_have_count(2)
    expect(page.get_by_test_id("kernels-sentence")).to_contain_text("one we chose")
    expect(page.get_by_test_id("kernels-net-step")).to_have_text("4000 of 4000", timeout=30_000)
    expect(page.get_by_test_id("kernels-net-errors")).to_have_text("0")  # the network learned XOR too
    expect(page.get_by_test_id("kernels-net-hidden-point")).to_have_count(4)
    expect(page.get_by_test_id("kernels-alpha-0-alpha")).to_be_visible()
    viewport_shot(page, screenshot_dir, "kernels-1440x900")
    page.screenshot(path=str(screenshot_dir / "kernels-1440x900-full.png"), full_page=True)
    assert console_errors == []


SV_COUNT = "Number(document.querySelector('[data-testid=kernels-sv-count]').textContent)"


def test_switching_the_kernel_and_c_changes_the_support_vectors_and_the_surface(
    page: Page, base_url: str, console_errors: list[str]
) -> None:
    open_page(page, base_url, MOONS, points=60)
    picture = page.evaluate(SVM_PICTURE)
    page.get_by_test_id("kernels-kernel").select_option("rbf")
    expect(page.get_by_test_id("kernels-degree")).to_be_hidden()  # rbf has no degree
    page.wait_for_function(f"(before) => ({SVM_PICTURE})() !== before", arg=picture)
    rbf = sv_count(page)
    set_slider(page, "kernels-c", -2)  # C = 0.01: a soft margin leans on many more points
    expect(page.locator("#kernels-c-value")).to_have_text("0.01")
    page.wait_for_function(f"(n) => {SV_COUNT} > n", arg=rbf)
    soft = sv_count(page)
    set_slider(page, "kernels-c", 3)  # C = 1000: nearly a hard margin, few support vectors
    page.wait_for_function(f"(n) => {SV_COUNT} < n", arg=soft)
    expect(page).to_have_url(re.compile(r"kernel=rbf.*c=3"))  # the state is in the address
    assert int(page.locator("#kernels-svm").get_attribute("data-rings")) == sv_count(page)
    assert console_errors == []


def test_a_click_adds_a_point_and_a_click_on_a_point_removes_it(
    page: Page, base_url: str, console_errors: list[str]
) -> None:
    open_page(page, base_url)
    picture = page.evaluate(SVM_PICTURE)
    page.get_by_test_id("kernels-class-0").check()
    frame = page.locator("#kernels-svm .surface__frame")
    box = frame.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)  # (0.5, 0.5), class 0
    expect(page.get_by_test_id("kernels-count")).to_have_text("5")
    expect(page.get_by_test_id("kernels-svm-point")).to_have_count(5)
    expect(page.get_by_test_id("kernels-preimage-point")).to_have_count(5)
    added = page.get_by_test_id("kernels-svm-point").nth(4)
    assert (
        abs(float(added.get_attribute("data-u")) - 0.5) < 0.05
        and abs(float(added.get_attribute("data-v")) - 0.5) < 0.05
    )
    assert "point-plane__point--zero" in added.get_attribute("class")
    assert page.evaluate(SVM_PICTURE) != picture  # the answer came back and was drawn
    expect(page.get_by_test_id("kernels-lifted")).to_have_attribute("data-points", "5")
    added.locator("circle").last.click()
    expect(page.get_by_test_id("kernels-count")).to_have_text("4")
    expect(page.get_by_test_id("page-error")).to_be_hidden()
    page.get_by_test_id("kernels-svm-point").nth(0).locator("circle").last.click()
    expect(page.get_by_test_id("kernels-count")).to_have_text("3")
    page.get_by_test_id("kernels-svm-point").nth(2).locator("circle").last.click()  # (1, 1): the last of class 0
    expect(page.get_by_test_id("page-error")).to_contain_text("the last of class 0")
    expect(page.get_by_test_id("kernels-count")).to_have_text("3")
    assert console_errors == []


def test_dragging_the_lifted_view_turns_it(page: Page, base_url: str, console_errors: list[str]) -> None:
    open_page(page, base_url)
    canvas = page.get_by_test_id("kernels-lifted")
    expect(canvas).to_have_attribute("data-points", "4")
    before = (canvas.get_attribute("data-yaw"), canvas.get_attribute("data-projection"))
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 20, steps=6)
    page.mouse.up()
    after = (canvas.get_attribute("data-yaw"), canvas.get_attribute("data-projection"))
    assert after[0] != before[0] and after[1] != before[1]
    assert abs(float(after[0]) - float(before[0]) - 0.6) < 0.01  # 60 px at 0.01 rad a pixel
    canvas.focus()
    page.keyboard.press("ArrowLeft")
    assert canvas.get_attribute("data-yaw") != after[0]
    assert console_errors == []


@pytest.mark.parametrize("size", PROJECTORS)
def test_presentation_mode_fits_the_points_the_lifted_view_and_the_boundary_on_one_screen(
    page: Page, base_url: str, screenshot_dir: Path, console_errors: list[str], size: str
) -> None:
    page.set_viewport_size(PROJECTORS[size])
    open_page(page, base_url, "/kernels?present=1")
    for selector in ("#kernels-preimage", "#kernels-lifted", "#kernels-svm", "[data-testid=kernels-sv-count]"):
        assert off_screen(page, selector) is None, off_screen(page, selector)
    viewport_shot(page, screenshot_dir, f"kernels-present-{size}")
    assert console_errors == []


@pytest.mark.parametrize("size", PROJECTORS)
def test_the_chosen_and_the_learned_feature_map_share_a_second_screen(
    page: Page, base_url: str, screenshot_dir: Path, console_errors: list[str], size: str
) -> None:
    page.set_viewport_size(PROJECTORS[size])
    open_page(page, base_url, "/kernels?present=1#learned")
    expect(page.get_by_test_id("kernels-chosen")).to_have_attribute("data-points", "4")
    expect(page.get_by_test_id("kernels-net-hidden-point")).to_have_count(4)
    selectors = ("[data-testid=kernels-sentence]", "#kernels-chosen", "#kernels-net-hidden", "#kernels-net-surface")
    for selector in selectors:
        assert off_screen(page, selector) is None, off_screen(page, selector)
    assert [small_text(page, selector, MIN_TEXT_PX[size]) for selector in selectors] == [[], [], [], []]
    viewport_shot(page, screenshot_dir, f"kernels-present-learned-{size}")
    assert console_errors == []


def test_a_phone_can_read_the_page_tap_a_point_in_and_turn_the_lifted_view(
    browser: Browser, base_url: str, screenshot_dir: Path
) -> None:
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_page(page, base_url)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]  # nothing sideways
    assert small_text(page, "[data-testid=kernels-controls]", 14) == []
    frame = page.locator("#kernels-svm .surface__frame")
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    assert box["width"] > 250  # a plane a finger can aim at
    page.touchscreen.tap(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)  # (0.5, 0.5): no point there
    expect(page.get_by_test_id("kernels-count")).to_have_text("5")
    page.locator("#kernels-lifted").scroll_into_view_if_needed()
    viewport_shot(page, screenshot_dir, "kernels-phone-390x844")
    assert errors == []
    context.close()
