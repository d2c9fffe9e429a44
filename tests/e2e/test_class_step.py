"""The class is the mini-batch, in Chromium against a real server: a teacher and two students on /lenet (one on a
touch phone), tagged drawings sent to the class (one of them a drawn 0 tagged 3), the teacher's "Class step", and
every screen showing it: the batch's loss before and after, the strip ranked by share (the mislabelled drawing
first), conv1's kernels and the layers' moves; each student reads her own drawing's before and after."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.e2e.stage import MIN_TEXT_PX, PROJECTORS, off_screen, small_text, viewport_shot
from tests.e2e.test_lenet_room import JOIN_SCRIPT, MEMBERSHIP, Person, draw_one, draw_zero, member, prediction, send

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

PROJECTOR = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser) -> Iterator[Callable[[dict], Page]]:
    """phone(membership): a tab on a 390×844 touch phone of its own, a member of the room from its first page."""
    contexts = []

    def open_tab(membership: dict) -> Page:
        context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
        contexts.append(context)
        script = JOIN_SCRIPT.format(key=json.dumps(MEMBERSHIP), value=json.dumps(json.dumps(membership)))
        context.add_init_script(script=script)
        return context.new_page()

    yield open_tab
    for context in contexts:
        context.close()


def joined(tab: Page, base_url: str) -> None:
    tab.goto(f"{base_url}/lenet")
    tab.get_by_test_id("class-step").wait_for()
    tab.wait_for_selector('[data-testid="map-conv2-0"]')  # the LeNet model frame arrived


def test_a_class_step_reaches_every_screen_and_each_student_sees_her_own_before_and_after(
    new_person: Person,
    phone: Callable[[dict], Page],
    base_url: str,
    screenshot: Callable[[Page, str], Path],
    screenshot_dir: Path,
) -> None:
    room = httpx.post(f"{base_url}/api/rooms").json()
    code, key = room["code"], room["key"]
    teacher, teacher_errors = member(
        new_person, {"code": code, "key": key, "name": "", "member": None, "following": False}, PROJECTOR
    )
    ana, ana_errors = member(
        new_person, {"code": code, "key": None, "name": "Ana", "member": None, "following": False}, PROJECTOR
    )
    bea = phone({"code": code, "key": None, "name": "Bea", "member": None, "following": False})
    for tab in (teacher, ana, bea):
        joined(tab, base_url)
    assert teacher.get_by_test_id("room-batch-step").is_visible()
    assert ana.get_by_test_id("room-batch-step").is_hidden() and bea.get_by_test_id("room-batch-step").is_hidden()

    # Nothing tagged yet: the server's sentence.
    teacher.get_by_test_id("room-batch-step").click()
    status = teacher.get_by_test_id("class-step-status")
    teacher.wait_for_function(
        "() => document.querySelector('[data-testid=class-step-status]')?.dataset.problem === 'true'"
    )
    assert "tag some" in status.inner_text()

    draw_one(ana)
    read_one = prediction(ana)
    assert send(ana, "1").startswith("Sent #1:")
    draw_zero(bea)
    read_zero = prediction(bea)
    assert send(bea, "3").startswith("Sent #2:")  # a drawn 0 tagged 3: label noise

    teacher.get_by_test_id("class-step-lr").fill("0.1")
    teacher.get_by_test_id("room-batch-step").click()
    for tab in (teacher, ana, bea):
        tab.get_by_test_id("class-step-summary").wait_for()
        assert tab.get_by_test_id("class-step-summary").inner_text().startswith("Class step 1 on 2 drawings (η = 0.1")
        strip = tab.get_by_test_id("class-step-strip").locator("li")
        assert strip.count() == 2
        first = strip.first
        assert first.get_attribute("data-testid") == "class-step-tile-2"  # the mislabelled one moves the weights most
        assert first.get_attribute("data-misread") == ("true" if read_zero != "3" else "false")
        assert "Ana" not in tab.get_by_test_id("class-step-strip").inner_text()  # anonymous until names are shown
        assert tab.get_by_test_id("class-step-kernels").locator("canvas").count() == 18
        assert tab.get_by_test_id("class-step-moved").locator("li").count() == 5
    assert teacher.get_by_test_id("class-step-mine").is_hidden()
    mine_ana = ana.get_by_test_id("class-step-mine").inner_text()
    mine_bea = bea.get_by_test_id("class-step-mine").inner_text()
    assert mine_ana.startswith("Your drawing #1 (you meant 1): LeNet read") and "2nd of 2" in mine_ana
    assert mine_bea.startswith(f"Your drawing #2 (you meant 3): LeNet read {read_zero}") and "the largest" in mine_bea
    assert ana.get_by_test_id("class-step-tile-1").get_attribute("data-mine") == "true"
    assert bea.get_by_test_id("class-step-tile-2").get_attribute("data-mine") == "true"

    # The same step for scripts, and a reload keeps it on screen.
    last = httpx.get(f"{base_url}/api/rooms/{code}/batch", headers={"X-Teacher-Key": key}).json()
    assert last["submissions"] == [1, 2] and last["step"] == 1
    bea.reload()
    bea.get_by_test_id("class-step-mine").wait_for()
    assert "the largest" in bea.get_by_test_id("class-step-mine").inner_text()

    for tab, name in ((teacher, "class-step-teacher-1080p"), (ana, "class-step-student-1080p")):
        tab.get_by_test_id("class-step").scroll_into_view_if_needed()
        tab.screenshot(path=str(screenshot_dir / f"{name}.png"))
    bea.get_by_test_id("class-step-mine").scroll_into_view_if_needed()
    bea.screenshot(path=str(screenshot_dir / "class-step-phone.png"))
    width = bea.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the phone page is {width} px wide"

    # On the projector the step is a stage of its own, /lenet#lenet-class-step: on screen, readable from the back.
    for size, viewport in PROJECTORS.items():
        teacher.set_viewport_size(viewport)
        stage = f"{base_url}/lenet?present=1#lenet-class-step"
        if teacher.url == stage:
            teacher.reload()  # a fresh load at this size: the page opens on the stage
        else:
            teacher.goto(stage)
        teacher.get_by_test_id("class-step-summary").wait_for()
        teacher.wait_for_timeout(300)
        parts = ["room-batch-step", "class-step-summary", "class-step-tile-2", "class-step-kernels", "class-step-moved"]
        assert [off_screen(teacher, f'[data-testid="{part}"]') for part in parts] == [None] * len(parts), size
        assert small_text(teacher, "#lenet-class-step", MIN_TEXT_PX[size]) == [], size
        viewport_shot(teacher, screenshot_dir, f"class-step-present-{size}")

    # The teacher's choice: a step on the misread drawings only.
    teacher.get_by_test_id("class-step-which").select_option("misread")
    teacher.get_by_test_id("room-batch-step").click()
    teacher.wait_for_function(
        "() => document.querySelector('[data-testid=class-step-summary]')?.textContent.startsWith('Class step 2')"
    )
    misread = [id_ for id_, read, meant in ((1, read_one, "1"), (2, read_zero, "3")) if read != meant]
    last = httpx.get(f"{base_url}/api/rooms/{code}/batch", headers={"X-Teacher-Key": key}).json()
    assert last["submissions"] == misread and last["step"] == 2

    # Reset: every screen hears that the room's LeNet-5 is the shared one again.
    teacher.get_by_test_id("class-step-reset").click()
    for tab in (teacher, ana, bea):
        tab.get_by_test_id("class-step-result").wait_for(state="hidden")
    assert teacher_errors == [] and ana_errors == []
