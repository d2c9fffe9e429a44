"""The /conv page in Chromium: the seed's numbers in the DOM, settings, stepping, errors, shared URLs, backward."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from playwright.sync_api import expect

from app.nn.conv import conv2d_backward, conv2d_forward
from app.nn.pool import max_pool2d_backward, max_pool2d_forward
from tests import seed

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
SEED_IMAGE = seed.SEED_IMAGE.astype(np.float32)
SEED_KERNEL = seed.SEED_KERNEL.astype(np.float32)
SEED_5X5 = seed.SEED_STRIDE1.tolist()
SEED_3X3 = seed.SEED_STRIDE2.tolist()


def grid(page: Page, testid: str, index: int = 0) -> np.ndarray:
    """The numbers of one table inside the element with data-testid (padding cells included), as floats."""
    table = page.get_by_test_id(testid).locator("table").nth(index)
    texts = table.evaluate("t => [...t.rows].map(r => [...r.cells].map(c => c.textContent))")
    return np.array([[float(text.replace("−", "-")) for text in row] for row in texts])


def wait_for_shape(page: Page, testid: str, rows: int, cols: int) -> None:
    """Until the first table in testid has rows×cols cells."""
    page.wait_for_function(
        "([id, r, c]) => { const t = document.querySelector(`[data-testid=${id}] table`);"
        " return t && t.rows.length === r && t.rows[0].cells.length === c; }",
        arg=[testid, rows, cols],
    )


def window_cells(page: Page) -> list[tuple[int, int]]:
    """(row, col) of the input cells under the window."""
    cells = page.get_by_test_id("conv-input").locator("table").first.locator("td.is-window")
    return sorted((int(c.get_attribute("data-row")), int(c.get_attribute("data-col"))) for c in cells.all())


def open_conv(page: Page, base_url: str, query: str = "") -> None:
    """The conv page, connected and showing its first output."""
    page.goto(f"{base_url}/conv{query}")
    page.get_by_test_id("conv-output").locator("table").first.wait_for()
    page.locator("#conv-connection[data-state=ready]").wait_for()


def set_number(page: Page, testid: str, value: int) -> None:
    page.get_by_test_id(testid).fill(str(value))


def test_default_page_shows_the_seeds_5x5_output(
    page: Page, base_url: str, console_errors: list[str], screenshot: Callable[[Page, str], Path]
) -> None:
    open_conv(page, base_url)
    wait_for_shape(page, "conv-output", 5, 5)
    np.testing.assert_array_equal(grid(page, "conv-output"), SEED_5X5)
    np.testing.assert_array_equal(grid(page, "conv-input"), SEED_IMAGE)
    assert page.get_by_role("heading", level=1).inner_text() == "Convolution walkthrough"
    assert "output row 0, column 0" in page.get_by_test_id("conv-announce").inner_text()
    assert page.get_by_test_id("conv-sum-value").inner_text() == "3"
    screenshot(page, "conv-1280x800")
    assert console_errors == []


def test_stride_2_gives_the_slides_3x3(page: Page, base_url: str, screenshot: Callable[[Page, str], Path]) -> None:
    open_conv(page, base_url)
    set_number(page, "conv-s", 2)
    wait_for_shape(page, "conv-output", 3, 3)
    np.testing.assert_array_equal(grid(page, "conv-output"), SEED_3X3)
    formula = page.get_by_test_id("conv-formula").inner_text()
    assert "7" in formula and "3" in formula
    screenshot(page, "conv-stride2")


def test_padding_1_with_stride_1_keeps_7x7_and_draws_the_padding(page: Page, base_url: str) -> None:
    open_conv(page, base_url)
    set_number(page, "conv-p", 1)
    wait_for_shape(page, "conv-output", 7, 7)
    expected, _ = conv2d_forward(SEED_IMAGE[None, None], SEED_KERNEL[None, None], None, 1, 1)
    np.testing.assert_array_equal(grid(page, "conv-output"), expected[0, 0])
    wait_for_shape(page, "conv-input", 9, 9)
    assert page.get_by_test_id("conv-input").locator("td.is-pad").count() == 9 * 9 - 7 * 7


def test_arrow_keys_and_clicker_keys_move_the_highlighted_window(page: Page, base_url: str) -> None:
    open_conv(page, base_url)
    first = window_cells(page)
    assert first == [(r, c) for r in range(3) for c in range(3)]
    page.keyboard.press("ArrowRight")
    assert window_cells(page) == [(r, c) for r in range(3) for c in range(1, 4)]
    assert "output row 0, column 1" in page.get_by_test_id("conv-announce").inner_text()
    for _ in range(4):
        page.keyboard.press("PageDown")
    assert window_cells(page) == [(r, c) for r in range(1, 4) for c in range(3)]
    page.keyboard.press("PageUp")
    page.keyboard.press("ArrowLeft")
    assert window_cells(page) == [(r, c) for r in range(3) for c in range(3, 6)]
    assert page.get_by_test_id("conv-step-count").inner_text() == "Step 4 of 25"


def test_clicking_an_output_cell_sends_the_window_there(page: Page, base_url: str) -> None:
    open_conv(page, base_url)
    page.get_by_test_id("conv-output").locator('td[data-row="3"][data-col="0"]').click()
    assert window_cells(page) == [(r, c) for r in range(3, 6) for c in range(3)]
    assert page.get_by_test_id("conv-sum-value").inner_text() == "3"


def test_an_impossible_setting_shows_the_engines_explanation(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    open_conv(page, base_url)
    set_number(page, "conv-k", 9)
    problem = page.get_by_test_id("conv-problem")
    problem.wait_for()
    assert "larger than the padded input 7" in problem.inner_text()
    assert "larger than the padded input 7" in page.get_by_test_id("conv-formula").inner_text()
    expect(page.get_by_test_id("conv-output").locator("table")).to_have_count(0)  # no stale output stays
    expect(page.get_by_test_id("conv-output-empty")).to_contain_text("No output: ")
    expect(page.get_by_test_id("conv-summary")).to_contain_text("these settings cannot work")
    expect(page.get_by_test_id("conv-step-count")).to_have_text("")
    screenshot(page, "conv-impossible")
    set_number(page, "conv-k", 3)
    problem.wait_for(state="hidden")
    wait_for_shape(page, "conv-output", 5, 5)
    expect(page.get_by_test_id("conv-output-empty")).to_be_hidden()


def test_a_number_out_of_range_is_corrected_in_a_visible_sentence(page: Page, base_url: str) -> None:
    open_conv(page, base_url)
    set_number(page, "conv-n", 50)
    note = page.get_by_test_id("conv-note")
    expect(note).to_have_text("size n = 50 is out of range (3 to 32, this server's limit), so 32 is used.")
    wait_for_shape(page, "conv-input", 32, 32)
    set_number(page, "conv-n", 7)
    expect(note).to_be_hidden()


def test_hidden_cells_not_reached_show_a_question_mark_not_a_pale_number(page: Page, base_url: str) -> None:
    open_conv(page, base_url, "?hide=1&step=6")
    output = page.get_by_test_id("conv-output")
    wait_for_shape(page, "conv-output", 5, 5)
    expect(output.locator("td.is-pending")).to_have_count(25 - 7)
    pending = output.locator('td[data-row="4"][data-col="4"]')
    assert pending.evaluate("td => getComputedStyle(td, '::after').content") == '"?"'
    assert pending.evaluate("td => getComputedStyle(td).color") == "rgba(0, 0, 0, 0)"
    reached = output.locator('td[data-row="1"][data-col="1"]')  # step 7 is row 1, column 1
    assert reached.evaluate("td => getComputedStyle(td, '::after').content") == "none"
    assert page.get_by_test_id("conv-hide").is_checked()


def test_the_arrow_joins_the_window_to_its_cell_across_the_gap_only(page: Page, base_url: str) -> None:
    open_conv(page, base_url)
    page.keyboard.press("ArrowRight")
    line = page.locator("#conv-link line")
    expect(line).to_be_visible()
    ends = line.evaluate(
        "l => { const s = l.ownerSVGElement.getBoundingClientRect();"
        " return [s.left + +l.getAttribute('x1'), s.left + +l.getAttribute('x2')]; }"
    )
    inputs = page.get_by_test_id("conv-input").locator("table").bounding_box()
    outputs = page.get_by_test_id("conv-output").locator("table").bounding_box()
    assert inputs["x"] + inputs["width"] < min(ends) and max(ends) < outputs["x"], "between the grids, over no number"


def test_stride_3_marks_the_cells_no_window_reaches_and_says_why(page: Page, base_url: str) -> None:
    open_conv(page, base_url, "?s=3")
    wait_for_shape(page, "conv-output", 2, 2)
    reason = page.get_by_test_id("conv-unreached-reason").first.inner_text()
    assert "13 input cells are never read" in reason and "remainder 1" in reason
    assert page.get_by_test_id("conv-input").locator("td.is-unreached").count() == 13


def test_a_shared_url_restores_its_settings_and_step(page: Page, base_url: str) -> None:
    open_conv(page, base_url)
    set_number(page, "conv-s", 2)
    set_number(page, "conv-p", 1)
    page.get_by_test_id("conv-stage2-kind").select_option("max")
    wait_for_shape(page, "conv-stage2-output", 2, 2)
    page.get_by_role("heading", level=1).click()  # the select keeps the arrow keys while it has the focus
    page.wait_for_function("() => document.activeElement?.tagName !== 'SELECT'")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=conv-step-count]')?.textContent === 'Step 3 of 20'"
    )
    shared = page.url
    assert "s=2" in shared and "p=1" in shared and "stage2=max" in shared and "step=2" in shared
    fresh = page.context.new_page()
    open_conv(fresh, base_url, "?" + shared.split("?", 1)[1])
    wait_for_shape(fresh, "conv-output", 4, 4)
    assert fresh.get_by_test_id("conv-s").input_value() == "2"
    assert fresh.get_by_test_id("conv-p").input_value() == "1"
    expected, _ = conv2d_forward(SEED_IMAGE[None, None], SEED_KERNEL[None, None], None, 2, 1)
    np.testing.assert_array_equal(grid(fresh, "conv-output"), expected[0, 0])
    assert fresh.get_by_test_id("conv-step-count").inner_text() == "Step 3 of 20"
    assert window_cells(fresh) == window_cells(page)


def test_painting_a_cell_changes_the_input_and_the_output(page: Page, base_url: str) -> None:
    open_conv(page, base_url)
    page.get_by_test_id("conv-input").locator('td[data-row="5"][data-col="5"]').click()
    page.wait_for_function("() => location.search.includes('input=custom')")
    image = SEED_IMAGE.copy()
    image[5, 5] = 1
    expected, _ = conv2d_forward(image[None, None], SEED_KERNEL[None, None], None)
    page.wait_for_function(
        "() => document.querySelector("
        "'[data-testid=conv-output] td[data-row=\"4\"][data-col=\"4\"]').textContent === '1'"
    )
    np.testing.assert_array_equal(grid(page, "conv-output"), expected[0, 0])


def test_backward_view_shows_the_engines_gradients_and_a_chosen_cells_path(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    open_conv(page, base_url, "?stage2=max&k2=2&s2=2")
    wait_for_shape(page, "conv-stage2-output", 2, 2)
    page.get_by_test_id("conv-mode-backward").click()
    x, w = SEED_IMAGE[None, None], SEED_KERNEL[None, None]
    y, conv_cache = conv2d_forward(x, w, None)
    _, pool_cache = max_pool2d_forward(y, 2, 2)
    dconv = max_pool2d_backward(np.ones((1, 1, 2, 2), np.float32), pool_cache)
    dx, dw, _ = conv2d_backward(dconv, conv_cache)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=conv-output] .conv-grid__caption')?.textContent.startsWith('∂l/∂y')"
    )
    np.testing.assert_array_equal(grid(page, "conv-output"), dconv[0, 0])
    # Stage 2's four steps come first: no gradient has reached the input or the kernels yet.
    assert not grid(page, "conv-input").any() and not grid(page, "conv-kernel").any()
    steps = page.get_by_test_id("conv-step-count")
    for _ in range(5):
        page.keyboard.press("PageDown")
    expect(steps).to_have_text("Step 6 of 29")  # the convolution's second window: the sums hold two windows
    g = dconv[0, 0, 0, :2]
    partial_dx = np.zeros((7, 7), np.float32)
    partial_dx[0:3, 0:3] += g[0] * SEED_KERNEL
    partial_dx[0:3, 1:4] += g[1] * SEED_KERNEL
    np.testing.assert_array_equal(grid(page, "conv-input"), partial_dx)
    np.testing.assert_array_equal(grid(page, "conv-kernel"), g[0] * SEED_IMAGE[0:3, 0:3] + g[1] * SEED_IMAGE[0:3, 1:4])
    page.keyboard.press("End")
    expect(steps).to_have_text("Step 29 of 29")  # every window: the engine's totals
    np.testing.assert_array_equal(grid(page, "conv-input"), dx[0, 0])
    np.testing.assert_array_equal(grid(page, "conv-kernel"), dw[0, 0])
    screenshot(page, "conv-backward")
    page.get_by_test_id("conv-stage2-output").locator('td[data-row="0"][data-col="0"]').click()
    dout = np.zeros((1, 1, 2, 2), np.float32)
    dout[0, 0, 0, 0] = 1
    dx_one, _, _ = conv2d_backward(max_pool2d_backward(dout, pool_cache), conv_cache)
    page.wait_for_function("() => location.search.includes('grad=0%2C0%2C0')")
    page.wait_for_function(
        "n => [...document.querySelectorAll('[data-testid=conv-input] td')]"
        ".filter(td => td.textContent !== '0').length === n",
        arg=int(np.count_nonzero(dx_one)),
    )
    np.testing.assert_array_equal(grid(page, "conv-input"), dx_one[0, 0])


def test_volume_example_gives_two_3x3_maps_equal_to_the_engine_on_the_shown_numbers(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    open_conv(page, base_url)
    page.get_by_test_id("conv-example").select_option("volume")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=conv-output] table').length === 2")
    wait_for_shape(page, "conv-input", 7, 7)
    x = np.stack([grid(page, "conv-input", c)[1:-1, 1:-1] for c in range(3)])
    w = np.stack([np.stack([grid(page, "conv-kernel", 3 * f + c) for c in range(3)]) for f in range(2)])
    bias = [float(v) for v in page.locator(".conv-bias__input").evaluate_all("els => els.map(e => e.value)")]
    expected, _ = conv2d_forward(x[None], w, np.array(bias), stride=2, pad=1)
    for f in range(2):
        np.testing.assert_array_equal(grid(page, "conv-output", f), expected[0, f])
    screenshot(page, "conv-volume")


def test_on_a_phone_the_page_does_not_scroll_sideways(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    page.set_viewport_size(PHONE)
    open_conv(page, base_url)
    wait_for_shape(page, "conv-output", 5, 5)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "conv-390x844")
    formula = page.get_by_test_id("conv-formula")
    formula.scroll_into_view_if_needed()
    right = formula.locator("math").evaluate_all("ms => Math.max(...ms.map(m => m.getBoundingClientRect().right))")
    assert right <= formula.bounding_box()["x"] + formula.bounding_box()["width"] + 1, "the formula wraps, not cut off"
    page.get_by_test_id("conv-input").scroll_into_view_if_needed()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("conv-announce")).to_contain_text("output row 0, column 1")
    expect(page.locator("#conv-link line")).to_be_hidden()  # input above output: the arrow would cross a heading
    screenshot(page, "conv-390x844-formula")


def test_in_a_room_cells_not_reached_are_hidden_and_an_open_question_hides_its_answer_until_the_reveal(
    new_person: Callable[[], tuple[Page, list[str]]], base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    teacher, teacher_errors = new_person()
    student, student_errors = new_person()
    teacher.goto(f"{base_url}/classroom")
    teacher.get_by_test_id("room-open").click()
    code = teacher.get_by_test_id("room-code").filter(has_text=re.compile(r"^[A-Z2-9]{6}$"))
    code.wait_for()
    student.goto(f"{base_url}/join/{code.inner_text()}")
    student.get_by_test_id("room-join").click()
    student.get_by_test_id("room-bar-state").filter(has_text="Following your teacher").wait_for()
    open_conv(teacher, base_url)
    student.wait_for_url(re.compile(r"/conv\?"))
    for tab in (teacher, student):  # in a room the class predicts: cells not reached yet are hidden by default
        expect(tab.get_by_test_id("conv-hide")).to_be_checked()
        expect(tab.get_by_test_id("conv-output").locator("td.is-pending")).to_have_count(24)
    teacher.keyboard.press("ArrowRight")
    expect(student.get_by_test_id("conv-announce")).to_contain_text("the sum 2 goes to output row 0, column 1")

    teacher.get_by_test_id("room-ask").click()
    suggestions = teacher.get_by_test_id("room-ask-suggestions")
    suggestions.get_by_role("button", name="What number lands in this output cell?").click()
    teacher.get_by_test_id("room-ask-send").click()
    for tab in (teacher, student):  # the question is open: the window's own result is off the screen too
        expect(tab.get_by_test_id("conv-announce")).to_have_text(
            "Window over input rows 0 to 2 and columns 1 to 3: what number lands in output row 0, column 1?"
        )
        cell = tab.get_by_test_id("conv-output").locator('td[data-row="0"][data-col="1"]')
        expect(cell).to_have_class(re.compile(r"\bis-pending\b"))
        expect(tab.get_by_test_id("conv-sum-value")).to_be_hidden()
    screenshot(student, "conv-room-question-open")

    teacher.get_by_test_id("room-reveal").click()
    for tab in (teacher, student):
        expect(tab.get_by_test_id("conv-announce")).to_contain_text("the sum 2 goes to output row 0, column 1")
        expect(tab.get_by_test_id("conv-sum-value")).to_have_text("2")
    assert teacher_errors == student_errors == []
