"""/lenet in Chromium against a real server: drawing with the mouse, live predictions, feature maps, receptive
fields, gradients, teaching, the preprocessing switch, keyboard use, the projected stage and a touch phone."""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import numpy as np
import pytest
from playwright.sync_api import expect

from app.services.images import decode_image
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.stage import PROJECTORS, off_screen, viewport_shot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

PAD = 280
PHONE = {"width": 390, "height": 844}
SCREENS = {**PROJECTORS, "16:10": {"width": 1440, "height": 900}}
CONV1_MIN_WIDTH = {"720p": 80, "1080p": 120, "16:10": 80}  # CSS px a back row can read (issue 12)
STAGES = ["input", "conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "fc3"]

# Distinct colours on a canvas (more than one means it is not blank).
DISTINCT_COLOURS = """(selector) => {
  const canvas = document.querySelector(selector);
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const seen = new Set();
  for (let i = 0; i < data.length; i += 4) seen.add(data[i] << 16 | data[i + 1] << 8 | data[i + 2]);
  return seen.size;
}"""


def open_lenet(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/lenet")
    page.wait_for_selector('[data-testid="map-conv2-0"]')  # the model frame arrived and the strip is built


def settled(page: Page) -> None:
    """Wait until the page has the answer to the newest drawing it sent."""
    page.wait_for_timeout(120)  # the throttled last send goes out within 40 ms
    page.wait_for_function(
        "() => { const t = document.getElementById('lenet-timing')?.dataset;"
        " return t?.sent !== undefined && t.sent === t.answered; }"
    )


def stroke(page: Page, points: list[tuple[float, float]]) -> None:
    """Draw one stroke with the mouse through points given in pad units (0..280)."""
    box = page.locator("#draw-canvas").bounding_box()
    scale = box["width"] / PAD

    def at(x: float, y: float) -> tuple[float, float]:
        return box["x"] + x * scale, box["y"] + y * scale

    page.mouse.move(*at(*points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*at(*point), steps=3)
    page.mouse.up()


def draw_one(page: Page) -> None:
    stroke(page, [(150, 45), (146, 110), (142, 175), (138, 235)])


def draw_zero(page: Page) -> None:
    stroke(
        page,
        [(140 + 60 * math.sin(t / 24 * 2 * math.pi), 140 - 90 * math.cos(t / 24 * 2 * math.pi)) for t in range(25)],
    )


def prediction(page: Page) -> str:
    settled(page)
    return page.get_by_test_id("prediction").inner_text()


def test_drawing_a_one_and_a_zero_with_the_mouse_is_classified_live(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path], console_errors: list[str]
) -> None:
    open_lenet(page, base_url)
    assert page.get_by_test_id("prediction").inner_text() == "Draw a digit"
    draw_one(page)
    assert prediction(page) == "1"
    bars = page.get_by_test_id("probabilities").locator("li")
    assert bars.count() == 10
    assert float(bars.nth(1).get_attribute("data-probability")) > 0.9
    screenshot(page, "lenet-1280x800")
    page.get_by_role("button", name="Clear").click()
    assert prediction(page) == "Draw a digit"
    draw_zero(page)
    assert prediction(page) == "0"
    assert console_errors == []


def test_the_drawing_sent_at_pen_up_is_marked_final_and_live_updates_are_not(page: Page, base_url: str) -> None:
    """The server answers a pen-up drawing before classmates' live updates (docs/protocol/lenet.md: `final`)."""
    headers: list[dict] = []

    def sent(payload: bytes | str) -> None:
        if isinstance(payload, bytes):
            length = int.from_bytes(payload[:4], "little")
            headers.append(json.loads(payload[4 : 4 + length]))

    page.on("websocket", lambda ws: ws.on("framesent", sent))
    open_lenet(page, base_url)
    draw_one(page)
    assert prediction(page) == "1"
    draws = [header for header in headers if header["type"] == "draw"]
    assert len(draws) >= 2 and draws[-1].get("final") is True
    assert not any(header.get("final") for header in draws[:-1])


def test_every_layer_shows_feature_maps_that_are_not_blank(page: Page, base_url: str) -> None:
    open_lenet(page, base_url)
    draw_zero(page)
    settled(page)
    assert (
        page.locator('[data-testid="layer-strip"] .fm-column').evaluate_all(
            "columns => columns.map(c => c.dataset.stage)"
        )
        == STAGES
    )
    for stage in STAGES:
        colours = max(
            page.evaluate(DISTINCT_COLOURS, f'[data-testid="map-{stage}-{channel}"]')
            for channel in range(1 if stage in ("input", "fc1", "fc2", "fc3") else 6)
        )
        assert colours > 1, f"every {stage} map is blank"
    assert page.evaluate(DISTINCT_COLOURS, '[data-testid="network-input"] canvas') > 1


def test_hovering_a_conv2_unit_highlights_a_14x14_input_region(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    open_lenet(page, base_url)
    draw_one(page)
    settled(page)
    cell = page.get_by_test_id("map-conv2-5")
    box = cell.bounding_box()
    cell.hover(position={"x": box["width"] * 4.5 / 10, "y": box["height"] * 4.5 / 10})  # unit (4, 4)
    figure = page.get_by_test_id("network-input")
    assert figure.get_attribute("data-highlight") == "14x14"
    details = page.get_by_test_id("unit-details")
    assert details.get_attribute("data-field-size") == "14x14"
    assert "conv2 · map 5 · row 4, column 4" in details.inner_text()
    assert "14×14 input pixels (rows 6–19, columns 6–19)" in details.inner_text()
    frame_box = figure.locator(".heatmap-figure__frame").bounding_box()
    field_box = figure.locator(".rf-box").bounding_box()
    assert field_box["width"] == pytest.approx(frame_box["width"] * 14 / 28, abs=2)
    assert page.locator('[data-stage="pool1"] .rf-box:visible').count() == 6  # a 5×5 window of all six maps
    # Its connections: cones from the unit into pool1's windows, on into conv1's and the input's.
    assert page.get_by_test_id("unit-edges").get_attribute("data-cones") == "3"
    screenshot(page, "lenet-receptive-field")


def test_the_explain_toggle_draws_a_saliency_map_for_the_chosen_class(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    open_lenet(page, base_url)
    draw_one(page)
    settled(page)
    saliency = page.get_by_test_id("saliency")
    assert not saliency.is_visible()
    page.get_by_test_id("explain-toggle").click()
    settled(page)
    assert saliency.is_visible()
    page.get_by_test_id("map-input-0").click()  # the input, zoomed: the saliency laid over it, large
    page.locator('#lenet-zoom-body[data-unit="input"][data-saliency="true"]').wait_for()
    assert (
        page.locator("#lenet-zoom-body canvas").nth(1).evaluate("c => c.offsetWidth") >= 200
    )  # layout, not mid-flight
    page.get_by_test_id("zoom-back").click()
    expect(page.get_by_test_id("unit-zoom")).to_be_hidden()
    assert page.evaluate(DISTINCT_COLOURS, '[data-testid="saliency"] canvas') > 10
    assert "score of 1" in saliency.inner_text()
    before = saliency.locator("canvas").evaluate("c => c.toDataURL()")
    page.locator("#lenet-targets").get_by_role("button", name="7", exact=True).click()
    settled(page)
    assert "score of 7" in saliency.inner_text()
    assert saliency.locator("canvas").evaluate("c => c.toDataURL()") != before
    assert page.locator('[data-testid="layer-strip"]').get_attribute("data-mode") == "gradients"
    screenshot(page, "lenet-explain")


def test_teaching_changes_this_page_only_and_reset_restores(page: Page, base_url: str) -> None:
    open_lenet(page, base_url)
    draw_one(page)
    assert prediction(page) == "1"
    page.locator("#lenet-lr").select_option("0.01")
    page.locator("#lenet-labels").get_by_role("button", name="7", exact=True).click()
    summary = page.get_by_test_id("teach-summary")
    summary.wait_for()
    assert "(learning rate 0.01) on this drawing as a 7" in summary.inner_text()
    assert page.get_by_test_id("model-state").get_attribute("data-model") == "taught"
    assert prediction(page) == "7"
    page.get_by_test_id("reset-weights").click()
    page.wait_for_function("() => document.querySelector('[data-testid=model-state]')?.dataset.model === 'shared'")
    assert prediction(page) == "1"


def test_raw_preprocessing_shows_the_whole_pad_shrunk(page: Page, base_url: str) -> None:
    open_lenet(page, base_url)
    stroke(page, [(240, 20), (238, 50), (236, 80)])  # a small "1" in the top right corner
    assert prediction(page) == "1"
    centred = page.get_by_test_id("network-input").locator("canvas").evaluate("c => c.toDataURL()")
    page.get_by_label("Raw: the whole pad shrunk to 28×28").check()
    settled(page)
    assert page.get_by_test_id("network-input").locator("canvas").evaluate("c => c.toDataURL()") != centred
    assert "preprocess=raw" in page.url
    assert page.locator(".draw-pad__box").is_hidden()


def test_every_example_digit_is_classified_as_itself(page: Page, base_url: str) -> None:
    open_lenet(page, base_url)
    wrong = {}
    for digit in range(10):
        page.locator("#lenet-example").select_option(str(digit))
        if (answer := prediction(page)) != str(digit):
            wrong[digit] = answer
    assert wrong == {}


def test_keyboard_reaches_the_layers_and_moves_between_units(page: Page, base_url: str) -> None:
    open_lenet(page, base_url)
    page.locator("#lenet-example").select_option("3")
    settled(page)
    column = page.locator('.fm-column[data-stage="pool1"]')
    column.focus()
    page.keyboard.press("ArrowDown")  # the first key selects the first unit of the first map
    for key in ["ArrowDown", "ArrowDown", "ArrowRight", "PageDown"]:
        page.keyboard.press(key)
    details = page.get_by_test_id("unit-details").inner_text()
    assert "pool1 · map 1 · row 2, column 1" in details
    assert "6×6 input pixels (rows 2–7, columns 0–5)" in details
    outline = column.evaluate("c => getComputedStyle(c).outlineStyle")
    assert outline != "none"


def test_the_pads_png_gives_the_same_prediction_through_the_rest_api(page: Page, base_url: str) -> None:
    open_lenet(page, base_url)
    draw_zero(page)
    assert prediction(page) == "0"
    url, pixels = page.evaluate(
        """() => { const c = document.getElementById('draw-canvas');
                   const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   return [c.toDataURL('image/png'), Array.from(data)]; }"""
    )
    data = base64.b64decode(url.split(",", 1)[1])
    decoded = decode_image(data, 1_000_000, 4096)  # Chromium's own PNG encoder as an oracle for the decoder
    np.testing.assert_array_equal(decoded, np.array(pixels, np.uint8).reshape(PAD, PAD, 4))
    response = httpx.post(f"{base_url}/api/predict", content=data, headers={"content-type": "image/png"})
    assert response.status_code == 200 and response.json()["prediction"] == 0


def test_on_a_phone_the_page_fits_and_the_layers_scroll_sideways(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    page.set_viewport_size(PHONE)
    open_lenet(page, base_url)
    page.locator("#draw-canvas").scroll_into_view_if_needed()  # the student scrolls to the pad to draw
    pad = page.locator("#draw-canvas").bounding_box()
    assert pad["width"] <= PHONE["width"] - 20
    draw_one(page)
    assert prediction(page) == "1"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    strip = page.locator(".lenet-strip")
    assert strip.evaluate("s => s.scrollWidth > s.clientWidth")
    screenshot(page, "lenet-390x844")


@pytest.mark.parametrize("size", SCREENS)
def test_projected_the_whole_network_is_on_one_screen_with_conv1_maps_a_hall_can_read(
    page: Page, base_url: str, screenshot_dir: Path, console_errors: list[str], size: str
) -> None:
    page.set_viewport_size(SCREENS[size])
    page.goto(f"{base_url}/lenet?present=1")
    page.wait_for_selector('[data-testid="map-conv2-0"]')
    page.locator("#lenet-example").select_option("3")
    settled(page)
    elements = [
        "#draw-canvas",
        '[data-testid="prediction"]',
        '[data-testid="probabilities"]',
        "#lenet-controls",
        *[f'.fm-column[data-stage="{stage}"]' for stage in STAGES],
    ]
    assert [reason for selector in elements if (reason := off_screen(page, selector))] == []
    widths = [page.get_by_test_id(f"map-conv1-{channel}").bounding_box()["width"] for channel in range(6)]
    assert min(widths) >= CONV1_MIN_WIDTH[size], widths
    assert page.evaluate("document.scrollingElement.scrollTop") == 0, "the bar stays on top: the window never scrolls"
    viewport_shot(page, screenshot_dir, f"lenet-stage-{size}")
    assert console_errors == []


def test_on_a_touch_phone_the_prediction_stays_in_view_above_the_pad_while_drawing(
    browser: Browser, base_url: str, screenshot_dir: Path
) -> None:
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    open_lenet(tab, base_url)
    pad = tab.locator("#draw-canvas")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box["width"] >= 0.7 * PHONE["width"], "a pad a finger can draw on"
    touch = context.new_cdp_session(tab)

    def finger(kind: str, x: float = 0, y: float = 0) -> None:
        """One touch event at (x, y) in pad units (0..280), as a finger on the glass sends it."""
        point = {"x": box["x"] + x * box["width"] / PAD, "y": box["y"] + y * box["height"] / PAD}
        touch.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [] if kind == "touchEnd" else [point]})

    finger("touchStart", 150, 45)
    for x, y in [(148, 80), (146, 110), (144, 145), (142, 175), (140, 205), (138, 235)]:
        finger("touchMove", x, y)
    tab.wait_for_function("() => /^[0-9]$/.test(document.querySelector('[data-testid=prediction]')?.textContent)")
    assert off_screen(tab, "#draw-canvas") is None and off_screen(tab, '[data-testid="prediction"]') is None
    finger("touchEnd")
    assert prediction(tab) == "1"
    assert off_screen(tab, "#draw-canvas") is None and off_screen(tab, '[data-testid="prediction"]') is None
    tab.evaluate("window.scrollBy(0, 200)")  # the pad half scrolled away: the answer sticks to the top
    assert off_screen(tab, '[data-testid="prediction"]') is None
    viewport_shot(tab, screenshot_dir, "lenet-phone-touch")
    context.close()


@pytest.mark.parametrize("rate", ["0.001", "0.003", "0.0003"])
def test_a_lesson_reports_the_learning_rate_it_used(page: Page, base_url: str, rate: str) -> None:
    open_lenet(page, base_url)
    draw_one(page)
    settled(page)
    page.locator("#lenet-lr").select_option(rate)
    page.locator("#lenet-steps").select_option("1")
    page.locator("#lenet-labels").get_by_role("button", name="1", exact=True).click()
    expect(page.get_by_test_id("teach-summary")).to_contain_text(f"1 SGD step (learning rate {rate})")


def test_clicking_a_conv2_unit_zooms_into_its_computation_and_escape_zooms_out(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path], console_errors: list[str]
) -> None:
    open_lenet(page, base_url)
    draw_one(page)
    settled(page)
    cell = page.get_by_test_id("map-conv2-5")
    box = cell.bounding_box()
    cell.click(position={"x": box["width"] * 4.5 / 10, "y": box["height"] * 4.5 / 10})  # unit (4, 4)
    zoom = page.get_by_test_id("unit-zoom")
    expect(zoom).to_be_visible()
    page.locator('#lenet-zoom-body[data-unit="conv2-5-4-4"]').wait_for()
    expect(page.locator("#lenet-zoom-heading")).to_contain_text("conv2 · map 5 · row 4, column 4")
    assert zoom.locator(".zoom-grid").count() == 3  # window × kernel = products, for one pool1 map at a time
    assert zoom.locator(".zoom-grid td").count() == 3 * 25
    maps = zoom.get_by_role("group", name="Which pool1 map to write out").get_by_role("button")
    assert maps.count() == 6
    maps.nth(0).click()
    expect(zoom.locator(".zoom-grid caption").first).to_have_text("window (pool1 map 0)")
    total = page.get_by_test_id("zoom-sum")
    value = float(total.locator("strong").inner_text().replace("−", "-"))
    z = float(total.get_attribute("data-z"))
    assert value == pytest.approx(max(z, 0.0), abs=1e-3)  # ReLU of the engine's conv2 output at the unit
    details = page.get_by_test_id("unit-details").inner_text()
    shown = float(re.search(r"value\s+(-?[0-9.e-]+)", details).group(1))  # the same unit in the layer strip
    assert value == pytest.approx(shown, abs=0.02 * max(1.0, abs(shown)))
    screenshot(page, "lenet-zoom-conv2")
    page.keyboard.press("Escape")
    expect(zoom).to_be_hidden()
    assert page.evaluate("document.activeElement.dataset.stage") == "conv2"
    assert console_errors == []


def test_enter_on_a_conv1_unit_zooms_in_and_back_zooms_out(page: Page, base_url: str) -> None:
    open_lenet(page, base_url)
    page.locator("#lenet-example").select_option("3")
    settled(page)
    column = page.locator('.fm-column[data-stage="conv1"]')
    column.focus()
    page.keyboard.press("ArrowDown")  # selects unit (0, 0) of map 0
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    zoom = page.get_by_test_id("unit-zoom")
    page.locator('#lenet-zoom-body[data-unit="conv1-0-1-0"]').wait_for()
    padding = zoom.locator(".zoom-grid td.is-padding")
    assert padding.count() == 5 + 2 * 4  # rows −1 and columns −2, −1 of a 5×5 window lie outside the image
    back = page.get_by_test_id("zoom-back")
    expect(back).to_be_focused()
    page.keyboard.press("ArrowRight")  # the window slides one column: the server's numbers for unit (1, 1)
    page.locator('#lenet-zoom-body[data-unit="conv1-0-1-1"]').wait_for()
    assert "conv1 · map 0 · row 1, column 1" in page.get_by_test_id("unit-details").inner_text()
    assert back.evaluate("b => getComputedStyle(b).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(zoom).to_be_hidden()
    expect(column).to_be_focused()


def test_when_the_connection_drops_the_last_answer_is_greyed_and_says_so(page: Page, base_url: str) -> None:
    sockets = []

    def route(socket) -> None:
        if not sockets:
            socket.connect_to_server()  # the first connection reaches the server; the reconnection never does
        sockets.append(socket)

    page.route_web_socket(re.compile(r"/ws/lenet$"), route)
    open_lenet(page, base_url)
    draw_one(page)
    assert prediction(page) == "1"
    sockets[0].close()
    answer = page.locator(".lenet-answer")
    expect(answer).to_have_class(re.compile(r"\bis-stale\b"))
    expect(page.locator("#lenet-prediction [data-role=detail]")).to_contain_text("Connection lost")
    assert float(page.get_by_test_id("prediction").evaluate("e => getComputedStyle(e).opacity")) < 0.6
