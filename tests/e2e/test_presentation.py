"""Presentation mode and the lesson path in Chromium: large type, the toggle, B, ?, next/previous across pages, the
pages' own step keys in presentation mode, and "Save as PNG"."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from app.server.pages import LESSON

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

PROJECTOR = {"width": 1920, "height": 1080}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ROOT_FONT_PX = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
PRESENTING = "document.documentElement.classList.contains('present')"
# The lesson bar says which step is shown once present.js has run: "3 / 9 · Backpropagation step by step".
# Right after a navigation the new document may still be parsing, without the bar yet: hence `?.`.
AT_STEP = """([path, where]) => location.pathname === path
  && document.querySelector('[data-testid=lesson-where]')?.textContent === where"""
# Colours in a PNG the page makes with lib/snapshot.js, counted in the page (no image library in the tests).
SNAPSHOT_COLOURS = """async (selector) => {
  const { snapshot } = await import('/static/js/lib/snapshot.js');
  const bitmap = await createImageBitmap(await snapshot(document.querySelector(selector)));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0);
  const data = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const colours = new Set();
  let ink = 0;
  for (let i = 0; i < data.length; i += 4) {
    colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    if (data[i] + data[i + 1] + data[i + 2] < 600) ink += 1;
  }
  return { width: bitmap.width, height: bitmap.height, colours: colours.size, ink: ink / (data.length / 4) };
}"""


def where(index: int) -> str:
    """The lesson bar's text at a step."""
    return f"{index + 1} / {len(LESSON)} · {LESSON[index].title}"


def wait_for_step(page: Page, index: int) -> None:
    """Until the tab shows lesson step `index` (its page loaded and present.js run)."""
    page.wait_for_function(AT_STEP, arg=[LESSON[index].path, where(index)])


def projector_shot(page: Page, folder: Path, name: str) -> Path:
    """What the class sees: the 1920×1080 viewport, saved with the other screenshots."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def open_conv(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_test_id("conv-output").locator("table").first.wait_for()
    page.locator("#conv-connection[data-state=ready]").wait_for(state="attached")  # hidden in presentation mode


def test_present_1_turns_on_large_type_without_chrome(
    page: Page, base_url: str, console_errors: list[str], screenshot_dir: Path
) -> None:
    page.set_viewport_size(PROJECTOR)
    page.goto(f"{base_url}/neuron")
    assert not page.evaluate(PRESENTING)
    normal = page.evaluate(ROOT_FONT_PX)
    expect(page.get_by_test_id("nav")).to_be_visible()

    page.goto(f"{base_url}/neuron?present=1")
    assert page.evaluate(PRESENTING)
    assert page.evaluate(ROOT_FONT_PX) >= 1.5 * normal
    body = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)")
    assert body >= 27, f"body text {body}px is too small for a lecture hall"
    for hidden in ["nav", "save-png"]:
        expect(page.get_by_test_id(hidden)).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.locator(".lesson-extra").first).to_be_hidden()
    expect(page.get_by_test_id("present-toggle")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("lesson-where")).to_have_text(where(0))
    expect(page.get_by_test_id("neuron-point-0-h")).not_to_be_empty()
    projector_shot(page, screenshot_dir, "presentation-neuron-1920x1080")
    assert console_errors == []


def test_the_toggle_turns_the_mode_off_and_on_for_the_whole_tab(
    page: Page, base_url: str, console_errors: list[str]
) -> None:
    page.goto(f"{base_url}/xor?present=1")
    presenting = page.evaluate(ROOT_FONT_PX)
    toggle = page.get_by_test_id("present-toggle")
    toggle.click()
    assert not page.evaluate(PRESENTING)
    assert page.evaluate(ROOT_FONT_PX) < presenting
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_test_id("present-bar")).to_be_hidden()
    page.goto(f"{base_url}/why-backprop")
    assert not page.evaluate(PRESENTING), "turned off stays off on the next page"
    page.get_by_test_id("present-toggle").click()
    assert page.evaluate(PRESENTING)
    page.goto(f"{base_url}/lenet")
    assert page.evaluate(PRESENTING), "turned on stays on on the next page"
    expect(page.get_by_test_id("lesson-where")).to_have_text(where([s.path for s in LESSON].index("/lenet")))
    assert console_errors == []


def test_b_blanks_the_screen_and_any_key_brings_it_back_without_stepping(
    page: Page, base_url: str, console_errors: list[str]
) -> None:
    open_conv(page, f"{base_url}/conv?present=1")
    announce = page.get_by_test_id("conv-announce")
    expect(announce).to_contain_text("output row 0, column 0")
    blank = page.get_by_test_id("blank-screen")
    page.keyboard.press("b")
    expect(blank).to_be_visible()
    box = blank.bounding_box()
    viewport = page.viewport_size
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, viewport["width"], viewport["height"])
    assert blank.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(0, 0, 0)"
    page.keyboard.press("PageDown")  # a clicker's key: it brings the lesson back and does nothing else
    expect(blank).to_be_hidden()
    expect(announce).to_contain_text("output row 0, column 0")
    page.keyboard.press("b")
    page.keyboard.press("b")
    expect(blank).to_be_hidden()
    assert console_errors == []


def test_question_mark_opens_the_keys_and_escape_closes_them(
    page: Page, base_url: str, console_errors: list[str], screenshot_dir: Path
) -> None:
    page.set_viewport_size(PROJECTOR)
    page.goto(f"{base_url}/conv?present=1")
    dialog = page.get_by_role("dialog", name="Keys")
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    assert page.evaluate("document.activeElement.closest('dialog') !== null"), "the focus moves into the dialog"
    expect(dialog).to_contain_text("blank the screen")
    expect(dialog).to_contain_text("next step of the lesson")
    expect(dialog).to_contain_text("play or pause the walkthrough")  # the conv page's own keys
    projector_shot(page, screenshot_dir, "presentation-help-1920x1080")
    page.keyboard.press("PageDown")  # the page behind the dialog does not step
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("conv-announce")).to_contain_text("output row 0, column 0")
    page.get_by_test_id("present-help").click()
    expect(dialog).to_be_visible()
    page.get_by_test_id("key-help-close").press("Enter")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.dataset.testid") == "present-help", "the focus comes back"
    assert console_errors == []


def test_next_and_previous_walk_the_whole_lesson_in_presentation_mode(
    page: Page, base_url: str, console_errors: list[str]
) -> None:
    page.goto(f"{base_url}/")
    page.get_by_test_id("lesson-start").click()
    wait_for_step(page, 0)
    nexts = ["n", "click", "Shift+PageDown"]
    for index in range(1, len(LESSON)):
        way = nexts[index % len(nexts)]
        if way == "click":
            page.get_by_test_id("lesson-next").click()
        else:
            page.keyboard.press(way)
        wait_for_step(page, index)
        assert page.evaluate(PRESENTING), f"presentation mode lost at {LESSON[index].title}"
        if LESSON[index].anchor:
            assert page.evaluate("location.hash") == f"#{LESSON[index].anchor}"
            # the page settles (the previous stop's panels close, answers arrive) within moments of the step
            page.wait_for_function(
                f"() => Math.abs(document.getElementById('{LESSON[index].anchor}')?.getBoundingClientRect().top"
                " - document.querySelector('main')?.getBoundingClientRect().top) < 2",
                timeout=3000,
            )
        if LESSON[index].title == "Pooling":
            expect(page.get_by_test_id("conv-stage2-kind")).to_have_value("max")
    expect(page.get_by_test_id("lesson-next")).to_be_hidden()
    prevs = ["p", "Shift+PageUp", "click"]
    for index in range(len(LESSON) - 2, -1, -1):
        way = prevs[index % len(prevs)]
        if way == "click":
            page.get_by_test_id("lesson-prev").click()
        else:
            page.keyboard.press(way)
        wait_for_step(page, index)
        assert page.evaluate(PRESENTING)
    expect(page.get_by_test_id("lesson-prev")).to_be_hidden()
    assert console_errors == []


def test_page_down_steps_the_conv_walkthrough_in_presentation_mode(
    page: Page, base_url: str, console_errors: list[str], screenshot_dir: Path
) -> None:
    page.set_viewport_size(PROJECTOR)
    open_conv(page, f"{base_url}/conv?present=1")
    announce = page.get_by_test_id("conv-announce")
    expect(announce).to_contain_text("output row 0, column 0")
    page.keyboard.press("PageDown")
    expect(announce).to_contain_text("output row 0, column 1")
    page.keyboard.press("PageDown")
    expect(announce).to_contain_text("output row 0, column 2")
    page.keyboard.press("PageUp")
    expect(announce).to_contain_text("output row 0, column 1")
    expect(page.get_by_test_id("conv-step-count")).to_have_text("Step 2 of 25")
    stage = page.locator("[data-present-stage]").bounding_box()
    top = page.evaluate("document.querySelector('main').getBoundingClientRect().top")
    assert abs(stage["y"] - top) < 2, "the walkthrough's stage fills the screen under the bar"
    assert stage["y"] + stage["height"] <= PROJECTOR["height"] + 1
    sum_box = page.get_by_test_id("conv-sum").bounding_box()
    assert sum_box["y"] + sum_box["height"] <= PROJECTOR["height"], "the sum is on screen too"
    projector_shot(page, screenshot_dir, "presentation-conv-1920x1080")

    settings = page.locator("#conv-settings")
    expect(settings).to_be_hidden()  # the settings are a drawer over the stage, closed until asked for
    page.locator("#conv-settings-toggle").click()
    expect(settings).to_be_visible()
    page.get_by_test_id("conv-s").focus()  # keys typed into a number field are the field's
    for key in ["b", "n", "PageDown"]:
        page.keyboard.press(key)
    expect(page.get_by_test_id("blank-screen")).to_be_hidden()
    assert page.evaluate("location.pathname") == "/conv"
    expect(page.get_by_test_id("lesson-where")).to_have_text(where([s.path for s in LESSON].index("/conv")))
    expect(announce).to_contain_text("output row 0, column 1")
    page.keyboard.press("Escape")
    expect(settings).to_be_hidden()
    expect(page.locator("#conv-settings-toggle")).to_be_focused()
    assert console_errors == []


def test_xor_keys_train_and_step_the_derivation_in_presentation_mode(
    page: Page, base_url: str, console_errors: list[str], screenshot_dir: Path
) -> None:
    page.set_viewport_size(PROJECTOR)
    page.goto(f"{base_url}/xor?present=1")
    steps = page.get_by_test_id("xor-step-count")
    status = page.get_by_test_id("derivation-status")
    expect(status).to_contain_text("Step 1 of 12")
    assert page.evaluate("scrollY") == 0, "the XOR step opens at the top of the page"
    page.keyboard.press("s")
    expect(steps).to_have_text("1")
    page.keyboard.press("PageDown")  # the derivation is away: Page Down trains one step
    expect(steps).to_have_text("2")
    expect(status).to_contain_text("Step 1 of 12")

    page.keyboard.press("n")  # the derivation step is on the same page: the training is kept
    wait_for_step(page, 2)
    expect(steps).to_have_text("2")
    page.keyboard.press("PageDown")
    expect(status).to_contain_text("Step 2 of 12")
    page.keyboard.press("ArrowRight")
    expect(status).to_contain_text("Step 3 of 12")
    page.keyboard.press("ArrowLeft")
    expect(status).to_contain_text("Step 2 of 12")
    page.keyboard.press("End")
    expect(status).to_contain_text("Step 12 of 12")
    expect(steps).to_have_text("2")
    projector_shot(page, screenshot_dir, "presentation-xor-derivation-1920x1080")

    run = page.get_by_test_id("xor-run")
    page.keyboard.press("Space")
    expect(run).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Space")
    expect(run).to_have_attribute("aria-pressed", "false")
    assert console_errors == []


@pytest.mark.parametrize(
    "path, view, ready",
    [
        ("/xor", "xor-network", "[data-testid=xor-loss][data-value]"),
        ("/conv", "conv-walkthrough", "#conv-connection[data-state=ready]"),
        ("/lenet", "lenet-layers", "[data-testid=layer-strip] canvas"),
    ],
)
def test_save_as_png_downloads_a_png_of_the_view(
    page: Page, base_url: str, console_errors: list[str], tmp_path: Path, path: str, view: str, ready: str
) -> None:
    page.goto(f"{base_url}{path}")
    page.locator(ready).first.wait_for()
    button = page.locator(f"[data-testid=save-png][data-view={view}]")
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == f"backprop-lab-{view}.png"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = saved.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    assert width > 200 and height > 100, (width, height)
    assert console_errors == []


@pytest.mark.parametrize(
    "path, selector, ready",
    [
        ("/xor", "#xor-diagram", "[data-testid=xor-loss][data-value]"),
        ("/neuron", "#neuron-surface", "[data-testid=neuron-point-0-h]:not(:empty)"),
        ("/conv", "#conv-stage", "#conv-connection[data-state=ready]"),
    ],
)
def test_a_snapshot_holds_the_drawing_not_a_blank_picture(
    page: Page, base_url: str, console_errors: list[str], path: str, selector: str, ready: str
) -> None:
    page.goto(f"{base_url}{path}")
    page.locator(ready).first.wait_for()
    size = page.locator(selector).bounding_box()
    picture = page.evaluate(SNAPSHOT_COLOURS, selector)
    assert picture["width"] >= 2 * size["width"] and picture["height"] >= 2 * size["height"]
    assert picture["colours"] > 50, picture  # colour scales, text and lines, not one flat fill
    assert 0.01 < picture["ink"] < 0.95, picture
    assert console_errors == []
