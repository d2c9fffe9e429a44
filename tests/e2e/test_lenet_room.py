"""/lenet in a classroom room, in Chromium with two browser contexts (teacher and student) against a real server:
a student sends drawings to the class gallery, the teacher sees them with LeNet's predictions and the class's
confusion matrix and shows one to everyone, and a following student's pad mirrors the teacher's strokes."""

from __future__ import annotations

import json
import math
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.e2e.conftest import DESKTOP
from tests.e2e.test_lenet_input_gradient import READING, epsilon_shown, open_panel

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

PAD = 280
PROJECTOR = {"width": 1920, "height": 1080}
MEMBERSHIP = "backprop-lab.room"  # lib/room.js's sessionStorage key

# Set this tab's room membership before the page's scripts run, unless the tab already has one (the room keeps
# its member id there across reloads).
JOIN_SCRIPT = """(() => {{
  if (!sessionStorage.getItem({key})) sessionStorage.setItem({key}, {value});
}})();"""


Person = Callable[[], tuple["Page", list[str]]]


def member(new_person: Person, membership: dict, viewport: dict) -> tuple[Page, list[str]]:
    """A tab of its own browser context (its own sessionStorage) that is a member of a room from its first page."""
    tab, errors = new_person()
    script = JOIN_SCRIPT.format(key=json.dumps(MEMBERSHIP), value=json.dumps(json.dumps(membership)))
    tab.context.add_init_script(script=script)
    tab.set_viewport_size(viewport)
    return tab, errors


def open_room(
    new_person: Person, base_url: str, query: str = "", viewport: dict = DESKTOP
) -> tuple[Page, Page, dict[str, list[str]]]:
    """A new room (POST /api/rooms) with its teacher and one following student, both on /lenet, both joined; and
    the console errors of both."""
    opened = httpx.post(f"{base_url}/api/rooms")
    assert opened.status_code == 201, opened.text
    room = opened.json()
    teacher, teacher_errors = member(
        new_person, {"code": room["code"], "key": room["key"], "name": "", "member": None, "following": True}, viewport
    )
    teacher.goto(f"{base_url}/lenet{query}")
    teacher.get_by_test_id("room-gallery").wait_for()
    student, student_errors = member(
        new_person, {"code": room["code"], "key": None, "name": "Ana", "member": None, "following": True}, viewport
    )
    student.goto(f"{base_url}/lenet{query}")
    student.get_by_test_id("room-submit").wait_for()
    for tab in (teacher, student):
        tab.wait_for_selector('[data-testid="map-conv2-0"]')  # the LeNet model frame arrived
    return teacher, student, {"teacher": teacher_errors, "student": student_errors}


def settled(tab: Page) -> None:
    """Wait until the page has the answer to the newest drawing it sent."""
    tab.wait_for_timeout(150)  # throttled sends go out within 40 ms; a room's view within 100 ms
    tab.wait_for_function(
        "() => { const t = document.getElementById('lenet-timing')?.dataset;"
        " return t?.sent !== undefined && t.sent === t.answered; }"
    )


def prediction(tab: Page) -> str:
    settled(tab)
    return tab.get_by_test_id("prediction").inner_text()


def probability(tab: Page, digit: str) -> float:
    return float(tab.get_by_test_id("probabilities").locator("li").nth(int(digit)).get_attribute("data-probability"))


def stroke(tab: Page, points: list[tuple[float, float]]) -> None:
    """Draw one stroke with the mouse through points given in pad units (0..280), the pad in the middle of the
    window (clear of the room bar at the top)."""
    tab.locator("#draw-canvas").evaluate("canvas => canvas.scrollIntoView({block: 'center'})")
    box = tab.locator("#draw-canvas").bounding_box()
    scale = box["width"] / PAD
    tab.mouse.move(box["x"] + points[0][0] * scale, box["y"] + points[0][1] * scale)
    tab.mouse.down()
    for x, y in points[1:]:
        tab.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=3)
    tab.mouse.up()


def draw_one(tab: Page) -> None:
    stroke(tab, [(150, 45), (146, 110), (142, 175), (138, 235)])


def draw_zero(tab: Page) -> None:
    stroke(
        tab, [(140 + 60 * math.sin(t / 24 * 2 * math.pi), 140 - 90 * math.cos(t / 24 * 2 * math.pi)) for t in range(25)]
    )


def send(student: Page, tag: str) -> str:
    """Send the pad to the class with a tag ("" for none); the reply's text."""
    student.get_by_test_id("room-submit-tag").select_option(tag)
    before = student.get_by_test_id("room-submit-result").get_attribute("data-id")
    student.get_by_test_id("room-submit").click()
    student.wait_for_function(
        "(before) => { const r = document.querySelector('[data-testid=room-submit-result]');"
        " return r.dataset.id !== undefined && r.dataset.id !== before; }",
        arg=before,
    )
    return student.get_by_test_id("room-submit-result").inner_text()


def cell(teacher: Page, meant: str, read: str) -> int:
    return int(teacher.get_by_test_id(f"room-confusion-{meant}-{read}").get_attribute("data-count"))


def test_a_student_sends_drawings_and_the_teacher_shows_one_to_everyone(
    new_person: Person, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    teacher, student, errors = open_room(new_person, base_url)
    assert teacher.get_by_test_id("room-submit").is_hidden()
    assert student.get_by_test_id("room-gallery").is_hidden()

    # An empty pad is refused with the server's sentence.
    assert "nothing is drawn" in send_refused(student)

    draw_one(student)
    read_one = prediction(student)
    assert read_one == "1"
    assert (
        send(student, "1") == f"Sent #1: LeNet read it as {read_one}, "
        f"{round(100 * probability(student, read_one))}% (you meant 1)."
    )
    student.get_by_role("button", name="Clear").click()
    draw_zero(student)
    read_zero = prediction(student)
    assert send(student, "").startswith(f"Sent #2: LeNet read it as {read_zero},")

    # The teacher's gallery shows both, newest first, with the predictions the student's page showed.
    items = teacher.get_by_test_id("room-gallery-item")
    items.nth(1).wait_for()
    assert items.evaluate_all("tiles => tiles.map(t => t.dataset.id)") == ["2", "1"]
    first = teacher.locator('[data-testid="room-gallery-item"][data-id="1"]')
    assert first.get_attribute("data-prediction") == read_one
    assert "meant 1 ✓" in first.inner_text()
    assert "Ana" not in first.inner_text()  # names stay hidden until the teacher shows them
    assert cell(teacher, "1", read_one) == 1
    assert cell(teacher, "none", read_zero) == 1
    assert "1 of the 1 tagged" in teacher.get_by_test_id("room-accuracy").inner_text()

    # The student says the zero was meant as a 6: the tile and the matrix follow live.
    student.get_by_test_id("room-tag-2").select_option("6")
    second = teacher.locator('[data-testid="room-gallery-item"][data-id="2"]')
    teacher.wait_for_function(
        "() => document.querySelector('[data-testid=room-gallery-item][data-id=\"2\"]')?.dataset.tag === '6'"
    )
    assert "meant 6 ✗" in second.inner_text()
    assert cell(teacher, "6", read_zero) == 1 and cell(teacher, "none", read_zero) == 0
    assert "1 of the 2 tagged" in teacher.get_by_test_id("room-accuracy").inner_text()
    teacher.get_by_test_id("room-gallery-misread").check()
    assert first.is_hidden() and second.is_visible()
    teacher.get_by_test_id("room-gallery-misread").uncheck()
    teacher.get_by_test_id("room-names").click()
    teacher.wait_for_function(
        "() => document.querySelector('[data-testid=room-names]')?.getAttribute('aria-pressed') === 'true'"
    )
    assert "Ana" in second.inner_text()

    # The export: the teacher's key in a header, a zip of one PNG per drawing and the CSV.
    with teacher.expect_download() as download:
        teacher.get_by_test_id("room-export-gallery").click()
    assert download.value.suggested_filename.endswith("-gallery.zip")
    with zipfile.ZipFile(download.value.path()) as archive:
        names = archive.namelist()
    assert f"drawings/0001-read-as-{read_one}.png" in names and "submissions.csv" in names

    # Show the misread one to everyone: every tab puts it on its pad and reads the same input.
    teacher.get_by_test_id("room-show-2").click()
    for tab in (student, teacher):
        caption = tab.get_by_test_id("room-shown")
        caption.wait_for()
        assert f"drawing #2 by Ana, read as {read_zero} (meant 6)" in caption.inner_text()
        assert prediction(tab) == read_zero
    assert student.get_by_test_id("room-shown").inner_text().startswith("Shown by your teacher")
    assert student.get_by_test_id("room-submit").is_disabled()  # not the student's own drawing
    assert "is-shown" in (second.get_attribute("class") or "")
    screenshot(teacher, "lenet-room-teacher")
    screenshot(student, "lenet-room-student")

    # The student draws: the pad is theirs again.
    draw_one(student)
    assert student.get_by_test_id("room-shown").is_hidden()
    assert prediction(student) == "1"
    teacher.get_by_test_id("room-show-none").click()
    teacher.get_by_test_id("room-shown").wait_for(state="hidden")

    # Out of the room, /lenet is the page it always was.
    student.get_by_test_id("room-leave").click()
    student.get_by_test_id("room-submit").wait_for(state="hidden")
    assert student.get_by_test_id("room-mine").is_hidden() and student.get_by_test_id("room-gallery").is_hidden()
    draw_zero(student)
    assert prediction(student) == read_zero
    assert errors == {"teacher": [], "student": []}


def send_refused(student: Page) -> str:
    """Send an empty pad: the server's error sentence."""
    student.get_by_test_id("room-submit").click()
    student.wait_for_function(
        "() => document.querySelector('[data-testid=room-submit-result]')?.dataset.problem === 'true'"
    )
    return student.get_by_test_id("room-submit-result").inner_text()


def test_a_following_student_sees_the_teachers_digit_live(
    new_person: Person, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    teacher, student, errors = open_room(new_person, base_url, "?present=1", PROJECTOR)
    draw_zero(teacher)
    read = prediction(teacher)
    student.wait_for_function("() => document.querySelector('[data-testid=prediction]')?.dataset.value !== ''")
    assert prediction(student) == read
    assert probability(student, read) == pytest.approx(probability(teacher, read), abs=0.02)

    # The explanation follows too.
    teacher.get_by_test_id("explain-toggle").click()
    student.get_by_test_id("saliency").wait_for()
    assert student.get_by_test_id("explain-toggle").get_attribute("aria-pressed") == "true"

    teacher.get_by_role("button", name="Clear").click()
    draw_one(teacher)
    assert prediction(teacher) == "1"
    student.wait_for_function("() => document.querySelector('[data-testid=prediction]')?.dataset.value === '1'")
    assert prediction(student) == "1"

    # What a follower sees can go to the gallery like any drawing.
    assert send(student, "1").startswith("Sent #1: LeNet read it as 1,")
    teacher.locator('[data-testid="room-gallery-item"][data-id="1"]').wait_for()
    assert cell(teacher, "1", "1") == 1
    screenshot(teacher, "lenet-room-teacher-present-1920x1080")
    screenshot(student, "lenet-room-student-present-1920x1080")
    assert errors == {"teacher": [], "student": []}


def test_a_following_students_input_gradient_panel_takes_the_teachers_settings_and_dreams(
    new_person: Person, base_url: str
) -> None:
    teacher, student, errors = open_room(new_person, base_url)
    draw_zero(teacher)
    student.wait_for_function(  # the teacher's strokes reach the student's pad, and LeNet reads them the same
        "(digit) => document.querySelector('[data-testid=prediction]')?.dataset.value === digit",
        arg=prediction(teacher),
    )
    teacher.evaluate("() => { location.hash = 'input-gradient'; }")  # the lesson's stop: the class goes there too
    student.wait_for_function("() => location.hash === '#input-gradient'")
    for tab in (teacher, student):
        open_panel(tab)  # the panel asks only while it is on screen

    # The teacher drags ε to 0.2 and explains the digit 3: the student's panel asks for the same.
    teacher.locator("[data-testid=fgsm-epsilon]").evaluate(
        "slider => { slider.value = '0.2'; slider.dispatchEvent(new Event('input', { bubbles: true })); }"
    )
    teacher.select_option("[data-testid=saliency-target]", "3")
    for tab in (teacher, student):
        tab.wait_for_function(
            "() => document.querySelector('[data-testid=fgsm-prediction]')?.textContent.includes('ε = 0.2:')"
        )
        assert epsilon_shown(tab) == "0.2"
    assert student.locator("[data-testid=fgsm-epsilon]").input_value() == "0.2"
    assert student.locator("#fgsm-epsilon-value").inner_text() == "0.2"
    # The digit came in a later view (the teacher's tab sends one at most every 100 ms).
    student.wait_for_function("() => document.querySelector('[data-testid=saliency-target]')?.value === '3'")

    # The iterated attack, then a dream from blank paper (no drawing in it, so the same picture on both tabs).
    teacher.locator("[data-testid=fgsm-iterated-mode]").check()
    student.wait_for_function("() => document.querySelector('[data-testid=fgsm-iterated-mode]')?.checked")
    assert student.locator(READING).inner_text().startswith("Iterated steps of 0.01: ")
    teacher.select_option("[data-testid=dream-objective]", "class:5")
    teacher.locator("[data-testid=dream-run]").click()
    for tab in (teacher, student):
        tab.wait_for_function(
            "() => document.querySelector('[data-testid=dream-result]')?.textContent.startsWith('score of 5: ')"
        )
    assert (
        student.locator("[data-testid=dream-result]").inner_text()
        == teacher.locator("[data-testid=dream-result]").inner_text()
    )
    assert student.locator("[data-testid=dream-objective]").input_value() == "class:5"

    # Views sent later (the teacher draws on) dream nothing more: one dream asked, one dreamt.
    student.evaluate(
        "() => { window.dreamChanges = 0; new MutationObserver(() => { window.dreamChanges += 1; })"
        ".observe(document.getElementById('dream-result'), { childList: true, characterData: true, subtree: true }); }"
    )
    teacher.get_by_role("button", name="Clear").click()
    draw_one(teacher)
    student.wait_for_function("() => document.querySelector('[data-testid=prediction]')?.dataset.value === '1'")
    settled(student)
    assert student.evaluate("() => window.dreamChanges") == 0
    assert errors == {"teacher": [], "student": []}


# The ink's opacity on the pad at a point given in pad units (0..280).
INK_AT = """(canvas, [x, y]) => {
  const scale = canvas.width / 280;
  return canvas.getContext('2d').getImageData(Math.round(x * scale), Math.round(y * scale), 1, 1).data[3];
}"""


def test_a_followers_own_stroke_clears_the_teachers_digit_and_the_tag_resets_after_each_send(
    new_person: Person, base_url: str
) -> None:
    teacher, student, errors = open_room(new_person, base_url)
    draw_zero(teacher)
    read = prediction(teacher)
    student.wait_for_function(
        "(read) => document.querySelector('[data-testid=prediction]')?.dataset.value === read", arg=read
    )
    assert student.locator("#draw-canvas").evaluate(INK_AT, [80, 140]) > 0, "the teacher's 0 is on the pad"

    draw_one(student)  # drawn on the teacher's 0: the 0 goes first, the 1 is the student's own
    assert student.locator("#draw-canvas").evaluate(INK_AT, [80, 140]) == 0
    assert prediction(student) == "1"
    assert send(student, "1").startswith("Sent #1: LeNet read it as 1,")
    assert student.get_by_test_id("room-submit-tag").input_value() == "", "the next drawing starts untagged"
    teacher.locator('[data-testid="room-gallery-item"][data-id="1"]').wait_for()
    assert cell(teacher, "1", "1") == 1
    assert send(student, "").startswith("Sent #2:")
    teacher.locator('[data-testid="room-gallery-item"][data-id="2"]').wait_for()
    assert errors == {"teacher": [], "student": []}
