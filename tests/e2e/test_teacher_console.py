"""The teacher's console in Chromium: a teacher (a projected screen, and the teacher link on a phone) and two
students, one on a 390×844 touch phone. A pause blocks a student's drawing until the teacher resumes; the answers
of an open question show only on the teacher's phone until the reveal; a hidden drawing leaves every screen of
the class and comes back when restored; drawings wait for approval when the teacher asks; a sequence of snapshots
is shown one at a time with names hidden until the teacher shows them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_classroom import PHONE, tap
from tests.e2e.test_lenet_room import JOIN_SCRIPT, MEMBERSHIP, PROJECTOR, cell, draw_one, draw_zero, member, send

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

Person = Callable[[], "tuple[Page, list[str]]"]


def phone_member(browser: Browser, membership: dict) -> tuple[Page, list[str]]:
    """A 390×844 touch phone of its own browser context, a member of the room from its first page."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    context.add_init_script(
        script=JOIN_SCRIPT.format(key=json.dumps(MEMBERSHIP), value=json.dumps(json.dumps(membership)))
    )
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return tab, errors


def classroom(browser: Browser, new_person: Person, base_url: str) -> dict[str, tuple[Page, list[str]]]:
    """A new room on /lenet: the projector (1920×1080, presentation mode), the teacher link on a phone, Ana at a
    laptop and Bo on a phone; each with the uncaught errors of its pages."""
    room = httpx.post(f"{base_url}/api/rooms").json()
    teacher = {"code": room["code"], "key": room["key"], "name": "", "member": None, "following": True}
    people = {
        "projector": member(new_person, teacher, PROJECTOR),
        "phone": phone_member(browser, teacher),
        "ana": member(new_person, {**teacher, "key": None, "name": "Ana"}, {"width": 1280, "height": 800}),
        "bo": phone_member(browser, {**teacher, "key": None, "name": "Bo"}),
    }
    people["projector"][0].goto(f"{base_url}/lenet?present=1")
    for name in ("phone", "ana", "bo"):
        people[name][0].goto(f"{base_url}/lenet")
    for tab, _ in people.values():
        tab.wait_for_selector('[data-testid="map-conv2-0"]')  # the LeNet model frame arrived
    people["projector"][0].get_by_test_id("room-bar-state").filter(has_text="2 students connected").wait_for()
    return people


def viewport_shot(tab: Page, screenshot_dir: Path, name: str) -> Path:
    """A screenshot of what the window shows (not the whole page), as the back row sees it."""
    path = screenshot_dir / f"{name}.png"
    tab.screenshot(path=str(path))
    return path


def gallery_ids(tab: Page) -> list[str]:
    return tab.get_by_test_id("room-gallery-item").evaluate_all("tiles => tiles.map(t => t.dataset.id)")


def test_a_pause_blocks_a_students_drawing_until_the_teacher_resumes(
    browser: Browser, new_person: Person, base_url: str, screenshot_dir: Path
) -> None:
    people = classroom(browser, new_person, base_url)
    projector, phone, ana, bo = (people[name][0] for name in ("projector", "phone", "ana", "bo"))
    projector.get_by_test_id("room-pause").click()
    projector.get_by_test_id("room-pause-message").fill("Eyes up: what does conv1 look for?")
    projector.get_by_test_id("room-pause-send").click()
    for tab in (ana, bo):
        tab.get_by_test_id("room-paused-message").filter(has_text="what does conv1 look for?").wait_for()
    assert projector.get_by_test_id("room-paused").is_hidden() and phone.get_by_test_id("room-paused").is_hidden()
    assert projector.get_by_test_id("room-pause").get_attribute("aria-pressed") == "true"
    phone.get_by_test_id("room-bar-state").filter(has_text="Paused · 2 students connected").wait_for()
    tap(phone, "room-expand")  # a phone's bar keeps its buttons behind the expand button
    phone.get_by_test_id("room-pause").filter(has_text="Resume the class").wait_for()
    viewport_shot(bo, screenshot_dir, "teacher-console-paused-phone-390x844")
    viewport_shot(projector, screenshot_dir, "teacher-console-paused-projector-1920x1080")

    draw_one(ana)  # the dimmed screen takes no stroke
    assert ana.get_by_role("button", name="Clear").is_disabled(), "a paused student's pad stays empty"
    assert ana.evaluate("() => document.querySelector('main').inert")
    box = bo.locator("#draw-canvas").bounding_box()
    bo.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert bo.get_by_role("button", name="Clear").is_disabled()

    tap(phone, "room-pause")  # resumed from the teacher's phone
    ana.get_by_test_id("room-paused").wait_for(state="hidden")
    bo.get_by_test_id("room-paused").wait_for(state="hidden")
    draw_one(ana)
    assert send(ana, "1").startswith("Sent #1")
    for name, (_, errors) in people.items():
        assert errors == [], name


def test_answers_show_only_on_the_teachers_phone_until_the_reveal(
    browser: Browser, new_person: Person, base_url: str, screenshot_dir: Path
) -> None:
    people = classroom(browser, new_person, base_url)
    projector, phone, ana, bo = (people[name][0] for name in ("projector", "phone", "ana", "bo"))
    projector.get_by_test_id("room-ask").click()
    projector.get_by_test_id("room-ask-prompt").fill("Which digit will it predict?")
    projector.get_by_test_id("room-ask-kind").select_option("digit")
    projector.get_by_test_id("room-ask-send").click()
    ana.get_by_test_id("room-answer-digit-7").click()
    tap(bo, "room-answer-digit-1")
    phone.get_by_test_id("room-poll-count").filter(has_text="2 of 2 students answered").wait_for()
    answers = phone.get_by_test_id("room-answers")
    assert answers.locator('[data-value="7"] .answer-bars__count').inner_text() == "1"
    projector.get_by_test_id("room-poll-count").filter(has_text="2 of 2 students answered").wait_for()
    assert projector.get_by_test_id("room-poll-hidden").is_visible()
    assert projector.get_by_test_id("room-answers").is_hidden()
    assert (
        projector.get_by_test_id("room-answers")
        .locator(".answer-bars__count")
        .evaluate_all("counts => counts.every(c => c.textContent === '0')")
    ), "the projected screen never got the distribution"
    viewport_shot(projector, screenshot_dir, "teacher-console-question-projector-1920x1080")
    viewport_shot(phone, screenshot_dir, "teacher-console-question-teacher-phone-390x844")
    tap(phone, "room-reveal")
    projector.get_by_test_id("room-poll-count").filter(has_text="Revealed").wait_for()
    projector.get_by_test_id("room-answers").locator('[data-value="7"] .answer-bars__count').filter(
        has_text="1"
    ).wait_for()
    assert projector.get_by_test_id("room-poll-hidden").is_hidden()
    for name, (_, errors) in people.items():
        assert errors == [], name


def test_a_hidden_drawing_leaves_every_screen_and_drawings_wait_for_approval(
    browser: Browser, new_person: Person, base_url: str, screenshot_dir: Path
) -> None:
    people = classroom(browser, new_person, base_url)
    projector, phone, ana, bo = (people[name][0] for name in ("projector", "phone", "ana", "bo"))
    draw_one(ana)
    assert send(ana, "1").startswith("Sent #1")
    draw_zero(bo)
    assert send(bo, "0").startswith("Sent #2")
    projector.get_by_test_id("room-gallery-item").nth(1).wait_for(state="attached")
    projector.get_by_test_id("room-show-1").click()
    for tab in (ana, bo, phone):
        tab.locator("[data-testid=room-shown][data-id='1']").wait_for()

    phone.get_by_test_id("room-hide-1").tap()
    projector.wait_for_function("() => !document.querySelector('[data-testid=room-gallery-item][data-id=\"1\"]')")
    assert gallery_ids(projector) == ["2"]
    for tab in (projector, ana, bo):
        tab.get_by_test_id("room-shown").wait_for(state="hidden")  # no longer shown to everyone
    phone.locator("[data-testid=room-gallery-item][data-id='1'][data-hidden=true]").wait_for()
    assert gallery_ids(phone) == ["2", "1"]
    assert cell(phone, "1", "1") == cell(projector, "1", "1") == 0, "the confusion matrix counts what the class sees"
    ana.get_by_test_id("room-mine-1").filter(has_text="hidden by your teacher").wait_for()
    phone.get_by_test_id("room-gallery-item").first.scroll_into_view_if_needed()
    viewport_shot(phone, screenshot_dir, "teacher-console-hidden-teacher-phone-390x844")
    projector.get_by_test_id("room-gallery").scroll_into_view_if_needed()
    viewport_shot(projector, screenshot_dir, "teacher-console-hidden-projector-1920x1080")

    phone.get_by_test_id("room-hide-1").tap()  # restored
    projector.locator("[data-testid=room-gallery-item][data-id='1']").wait_for(state="attached")
    assert gallery_ids(projector) == ["2", "1"]
    assert cell(projector, "1", "1") == 1
    ana.get_by_test_id("room-mine-1").filter(has_not_text="hidden").wait_for()

    phone.get_by_test_id("room-approve-first").tap()
    projector.wait_for_function("() => document.querySelector('[data-testid=room-approve-first]')?.checked")
    if bo.get_by_role("button", name="Clear").is_enabled():  # the pad holds the last drawing sent
        bo.get_by_role("button", name="Clear").tap()
    draw_one(bo)
    assert send(bo, "1").startswith("Sent #3")
    bo.get_by_test_id("room-mine-3").filter(has_text="waits for your teacher").wait_for()
    phone.locator("[data-testid=room-gallery-item][data-id='3'][data-pending=true]").wait_for()
    assert gallery_ids(projector) == ["2", "1"], "a drawing waiting for approval never reaches the projector"
    phone.get_by_test_id("room-approve-3").tap()
    projector.locator("[data-testid=room-gallery-item][data-id='3']").wait_for(state="attached")
    bo.get_by_test_id("room-mine-3").filter(has_not_text="waits").wait_for()
    for name, (_, errors) in people.items():
        assert errors == [], name


def test_a_snapshot_sequence_is_shown_one_at_a_time_with_names_hidden(
    browser: Browser, new_person: Person, base_url: str, screenshot_dir: Path
) -> None:
    people = classroom(browser, new_person, base_url)
    projector, phone, ana, bo = (people[name][0] for name in ("projector", "phone", "ana", "bo"))
    draw_one(ana)
    assert send(ana, "1").startswith("Sent #1")
    draw_zero(bo)
    assert send(bo, "0").startswith("Sent #2")
    projector.get_by_test_id("room-snapshot-add-2").wait_for(state="attached")
    projector.get_by_test_id("room-snapshot-add-2").click()  # picked in this order: the 0, then the 1
    projector.get_by_test_id("room-snapshot-item-0").wait_for()
    projector.get_by_test_id("room-snapshot-add-1").click()
    phone.get_by_test_id("room-snapshot-item-1").wait_for()
    projector.get_by_test_id("room-snapshot-caption-0").fill("A loop: what does conv1 see here?")
    projector.get_by_test_id("room-snapshot-caption-0").press("Enter")
    phone.wait_for_function(
        "() => document.querySelector('[data-testid=room-snapshot-caption-0]')?.value.startsWith('A loop')"
    )
    projector.get_by_test_id("room-snapshot-start").click()
    for tab in (projector, ana, bo):
        tab.get_by_test_id("room-snapshot-position").filter(has_text="Snapshot 1 of 2").wait_for()
        assert tab.get_by_test_id("room-snapshot-caption").inner_text() == "A loop: what does conv1 see here?"
        assert tab.get_by_test_id("room-snapshot-author").is_hidden(), "names are hidden by default"
    assert "Bo" not in ana.get_by_test_id("room-snapshot").inner_text()
    viewport_shot(bo, screenshot_dir, "teacher-console-snapshot-phone-390x844")
    viewport_shot(projector, screenshot_dir, "teacher-console-snapshot-projector-1920x1080")
    projector.set_viewport_size({"width": 1280, "height": 720})
    viewport_shot(projector, screenshot_dir, "teacher-console-snapshot-projector-1280x720")
    box = projector.get_by_test_id("room").bounding_box()
    assert box["y"] + box["height"] <= 720, "the snapshot and its controls fit a 720p projector"
    projector.set_viewport_size(PROJECTOR)
    projector.get_by_test_id("room-snapshot-next").click()
    for tab in (ana, bo):
        tab.get_by_test_id("room-snapshot-position").filter(has_text="Snapshot 2 of 2").wait_for()
        assert tab.get_by_test_id("room-snapshot-caption").is_hidden()  # no caption for this one
        assert tab.get_by_test_id("room-snapshot-author").is_hidden()
    tap(phone, "room-expand")
    phone.get_by_test_id("room-snapshot-names").tap()  # the teacher shows names from the phone
    ana.get_by_test_id("room-snapshot-author").filter(has_text="by Ana").wait_for()
    projector.get_by_test_id("room-snapshot-stop").click()
    for tab in (ana, bo):
        tab.get_by_test_id("room-snapshot").wait_for(state="hidden")
    for name, (_, errors) in people.items():
        assert errors == [], name
