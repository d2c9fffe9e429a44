"""Redis away under a server with a class on /lenet, in Chromium: LeNet still reads the student's drawing; a student
who reloads the page while the rooms' store does not answer is told so, keeps the room and joins again by itself,
as the same member, once Redis is back (its append-only file kept the room)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import free_port
from tests.e2e.test_lenet_room import MEMBERSHIP, Person, draw_one, open_room, prediction
from tests.redis_server import RedisServer

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

REJOIN_MS = 30_000  # a refused join is sent again every 5 s


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, with its append-only file, which the test stops and starts again."""
    server = RedisServer(free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def membership(tab: Page) -> dict | None:
    """The room membership the tab keeps in its sessionStorage."""
    stored = tab.evaluate(f"() => sessionStorage.getItem({json.dumps(MEMBERSHIP)})")
    return None if stored is None else json.loads(stored)


def test_a_student_reloading_during_a_redis_outage_keeps_the_room_and_rejoins(
    new_person: Person, start_server: Callable[..., AbstractContextManager[str]], redis_server: RedisServer
) -> None:
    with start_server({"BACKPROP_LAB_REDIS_URL": redis_server.url}) as base_url:
        _, student, _ = open_room(new_person, base_url)
        before = membership(student)
        assert before is not None and before["member"]
        redis_server.stop()

        draw_one(student)
        assert prediction(student) == "1"  # the LeNet page does not need the rooms' store
        student.reload()
        notice = student.get_by_test_id("room-notice-text")
        notice.filter(has_text="Trying again by itself").wait_for(timeout=REJOIN_MS)
        assert "cannot be reached right now" in notice.inner_text()
        assert membership(student) == before  # still in the room

        redis_server.start()
        student.get_by_test_id("room-notice").wait_for(state="hidden", timeout=REJOIN_MS)  # joined: notice gone
        assert student.get_by_test_id("room-bar-state").get_attribute("data-state") == "ready"
        assert membership(student)["member"] == before["member"]  # the same member, not a new one
