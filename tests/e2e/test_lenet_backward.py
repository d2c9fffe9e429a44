"""The Backward mode of /lenet in Chromium against a real server: draw a digit, step δ from fc3 back to the input
with every reached stage's δ maps drawn, drill into a conv1 weight until the running sum, the engine's gradient
and the finite difference agree, take one SGD step, step with Page Down in presentation mode where the stepped
stage is one screen at 1280×720 and 1920×1080, and a room's student follows the teacher's stage and drill-down."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e import test_lenet_room as room
from tests.e2e.stage import MIN_TEXT_PX, PROJECTORS, off_screen, small_text, viewport_shot
from tests.e2e.test_lenet import DISTINCT_COLOURS, draw_one, open_lenet, settled

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

BACKWARD = ["fc3", "fc2", "fc1", "pool2", "conv2", "pool1", "conv1", "input"]
CHANNELS = {"input": 1, "conv1": 6, "pool1": 6, "conv2": 16, "pool2": 16, "fc1": 1, "fc2": 1, "fc3": 1}
SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def number(text: str) -> float:
    """A number as formatValue writes it ("−6.279×10⁻¹¹", "0.0123") as a float."""
    text = text.strip().replace("−", "-")
    if "×10" in text:
        mantissa, exponent = text.split("×10")
        return float(mantissa) * 10 ** int(exponent.translate(SUPERSCRIPT))
    return float(text)


def agree(a: float, b: float) -> bool:
    """The same to 3 significant digits."""
    return abs(a - b) <= 1e-3 * max(abs(a), abs(b)) or max(abs(a), abs(b)) < 1e-12


def reached(page: Page, stage: str) -> None:
    """Wait until the backward frame for `stage` is on screen."""
    page.wait_for_function("(stage) => document.getElementById('backward-stage')?.dataset.stage === stage", arg=stage)


def not_blank(page: Page, stage: str) -> list[str]:
    """The maps of a stage whose canvas holds a single colour (blank: nothing drawn, or a map of one value)."""
    return [
        f"map-{stage}-{c}"
        for c in range(CHANNELS[stage])
        if page.evaluate(DISTINCT_COLOURS, f'[data-testid="map-{stage}-{c}"]') < 2
    ]


def test_stepping_draws_delta_stage_by_stage_and_a_conv1_weight_agrees_three_ways(
    page: Page, base_url: str, console_errors: list[str]
) -> None:
    open_lenet(page, base_url)
    draw_one(page)
    settled(page)
    page.get_by_test_id("backward-toggle").click()
    reached(page, "fc3")
    assert number(page.get_by_test_id("backward-loss").inner_text()) > 0
    assert page.locator("#backward-grad-scores li").count() == 10
    for index, stage in enumerate(BACKWARD):
        if index:
            page.get_by_test_id("backward-step").click()
            reached(page, stage)
        assert page.get_by_test_id("backward-stage").inner_text() == stage
        blank = [name for done in BACKWARD[: index + 1] for name in not_blank(page, done)]
        assert blank == [], f"at {stage}: δ maps drawn blank: {blank}"
        assert page.get_by_test_id("backward-explain").inner_text().startswith(f"{stage}")
        for ahead in BACKWARD[index + 1 :]:  # δ has not arrived there: blank
            assert len(not_blank(page, ahead)) == CHANNELS[ahead], f"at {stage}: {ahead} is drawn already"
    assert page.get_by_test_id("backward-step").is_disabled()

    page.get_by_test_id("drill-weight-2-2").click()  # conv1 kernel 0, the centre tap
    page.wait_for_function("() => document.querySelector('[data-testid=weight-grad-sum]')?.dataset.done === 'true'")
    total = number(page.get_by_test_id("weight-grad-sum").inner_text())
    engine = number(page.get_by_test_id("weight-grad-engine").inner_text())
    fd = number(page.get_by_test_id("weight-grad-fd").inner_text())
    assert engine != 0
    assert agree(total, engine) and agree(fd, engine), (total, engine, fd)
    assert "agree to 3 significant digits" in page.get_by_test_id("weight-grad-verdict").inner_text()
    assert re.search(r"window 784/784", page.locator(".weight-drill__term").inner_text())

    page.get_by_test_id("backward-label").select_option("7")  # "I meant a 7": a loss one step visibly lowers
    page.wait_for_function("() => document.getElementById('backward-label-shown')?.textContent === '7'")
    page.get_by_test_id("backward-sgd").click()
    result = page.get_by_test_id("backward-sgd-result")
    result.wait_for()
    page.wait_for_function("() => document.querySelector('[data-testid=backward-sgd-result]')?.textContent.length > 0")
    before, after = (number(x) for x in re.findall(r"l (\S+) → (\S+)\.", result.inner_text())[0])
    assert after < before and "conv" in result.inner_text()
    assert page.get_by_test_id("backward-work").inner_text().count("conv") == 2
    page.get_by_test_id("backward-toggle").click()  # back to the forward view: activations again
    assert page.get_by_test_id("prediction").is_visible()
    assert console_errors == []


@pytest.mark.parametrize("size", PROJECTORS)
def test_in_presentation_page_down_steps_and_the_stepped_stage_fits_one_screen(
    page: Page, base_url: str, screenshot_dir: Path, console_errors: list[str], size: str
) -> None:
    page.set_viewport_size(PROJECTORS[size])
    page.goto(f"{base_url}/lenet?present=1")
    page.wait_for_selector('[data-testid="map-conv2-0"]')
    page.locator("#lenet-example").select_option("3")
    settled(page)
    page.get_by_test_id("backward-toggle").click()
    reached(page, "fc3")
    for stage in BACKWARD[1:]:
        page.locator("body").press("PageDown")
        reached(page, stage)
        if stage in ("conv2", "conv1"):
            viewport_shot(page, screenshot_dir, f"lenet-backward-{stage}-{size}")
    page.get_by_test_id("drill-weight-2-2").click()
    page.wait_for_function("() => document.querySelector('[data-testid=weight-grad-sum]')?.dataset.done === 'true'")
    page.locator("body").press("PageUp")
    reached(page, "conv1")
    page.get_by_test_id("backward-label").select_option("7")
    page.wait_for_function("() => document.getElementById('backward-label-shown')?.textContent === '7'")
    page.get_by_test_id("backward-sgd").click()  # the step's result takes room above the counts
    page.wait_for_function("() => document.querySelector('[data-testid=backward-sgd-result]')?.textContent.length > 0")
    viewport_shot(page, screenshot_dir, f"lenet-backward-{size}")
    parts = [
        '[data-testid="backward-loss"]',
        '[data-testid="backward-step"]',
        '[data-testid="backward-stage"]',
        '[data-testid="backward-explain"]',
        '[data-testid="weight-drill"]',
        '[data-testid="weight-grad-fd"]',
        '[data-testid="backward-sgd"]',
        '[data-testid="backward-work"]',
        '[data-testid="backward-sgd-result"]',
        *[f'.fm-column[data-stage="{stage}"]' for stage in BACKWARD],
    ]
    assert [reason for selector in parts if (reason := off_screen(page, selector))] == []
    assert small_text(page, "#lenet-stage", MIN_TEXT_PX[size]) == []
    assert page.evaluate("document.scrollingElement.scrollTop") == 0
    assert console_errors == []


def test_a_following_student_sees_the_teachers_backward_stage(new_person, base_url: str) -> None:
    teacher, student, errors = room.open_room(new_person, base_url)
    room.draw_one(teacher)
    room.settled(teacher)
    teacher.get_by_test_id("backward-toggle").click()
    reached(teacher, "fc3")
    for _ in range(4):
        teacher.get_by_test_id("backward-step").click()
    reached(teacher, "conv2")
    teacher.get_by_test_id("drill-weight-3-1").click()  # and drills into a conv1 weight
    reached(student, "conv2")  # the student's tab follows, and computes δ for the teacher's strokes itself
    student.wait_for_function("() => document.querySelector('[data-testid=weight-grad-sum]')?.dataset.done === 'true'")
    assert student.get_by_test_id("drill-weight-3-1").get_attribute("aria-pressed") == "true"
    # the student's pad holds the teacher's strokes, rasterised by its own canvas: the same digit, nearly the same loss
    shown = "#backward-label-shown"
    assert student.locator(shown).inner_text() == teacher.locator(shown).inner_text()
    assert number(student.get_by_test_id("backward-loss").inner_text()) > 0
    assert not_blank(student, "conv2") == []
    teacher.get_by_test_id("backward-toggle").click()
    student.wait_for_function("() => document.getElementById('lenet-backward-panel')?.hidden")
    assert errors == {"teacher": [], "student": []}
