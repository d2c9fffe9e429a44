"""XOR across the class in Chromium: a teacher on /xor (the projector, 1920×1080) and two students who follow her
there, Ana at a laptop on seed 5 (the 2-2-1 network's local minimum at loss ≈ 1/6) and Bo on a 390×844 touch phone
on the seed her tab drew; both runs reach the teacher's overlay, Ana's marked stuck with its seed, and the teacher
shows everyone the two side by side; the class's runs and the comparison are each one projected screen."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.e2e.stage import MIN_TEXT_PX, PROJECTORS, off_screen, small_text
from tests.e2e.test_classroom import PHONE, tap
from tests.e2e.test_lenet_room import PROJECTOR, member
from tests.e2e.test_teacher_console import phone_member, viewport_shot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

Person = Callable[[], "tuple[Page, list[str]]"]

CLASS_STAGE = (
    "[data-testid=xor-class-count]",
    "[data-testid=xor-class-overlay]",
    "[data-testid=xor-class-histogram]",
    "[data-testid=xor-class-stuck]",
    "[data-testid=xor-class-pick-5]",
    "[data-testid=xor-class-compare]",
    "[data-testid=xor-class-compare-stop]",
)
COMPARE_STAGE = ("#xor-compare-heading", "[data-testid=xor-compare-overlay]", "[data-testid=xor-compare-list]")


def on_one_screen(tab: Page, selectors: tuple[str, ...], size: str) -> None:
    """Every element on the screen as it stands, without scrolling, its text no smaller than the size's minimum."""
    deadline = time.monotonic() + 3  # the page puts its stage on screen once the layout has settled
    while (
        found := [why for selector in selectors if (why := off_screen(tab, selector))]
    ) and time.monotonic() < deadline:
        tab.wait_for_timeout(100)
    assert found == [], f"{size}: " + "; ".join(found)
    small = {selector: small_text(tab, selector, MIN_TEXT_PX[size]) for selector in selectors}
    assert {selector: texts for selector, texts in small.items() if texts} == {}, size


def test_two_students_runs_appear_in_the_teachers_overlay_the_stuck_one_with_its_seed(
    browser: Browser, new_person: Person, base_url: str, screenshot_dir: Path
) -> None:
    room = httpx.post(f"{base_url}/api/rooms").json()
    teacher = {"code": room["code"], "key": room["key"], "name": "", "member": None, "following": True}
    projector, projector_errors = member(new_person, teacher, PROJECTOR)
    ana, ana_errors = member(new_person, {**teacher, "key": None, "name": "Ana"}, {"width": 1280, "height": 800})
    bo, bo_errors = phone_member(browser, {**teacher, "key": None, "name": "Bo"})
    assert bo.viewport_size == PHONE
    projector.goto(f"{base_url}/xor?spf=200&present=1")
    projector.get_by_test_id("xor-class").wait_for()  # the teacher's screen shows the class's runs
    for tab in (ana, bo):
        tab.goto(f"{base_url}/xor")
        tab.wait_for_url("**/xor?*spf=200*")  # following the teacher
        tab.get_by_test_id("xor-step-count").wait_for()
    assert ana.get_by_test_id("xor-class").is_hidden() and bo.get_by_test_id("xor-class").is_hidden()
    projector.get_by_test_id("room-bar-state").filter(has_text="2 students connected").wait_for()

    ana.get_by_test_id("xor-seed").fill("5")
    ana.get_by_test_id("xor-seed").dispatch_event("change")
    ana.get_by_test_id("xor-run").click()
    bo_seed = bo.get_by_test_id("xor-seed").input_value()
    bo.get_by_test_id("xor-run").scroll_into_view_if_needed()
    tap(bo, "xor-run")

    overlay = projector.get_by_test_id("xor-class-overlay")
    overlay.locator('polyline[data-seed="5"][data-verdict="stuck"]').wait_for(timeout=60_000)
    overlay.locator(f'polyline[data-seed="{bo_seed}"]').wait_for(timeout=60_000)
    projector.get_by_test_id("xor-class-stuck").filter(has_text="Seed 5").wait_for()
    ana.get_by_test_id("xor-class-kept").filter(has_text="seed 5").wait_for()
    bo.get_by_test_id("xor-class-kept").filter(has_text=f"seed {bo_seed}").wait_for()
    counts = (
        projector.get_by_test_id("xor-class-histogram")
        .locator("rect")
        .evaluate_all("bars => bars.map(b => Number(b.dataset.count))")
    )
    assert sum(counts) == 2, counts

    # The class's runs are a stage of the projected page: the teacher goes there (its anchor) and the whole panel,
    # charts to buttons, is one screen a hall can read, at both ends of the projectors' range.
    projector.evaluate("() => { location.hash = 'xor-class'; }")
    for size in ("1080p", "720p"):
        projector.set_viewport_size(PROJECTORS[size])
        on_one_screen(projector, CLASS_STAGE, size)
        viewport_shot(projector, screenshot_dir, f"xor-class-projector-{size}")
    projector.set_viewport_size(PROJECTOR)
    projector.reload()  # the stop opened afresh: the panel appears once the room has answered, and the stage with it
    projector.get_by_test_id("xor-class-overlay").locator('polyline[data-seed="5"]').wait_for()
    on_one_screen(projector, CLASS_STAGE, "1080p")

    # The teacher shows everyone Ana's stuck run beside Bo's.
    projector.get_by_test_id("xor-class-pick-5").check()
    projector.get_by_test_id(f"xor-class-pick-{bo_seed}").check()
    projector.get_by_test_id("xor-class-compare").click()
    for tab in (projector, ana, bo):
        compared = tab.get_by_test_id("xor-compare-overlay").locator("polyline")
        compared.nth(1).wait_for()
        assert sorted(compared.evaluate_all("lines => lines.map(l => l.dataset.seed)")) == sorted(["5", bo_seed])
    bo.get_by_test_id("xor-compare-list").filter(has_text="Seed 5: stuck at loss 0.1").wait_for()
    on_one_screen(projector, COMPARE_STAGE, "1080p")  # the comparison opens on its own stage
    viewport_shot(projector, screenshot_dir, "xor-class-compare-projector-1920x1080")
    viewport_shot(bo, screenshot_dir, "xor-class-compare-phone-390x844")
    projector.get_by_test_id("xor-class-compare-stop").click()
    bo.get_by_test_id("xor-compare").wait_for(state="hidden")
    for name, errors in (("projector", projector_errors), ("ana", ana_errors), ("bo", bo_errors)):
        assert errors == [], name
