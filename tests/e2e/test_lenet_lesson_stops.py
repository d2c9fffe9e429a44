"""/lenet's two lesson stops after "LeNet in action", in Chromium against a real server: following the presentation
bar's next link reaches "Backpropagation through LeNet-5" (the example 6 on the pad, Backward mode open, a clicker's
Page Down stepping δ) and then "The input gradient" (the same 6, its FGSM reading shown), each one projected screen
at 1280×720 and 1920×1080 (viewport screenshots saved); Shift+Page Down leaves the backward stop for the next; a
room's following student arrives at the backward stop with the teacher and then follows the teacher's own drawing,
not the address's example."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from app.server.pages import LESSON
from tests.e2e import test_lenet_room as room
from tests.e2e.stage import PROJECTORS, off_screen, viewport_shot
from tests.e2e.test_lenet_backward import number, reached

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

TITLES = [step.title for step in LESSON]
IN_ACTION = TITLES.index("LeNet in action")
BACKWARD = LESSON[IN_ACTION + 1]
GRADIENT = LESSON[IN_ACTION + 2]
# The lesson bar shows the step the address is at: "11 / 12 · Backpropagation through LeNet-5" (`?.`: a document
# still parsing after a navigation has no bar yet).
AT_STEP = "(where) => document.querySelector('[data-testid=lesson-where]')?.textContent === where"
BACKWARD_SHOWN = "() => document.querySelectorAll('[data-testid=backward-grad-scores] li').length === 10"
GRADIENT_SHOWN = (
    "() => document.getElementById('input-gradient')?.dataset.empty === 'false'"
    " && document.querySelector('[data-testid=fgsm-prediction]')?.textContent.length > 0"
)


def at_step(page: Page, index: int) -> None:
    """Wait until the lesson bar says the page is at LESSON[index]."""
    page.wait_for_function(AT_STEP, arg=f"{index + 1} / {len(LESSON)} · {LESSON[index].title}")


@pytest.mark.parametrize("size", PROJECTORS)
def test_the_next_link_reaches_both_stops_each_with_the_example_digits_answer(
    page: Page, base_url: str, console_errors: list[str], screenshot_dir: Path, size: str
) -> None:
    page.set_viewport_size(PROJECTORS[size])
    page.goto(f"{base_url}/lenet?present=1")
    at_step(page, IN_ACTION)

    page.get_by_test_id("lesson-next").click()
    at_step(page, IN_ACTION + 1)
    page.wait_for_function(BACKWARD_SHOWN)
    assert page.get_by_test_id("backward-toggle").get_attribute("aria-pressed") == "true"
    assert page.locator("#backward-label-shown").inner_text() == "6"  # the example 6, read as 6
    assert number(page.get_by_test_id("backward-loss").inner_text()) > 0
    assert "example=6" in page.url and "backward=1" in page.url  # the page's own settings kept the stop's
    reached(page, "fc3")
    viewport_shot(page, screenshot_dir, f"lesson-stop-lenet-backward-{size}")
    shown = ("#lenet-stage", "[data-testid=backward-loss]", "[data-testid=backward-step]", "[data-testid=layer-strip]")
    assert [reason for selector in shown if (reason := off_screen(page, selector))] == []

    page.keyboard.press("PageDown")  # a clicker's Page Down steps the backward pass and stays on the stop
    reached(page, "fc2")
    at_step(page, IN_ACTION + 1)

    page.get_by_test_id("lesson-next").click()  # the next stop: the bar's link (or N, or Shift+Page Down)
    at_step(page, IN_ACTION + 2)
    page.wait_for_function(GRADIENT_SHOWN)
    assert page.evaluate("location.hash") == "#input-gradient"
    assert page.get_by_test_id("input-gradient-status").inner_text() == "LeNet reads your drawing as 6."
    assert "ε = 0.1" in page.get_by_test_id("fgsm-prediction").inner_text()
    viewport_shot(page, screenshot_dir, f"lesson-stop-lenet-input-gradient-{size}")
    shown = (
        "#input-gradient",
        "[data-testid=saliency-map]",
        "[data-testid=fgsm-image]",
        "[data-testid=fgsm-prediction]",
    )
    assert [reason for selector in shown if (reason := off_screen(page, selector))] == []
    assert console_errors == []


def test_shift_page_down_leaves_the_backward_stop_for_the_next(
    page: Page, base_url: str, console_errors: list[str]
) -> None:
    page.goto(f"{base_url}{BACKWARD.href}&present=1")
    page.wait_for_function(BACKWARD_SHOWN)
    page.keyboard.press("Shift+PageDown")
    at_step(page, IN_ACTION + 2)
    page.wait_for_function(GRADIENT_SHOWN)
    assert console_errors == []


def test_a_following_student_arrives_at_the_backward_stop_and_then_follows_the_teachers_drawing(
    new_person: room.Person, base_url: str
) -> None:
    teacher, student, errors = room.open_room(new_person, base_url)
    teacher.goto(f"{base_url}{BACKWARD.href}")  # the home page's lesson link (projected, the pad makes room)
    for tab in (teacher, student):
        tab.wait_for_function(BACKWARD_SHOWN)
        assert tab.locator("#backward-label-shown").inner_text() == "6"
    assert "example=6" in student.url and "backward=1" in student.url
    teacher.get_by_role("button", name="Clear").click()
    room.draw_one(teacher)
    for tab in (teacher, student):  # the teacher's 1 replaces the address's example on the follower's pad too
        tab.wait_for_function("() => document.getElementById('backward-label-shown')?.textContent === '1'")
    assert errors == {"teacher": [], "student": []}
