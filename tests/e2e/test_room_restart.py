"""A restart of the server loses no room, in Chromium: a teacher and a student on /lenet in a room, a drawing in the
gallery; the server stops and a new one starts on the same port and the same SQLite file; both tabs reconnect by
themselves into the same room, the gallery is still there, and the student goes on as the same member and name."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import free_port
from tests.e2e.test_lenet_room import Person, draw_one, open_room, send

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

RECONNECT_MS = 30_000  # the pages try again after 0.25, 0.5, 1, 2 and then every 5 s


def gallery_ids(teacher: Page) -> list[str]:
    return teacher.get_by_test_id("room-gallery-item").evaluate_all("tiles => tiles.map(t => t.dataset.id)")


def bar_state(tab: Page, state: str, timeout: float = RECONNECT_MS) -> None:
    """Until the room bar says the room socket is in this state (closed, ready, exploring...)."""
    tab.locator(f'[data-testid="room-bar-state"][data-state="{state}"]').wait_for(timeout=timeout)


def test_both_tabs_rejoin_the_same_room_after_a_restart(
    new_person: Person, start_server: Callable[..., AbstractContextManager[str]], tmp_path: Path
) -> None:
    port = free_port()
    env = {"BACKPROP_LAB_ROOMS_DB": str(tmp_path / "rooms.sqlite3")}
    with start_server(env, port=port) as base_url:
        teacher, student, _ = open_room(new_person, base_url)
        student.get_by_test_id("room-follow-toggle").click()  # the pad is the student's own, not the teacher's
        bar_state(student, "exploring")
        draw_one(student)
        assert send(student, "1").startswith("Sent #1:")
        teacher.get_by_test_id("room-gallery-item").first.wait_for()
        assert gallery_ids(teacher) == ["1"]
    for tab in (teacher, student):
        bar_state(tab, "closed")  # the server is gone

    with start_server(env, port=port):  # a new process on the same file: a crash or a restart
        bar_state(student, "exploring")
        bar_state(teacher, "ready")
        teacher.locator('[data-testid="room-gallery-item"][data-id="1"]').wait_for()  # the rejoined gallery
        # The student's tab rejoined as the same member: its next drawing is #2 of the same gallery, under the
        # same name (a new member would have been "Ana (2)").
        student.get_by_role("button", name="Clear").click()
        draw_one(student)
        assert send(student, "1").startswith("Sent #2:")
        teacher.locator('[data-testid="room-gallery-item"][data-id="2"]').wait_for()
        assert gallery_ids(teacher) == ["2", "1"]
        teacher.get_by_test_id("room-names").click()
        teacher.wait_for_function(
            "() => document.querySelector('[data-testid=room-names]')?.getAttribute('aria-pressed') === 'true'"
        )
        tiles = [teacher.get_by_test_id("room-gallery-item").nth(i).inner_text() for i in range(2)]
        assert all("Ana" in tile and "Ana (2)" not in tile for tile in tiles), tiles
