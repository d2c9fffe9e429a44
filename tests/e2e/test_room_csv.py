"""What a student types reaches the teacher's spreadsheet as text: a name typed in Chromium's join form that a
spreadsheet would run as a formula is exported with a leading apostrophe."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.e2e.conftest import DESKTOP
from tests.e2e.test_lenet_room import Person, draw_one, member, prediction, send

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

FORMULA = '=HYPERLINK("//e.x","go")'  # names have at most 24 characters


def test_a_formula_typed_as_a_name_is_exported_as_text(new_person: Person, base_url: str) -> None:
    room = httpx.post(f"{base_url}/api/rooms").json()
    teacher, teacher_errors = member(
        new_person, {"code": room["code"], "key": room["key"], "name": "", "member": None}, DESKTOP
    )
    teacher.goto(f"{base_url}/lenet")
    teacher.get_by_test_id("room-gallery").wait_for()

    student: Page
    student, student_errors = new_person()
    student.goto(f"{base_url}/join/{room['code']}")
    student.get_by_test_id("room-join-name").fill(FORMULA)
    student.get_by_test_id("room-join").click()
    student.wait_for_url(f"{base_url}/lenet**")  # she follows her teacher, who is on /lenet
    student.get_by_test_id("room-submit").wait_for()
    draw_one(student)
    prediction(student)
    assert send(student, "1").startswith("Sent #")

    teacher.get_by_test_id("room-gallery-item").first.wait_for()
    with teacher.expect_download() as download:
        teacher.get_by_test_id("room-export-gallery").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("submissions.csv").decode())))
    assert [row["author"] for row in rows] == ["'" + FORMULA]
    assert teacher_errors == student_errors == []
