"""Classroom rooms in Chromium with several people (browser contexts): a teacher opens a room, students join by
code or link, follow the conv walkthrough, leave follow mode and come back, answer a question, and the teacher
removes a student's drawings from the gallery."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.stage import off_screen
from tests.e2e.test_lenet_room import draw_one, draw_zero, member, open_room, prediction, send

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

Person = Callable[[], "tuple[Page, list[str]]"]
CODE = re.compile(r"^[A-Z2-9]{6}$")
PHONE = {"width": 390, "height": 844}
ONE_LINE_PX = 56  # a folded room region on a phone: one line of text with its buttons


def open_room_from_home(teacher: Page, base_url: str) -> str:
    """The teacher opens a room on the home page and lands on the dashboard; returns the join code."""
    teacher.goto(base_url)
    teacher.get_by_test_id("home-open-room").click()
    teacher.wait_for_url(f"{base_url}/classroom")
    code = teacher.get_by_test_id("room-code")
    code.wait_for()
    teacher.get_by_test_id("room-bar-state").filter(has_text="connected").wait_for()
    return code.inner_text()


def open_room_on_classroom(teacher: Page, base_url: str) -> str:
    """The teacher opens a room on /classroom; returns the join code once the dashboard shows it."""
    teacher.goto(f"{base_url}/classroom")
    teacher.get_by_test_id("room-open").click()
    code = teacher.get_by_test_id("room-code")
    code.filter(has_text=CODE).wait_for()
    return code.inner_text()


def join_by_code(student: Page, base_url: str, code: str, on_home: bool = False) -> None:
    """A student types the code (as they might: lower case, with a space) on the classroom or the home page."""
    student.goto(base_url if on_home else f"{base_url}/classroom")
    prefix = "home" if on_home else "room"
    student.get_by_test_id(f"{prefix}-join-code").fill(f"{code[:3].lower()} {code[3:].lower()}")
    student.get_by_test_id(f"{prefix}-join").click()
    student.get_by_test_id("room-bar-state").filter(has_text="Following your teacher").wait_for()


def announce(tab: Page) -> str:
    """The conv page's sentence for the step shown."""
    return tab.get_by_test_id("conv-announce").inner_text()


def wait_for_announce(tab: Page, text: str) -> None:
    """Until the conv page announces exactly `text`."""
    tab.get_by_test_id("conv-announce").filter(has_text=re.compile(f"^{re.escape(text)}$")).wait_for()


def step_count(tab: Page) -> str:
    """The conv page's "Step i of n"."""
    return tab.get_by_test_id("conv-step-count").inner_text()


def open_conv_ready(tab: Page) -> None:
    """Until the conv page shows its first plan."""
    tab.get_by_test_id("conv-output").locator("table").first.wait_for()
    tab.get_by_test_id("conv-announce").filter(has_text="output row").wait_for()


def test_a_student_follows_the_teachers_conv_walkthrough_leaves_and_catches_up(
    new_person: Person, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    teacher, teacher_errors = new_person()
    code = open_room_from_home(teacher, base_url)
    assert CODE.match(code), code
    assert teacher.get_by_test_id("room-bar-code").inner_text() == code
    teacher.get_by_test_id("room-join-url").filter(has_text=re.compile(f"/join/{code}$")).wait_for()
    qr = teacher.get_by_test_id("room-qr")
    assert qr.evaluate("img => img.decode().then(() => img.naturalWidth > 0)")
    assert qr.bounding_box()["width"] >= 300, "the QR code is sized for a projector"
    assert "#key=" in teacher.get_by_test_id("room-teacher-link").input_value()
    # served on 127.0.0.1: the dashboard says students cannot reach that address, and how to fix it
    assert "--host 0.0.0.0" in teacher.get_by_test_id("room-loopback").inner_text()
    assert teacher.get_by_test_id("room-loopback").is_visible()

    student, student_errors = new_person()
    join_by_code(student, base_url, code, on_home=True)
    student.wait_for_url(f"{base_url}/classroom")
    assert student.get_by_test_id("room-waiting").inner_text() == "Waiting for your teacher…"
    assert student.get_by_test_id("room-ask").is_hidden()

    witness, witness_errors = new_person()  # a second student who always follows: proves a broadcast went out
    witness.goto(f"{base_url}/join/{code}")
    assert witness.get_by_test_id("room-join-code").input_value() == code
    assert witness.evaluate("() => document.activeElement.dataset.testid") == "room-join-name"
    witness.get_by_test_id("room-join-name").fill("Ada")
    witness.get_by_test_id("room-join").click()
    witness.get_by_test_id("room-waiting").wait_for()
    teacher.get_by_test_id("room-students").filter(has_text=re.compile("^2$")).wait_for()
    assert teacher.get_by_test_id("room-bar-state").inner_text() == "2 students connected"
    screenshot(teacher, "classroom-teacher-dashboard")
    teacher.get_by_test_id("present-toggle").click()
    screenshot(teacher, "classroom-teacher-dashboard-present")
    teacher.get_by_test_id("present-toggle").click()
    screenshot(student, "classroom-student-waiting")

    teacher.goto(f"{base_url}/conv")
    open_conv_ready(teacher)
    for tab in (student, witness):
        tab.wait_for_url(re.compile(r"/conv\?"))
        open_conv_ready(tab)
    student.evaluate("() => { window.arrived = true; }")  # gone if the page loads again
    bar, stage = (
        student.get_by_test_id("room-bar").bounding_box(),
        student.locator("[data-present-stage]").first.bounding_box(),
    )
    assert bar["y"] + bar["height"] <= stage["y"] + 1, "following brings the stage into view, under the room bar"
    for _ in range(3):
        teacher.locator("#conv-next").click()
    assert step_count(teacher).startswith("Step 4 of")
    for tab in (student, witness):
        wait_for_announce(tab, announce(teacher))
        assert step_count(tab) == step_count(teacher)
    assert student.evaluate("() => window.arrived === true"), "steps follow in place, without loading the page again"
    screenshot(student, "classroom-student-following-conv")

    student.get_by_test_id("room-follow-toggle").click()
    assert student.get_by_test_id("room-bar-state").inner_text() == "Exploring on your own"
    assert student.get_by_test_id("room-follow-toggle").inner_text() == "Follow the teacher again"
    left_at = announce(student)
    for _ in range(2):
        teacher.locator("#conv-next").click()
    wait_for_announce(witness, announce(teacher))
    assert announce(student) == left_at, "a student exploring on their own stays where they are"

    student.get_by_test_id("room-follow-toggle").click()
    wait_for_announce(student, announce(teacher))
    assert step_count(student) == step_count(teacher)
    assert student.get_by_test_id("room-bar-state").inner_text() == "Following your teacher"

    teacher.goto(f"{base_url}/conv?present=1")  # presentation mode is the teacher's screen only
    open_conv_ready(teacher)
    teacher.keyboard.press("ArrowRight")
    wait_for_announce(student, announce(teacher))
    assert "present" not in student.url
    assert not student.evaluate("() => document.documentElement.classList.contains('present')")
    screenshot(teacher, "classroom-teacher-conv-present")

    teacher.get_by_test_id("room-ask").click()  # the page's suggestion, a number question
    teacher.get_by_test_id("room-ask-suggestions").get_by_role(
        "button", name="What number lands in this output cell?"
    ).click()
    assert teacher.get_by_test_id("room-ask-kind").input_value() == "number"
    teacher.get_by_test_id("room-ask-send").click()
    student.get_by_test_id("room-answer-number").fill("2.0")
    student.get_by_test_id("room-answer-send").click()
    student.get_by_test_id("room-question-status").filter(has_text="Your answer: 2.").wait_for()
    # The projected screen counts the answers and shows their distribution only at the reveal.
    teacher.get_by_test_id("room-poll-count").filter(has_text=re.compile(r"^1 of \d+ students? answered$")).wait_for()
    assert teacher.get_by_test_id("room-poll-hidden").is_visible()
    teacher.get_by_test_id("room-reveal").click()
    teacher.get_by_test_id("room-answers").locator('[data-value="2"] .answer-bars__count').wait_for()
    assert teacher.get_by_test_id("room-answers-total").inner_text() == "1 answer"
    assert teacher_errors == student_errors == witness_errors == []


def test_a_wrong_code_says_so_clearly(
    new_person: Person, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    student, errors = new_person()
    student.goto(f"{base_url}/classroom")
    student.get_by_test_id("room-join-code").fill("zzz zzz")
    student.get_by_test_id("room-join").click()
    message = student.get_by_test_id("room-join-error")
    message.wait_for()
    assert message.inner_text() == "There is no room ZZZZZZ; check the code on the board"
    assert student.get_by_test_id("room-bar").is_hidden()
    student.goto(base_url)
    student.get_by_test_id("home-join-code").fill("ABC")
    student.get_by_test_id("home-join").click()
    student.get_by_test_id("home-join-error").wait_for()
    assert "no room ABC" in student.get_by_test_id("home-join-error").inner_text()
    screenshot(student, "classroom-wrong-code")
    # A tab whose room is gone (closed while the tab slept, say) is told so on its next page.
    student.evaluate(
        "() => sessionStorage.setItem('backprop-lab.room',"
        " JSON.stringify({code: 'ZZZZZZ', key: null, following: true}))"
    )
    student.goto(f"{base_url}/conv")
    notice = student.get_by_test_id("room-notice-text")
    notice.wait_for()
    assert notice.inner_text() == "Could not join room ZZZZZZ: there is no room ZZZZZZ; check the code on the board"
    assert student.get_by_test_id("room-bar").is_hidden()
    assert student.evaluate("() => sessionStorage.getItem('backprop-lab.room')") is None
    expected = [e for e in errors if "/api/rooms/ZZZZZZ" in e or "/api/rooms/ABC" in e or "404 (Not Found)" in e]
    assert errors == expected and expected, "only the 404s of the look-ups, the browser's own console lines"


def test_a_question_is_answered_counted_and_revealed(
    new_person: Person, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    teacher, teacher_errors = new_person()
    code = open_room_on_classroom(teacher, base_url)
    student, student_errors = new_person()
    join_by_code(student, base_url, code)
    teacher.get_by_test_id("room-students").filter(has_text=re.compile("^1$")).wait_for()

    teacher.get_by_test_id("room-start-lesson").click()
    student.wait_for_url(re.compile(r"/neuron"))
    student.locator("[data-testid=connection][data-state=ready]").wait_for()
    student.evaluate("() => { window.arrived = true; }")
    teacher.get_by_test_id("neuron-w1").fill("-2.5")
    student.wait_for_function("() => document.querySelector('[data-testid=neuron-w1]')?.value === '-2.5'")
    assert student.evaluate("() => window.arrived === true"), "a dragged slider follows in place"
    teacher.get_by_test_id("room-ask").click()
    dialog = teacher.get_by_test_id("room-ask-dialog")
    assert dialog.is_visible()
    teacher.get_by_test_id("room-ask-prompt").fill("Which digit is on the board?")
    teacher.get_by_test_id("room-ask-kind").select_option("digit")
    screenshot(teacher, "classroom-teacher-ask-dialog")
    teacher.get_by_test_id("room-ask-send").click()
    assert dialog.is_hidden()

    question = student.get_by_test_id("room-question")
    question.wait_for()
    assert student.get_by_test_id("room-question-prompt").inner_text() == "Which digit is on the board?"
    student.get_by_test_id("room-answer-digit-7").click()
    student.get_by_test_id("room-question-status").filter(has_text="Your answer: 7").wait_for()
    assert student.get_by_test_id("room-answer-digit-7").get_attribute("aria-pressed") == "true"

    answers = teacher.get_by_test_id("room-answers")
    answers.locator('[data-value="7"] .answer-bars__count').filter(has_text=re.compile("^1$")).wait_for()
    assert answers.locator('[data-value="3"] .answer-bars__count').inner_text() == "0"
    assert teacher.get_by_test_id("room-answers-total").inner_text() == "1 answer"
    assert teacher.get_by_test_id("room-poll-count").inner_text() == "1 of 1 student answered"
    screenshot(teacher, "classroom-teacher-question-open")
    teacher.reload()  # a teacher's reload finds the question and its answers as they were
    answers.locator('[data-value="7"] .answer-bars__count').filter(has_text=re.compile("^1$")).wait_for()
    assert teacher.get_by_test_id("room-poll-count").inner_text() == "1 of 1 student answered"
    screenshot(student, "classroom-student-question-answered")

    teacher.get_by_test_id("room-reveal-answer").fill("7")
    teacher.get_by_test_id("room-reveal").click()
    status = student.get_by_test_id("room-question-status")
    status.filter(has_text="The answer: 7").wait_for()
    assert status.inner_text() == "The answer: 7. You answered 7. Right!"
    results = student.get_by_test_id("room-question-answers")
    assert results.is_visible()
    assert results.locator('[data-value="7"]').get_attribute("class").count("is-correct") == 1
    assert student.get_by_test_id("room-answer-digit-3").is_hidden(), "answers are closed"
    screenshot(student, "classroom-student-question-revealed")
    student.evaluate("() => document.documentElement.classList.add('present')")
    screenshot(student, "classroom-student-question-revealed-present")
    student.evaluate("() => document.documentElement.classList.remove('present')")
    student.set_viewport_size(PHONE)
    assert student.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(student, "classroom-student-question-revealed-390x844")
    teacher.evaluate("() => document.documentElement.classList.add('present')")
    screenshot(teacher, "classroom-teacher-question-revealed-present")
    teacher.evaluate("() => document.documentElement.classList.remove('present')")  # the teacher's own screen again

    teacher.get_by_test_id("room-ask").click()
    teacher.get_by_test_id("room-ask-prompt").fill("Above or below?")
    teacher.get_by_test_id("room-ask-kind").select_option("choice")
    teacher.get_by_test_id("room-ask-choices").fill("above, below")
    teacher.get_by_test_id("room-ask-send").click()
    student.get_by_test_id("room-question-prompt").filter(has_text="Above or below?").wait_for()
    student.get_by_test_id("room-answer-choice-1").click()
    answers.locator('[data-value="below"] .answer-bars__count').filter(has_text=re.compile("^1$")).wait_for()
    teacher.get_by_test_id("room-dismiss").click()
    question.wait_for(state="hidden")
    assert teacher_errors == student_errors == []


def test_the_teacher_link_restores_control_without_the_key_in_the_address_bar_and_ending_tells_everyone(
    new_person: Person, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    first, first_errors = new_person()
    code = open_room_on_classroom(first, base_url)
    link = first.get_by_test_id("room-teacher-link")
    first.locator("details.classroom__teacher-link summary").click()
    assert (
        "whoever has this link can drive the room"
        in first.locator("details.classroom__teacher-link").inner_text().lower()
    )
    first.wait_for_function("el => el.value.includes('#key=')", arg=link.element_handle())
    teacher_link = link.input_value()
    assert teacher_link.startswith(f"{base_url}/classroom?room={code}#key=")

    student, student_errors = new_person()
    join_by_code(student, base_url, code)

    teacher, teacher_errors = new_person()  # the teacher on another laptop, with the link
    teacher.goto(teacher_link)
    teacher.get_by_test_id("room-bar-state").filter(has_text="connected").wait_for()
    assert teacher.url == f"{base_url}/classroom", "the key leaves the address bar at once"
    assert "key=" not in teacher.evaluate("() => location.href")
    assert teacher.get_by_test_id("room-ask").is_visible()
    teacher.reload()
    teacher.get_by_test_id("room-bar-state").filter(has_text="1 student connected").wait_for()
    assert teacher.get_by_test_id("room-code").inner_text() == code

    with teacher.expect_download() as download:
        teacher.get_by_test_id("room-export").click()
    assert download.value.suggested_filename == f"room-{code}-gallery.zip"
    with zipfile.ZipFile(download.value.path()) as archive:
        assert any(name.endswith(".csv") for name in archive.namelist()), archive.namelist()

    teacher.get_by_test_id("room-end").click()
    teacher.get_by_test_id("room-end-confirm").click()
    notice = student.get_by_test_id("room-notice")
    notice.wait_for()
    assert student.get_by_test_id("room-notice-text").inner_text() == f"The teacher ended room {code}."
    assert student.get_by_test_id("room-bar").is_hidden()
    teacher.get_by_test_id("room-open").wait_for()
    screenshot(student, "classroom-student-room-ended")
    assert first_errors == student_errors == teacher_errors == []


def test_sliders_dragged_by_the_teacher_move_on_the_students_page_without_reloading_it(
    new_person: Person, base_url: str
) -> None:
    teacher, teacher_errors = new_person()
    code = open_room_on_classroom(teacher, base_url)
    student, student_errors = new_person()
    join_by_code(student, base_url, code)

    teacher.goto(f"{base_url}/why-backprop")
    student.wait_for_url(re.compile(r"/why-backprop"))
    student.locator("[data-testid=connection][data-state=ready]").wait_for()
    student.evaluate("() => { window.arrived = true; }")
    for depth in ("4", "5", "6"):
        teacher.locator("#why-depth").fill(depth)
    student.wait_for_function("() => document.getElementById('why-depth')?.value === '6'")
    student.locator("#why-depth-value").filter(has_text=re.compile("^6$")).wait_for()
    assert student.evaluate("() => window.arrived === true")
    assert teacher_errors == student_errors == []


def phone_person(browser: Browser) -> tuple[Page, list[str]]:
    """A phone (390×844, touch) of its own browser context, with the uncaught errors of its pages."""
    tab = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True).new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return tab, errors


def tap(tab: Page, test_id: str) -> None:
    """A finger on the element's middle (no scrolling first, as a locator's tap would do to a sticky bar)."""
    box = tab.get_by_test_id(test_id).bounding_box()
    tab.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def height(tab: Page, test_id: str) -> float:
    return tab.get_by_test_id(test_id).bounding_box()["height"]


def test_a_phone_joins_in_one_tap_and_the_room_keeps_to_one_line(
    browser: Browser, new_person: Person, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    teacher, teacher_errors = new_person()
    code = open_room_on_classroom(teacher, base_url)
    phone, phone_errors = phone_person(browser)
    phone.goto(f"{base_url}/join/{code}")
    assert off_screen(phone, "[data-testid=room-join]") is None, "the join card comes first, Join on screen"
    assert phone.get_by_test_id("room-join-code").input_value() == code
    tap(phone, "room-join")
    phone.get_by_test_id("room-waiting").filter(has_text="Waiting for your teacher").wait_for()
    context = phone.context
    screenshot(phone, "classroom-phone-joined-390x844")

    teacher.goto(f"{base_url}/why-backprop")  # follow mode brings the phone to the page's stage, under the bar
    phone.wait_for_url(re.compile(r"/why-backprop"))
    phone.locator("#why-slide-counts table").wait_for()
    phone.wait_for_timeout(500)
    assert height(phone, "room") < ONE_LINE_PX
    room_bottom = phone.get_by_test_id("room").bounding_box()["y"] + height(phone, "room")
    assert abs(phone.locator("#why-slide").bounding_box()["y"] - room_bottom) < 2, "the stage starts under the bar"
    assert phone.get_by_test_id("room-leave").is_hidden(), "the bar's buttons wait behind the expand button"

    teacher.get_by_test_id("room-ask").click()
    teacher.get_by_test_id("room-ask-prompt").fill("How many terms does layer 3 add?")
    teacher.get_by_test_id("room-ask-kind").select_option("digit")
    teacher.get_by_test_id("room-ask-send").click()
    phone.get_by_test_id("room-question").wait_for()
    digits = [phone.get_by_test_id(f"room-answer-digit-{d}").bounding_box() for d in range(10)]
    assert len({round(box["y"]) for box in digits}) == 1, "the ten digits on one row"
    screenshot(phone, "classroom-phone-question-390x844")
    tap(phone, "room-answer-digit-8")
    phone.locator("[data-testid=room-question][data-state=answered]").wait_for()
    assert height(phone, "room") < 2 * ONE_LINE_PX, "an answered question folds to its status line"

    teacher.get_by_test_id("room-reveal-answer").fill("8")
    teacher.get_by_test_id("room-reveal").click()
    phone.get_by_test_id("room-question-status").filter(has_text="The answer: 8").wait_for()
    screenshot(phone, "classroom-phone-revealed-390x844")
    phone.get_by_test_id("room-question").wait_for(state="hidden", timeout=8_000)  # put away after a few seconds
    assert height(phone, "room") < ONE_LINE_PX

    tap(phone, "room-expand")  # a tap brings back the buttons and the revealed question
    phone.get_by_test_id("room-leave").wait_for()
    assert phone.get_by_test_id("room-question").is_visible()
    assert phone.get_by_test_id("room-expand").get_attribute("aria-expanded") == "true"
    screenshot(phone, "classroom-phone-expanded-390x844")
    tap(phone, "room-expand")
    phone.get_by_test_id("room-leave").wait_for(state="hidden")

    teacher.goto(f"{base_url}/neuron")  # on the next page the revealed question stays away
    phone.wait_for_url(re.compile(r"/neuron"))
    phone.get_by_test_id("room-bar-state").filter(has_text="Following your teacher").wait_for()
    assert phone.get_by_test_id("room-question").is_hidden()
    assert height(phone, "room") < ONE_LINE_PX
    context.close()
    assert teacher_errors == phone_errors == []


def test_the_correct_answer_is_typed_on_the_teachers_phone_never_on_the_projected_screen(
    browser: Browser, new_person: Person, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    projector, projector_errors = new_person()
    code = open_room_on_classroom(projector, base_url)
    projector.wait_for_function(
        "() => document.querySelector('[data-testid=room-teacher-link]')?.value.includes('#key=')"
    )
    teacher_link = projector.get_by_test_id("room-teacher-link").input_value()
    student, student_errors = new_person()
    join_by_code(student, base_url, code)
    remote, remote_errors = phone_person(browser)  # the teacher link opened on the teacher's phone
    remote.goto(teacher_link)
    remote.get_by_test_id("room-bar-state").filter(has_text="1 student connected").wait_for()

    projector.goto(f"{base_url}/why-backprop?present=1")
    student.wait_for_url(re.compile(r"/why-backprop"))
    projector.get_by_test_id("room-ask").click()
    projector.get_by_test_id("room-ask-prompt").fill("Which digit is on the board?")
    projector.get_by_test_id("room-ask-kind").select_option("digit")
    projector.get_by_test_id("room-ask-send").click()
    projector.get_by_test_id("room-poll").wait_for()
    assert projector.get_by_test_id("room-reveal-answer-field").is_hidden(), "no answer field on the projector"
    assert projector.get_by_test_id("room-reveal-answer").is_hidden()
    assert "teacher link" in projector.get_by_test_id("room-reveal-answer-private").inner_text()
    screenshot(projector, "classroom-projector-question-present")

    student.get_by_test_id("room-answer-digit-4").click()
    remote.get_by_test_id("room-poll-count").filter(has_text="1 of 1 student answered").wait_for()
    assert remote.get_by_test_id("room-reveal-answer").is_visible()
    assert remote.get_by_test_id("room-reveal-answer-private").is_hidden()
    remote.get_by_test_id("room-reveal-answer").fill("4")
    tap(remote, "room-reveal")
    projector.get_by_test_id("room-poll-count").filter(has_text="Revealed: 4").wait_for()
    student.get_by_test_id("room-question-status").filter(has_text="The answer: 4. You answered 4. Right!").wait_for()
    remote.context.close()
    assert projector_errors == student_errors == remote_errors == []


def test_the_teacher_removes_a_students_drawings_from_every_screen_and_the_export(
    new_person: Person, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    teacher, ana, errors = open_room(new_person, base_url)
    code = teacher.evaluate("() => JSON.parse(sessionStorage.getItem('backprop-lab.room')).code")
    bo, bo_errors = member(
        new_person, {"code": code, "key": None, "name": "Bo", "member": None}, {"width": 1280, "height": 800}
    )
    bo.goto(f"{base_url}/lenet")
    bo.get_by_test_id("room-submit").wait_for()
    for student, draw in ((ana, draw_one), (bo, draw_zero), (ana, draw_zero)):
        clear = student.get_by_role("button", name="Clear")
        if clear.is_enabled():  # the pad holds the last drawing sent
            clear.click()
        draw(student)
        prediction(student)
        assert send(student, "").startswith("Sent #")
    tiles = teacher.get_by_test_id("room-gallery-item")
    tiles.nth(2).wait_for()
    ids = tiles.evaluate_all("tiles => tiles.map(t => t.dataset.id)")
    assert ids == ["3", "2", "1"]
    ana.get_by_test_id("room-mine-3").wait_for()

    # "Remove…" asks first; "Keep" changes nothing.
    teacher.get_by_test_id("room-remove-1").click()
    teacher.get_by_test_id("room-remove-keep-1").click()
    assert teacher.get_by_test_id("room-remove-all-1").is_hidden()
    teacher.get_by_test_id("room-show-1").click()
    ana.get_by_test_id("room-shown").wait_for()
    teacher.get_by_test_id("room-remove-1").click()
    screenshot(teacher, "lenet-room-remove-confirm")
    teacher.get_by_test_id("room-remove-all-1").click()  # every drawing of the student who sent #1: Ana's #1 and #3

    teacher.wait_for_function("() => document.querySelector('[data-testid=room-gallery]')?.dataset.count === '1'")
    assert tiles.evaluate_all("tiles => tiles.map(t => t.dataset.id)") == ["2"]
    assert teacher.locator("#room-gallery-count").inner_text() == "1 drawing"
    assert "Removed 2 drawings" in teacher.locator("#room-gallery-status").inner_text()
    ana.get_by_test_id("room-mine").wait_for(state="hidden")  # the student's own list forgets them too
    ana.get_by_test_id("room-shown").wait_for(state="hidden")  # and the shown one leaves every pad
    assert bo.get_by_test_id("room-mine-2").is_visible()
    with teacher.expect_download() as download:
        teacher.get_by_test_id("room-export-gallery").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        drawings = [name for name in archive.namelist() if name.endswith(".png")]
        rows = archive.read("submissions.csv").decode().splitlines()
    assert [name.split("-")[0] for name in drawings] == ["drawings/0002"] and len(rows) == 2
    screenshot(teacher, "lenet-room-removed")

    # A reload of the teacher's page (a new socket) gets the gallery without them.
    teacher.reload()
    teacher.get_by_test_id("room-gallery-item").first.wait_for()
    assert teacher.get_by_test_id("room-gallery-item").evaluate_all("tiles => tiles.map(t => t.dataset.id)") == ["2"]
    assert errors == {"teacher": [], "student": []} and bo_errors == []
