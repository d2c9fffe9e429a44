"""Both room stores, the in-process one and Redis, pass the same tests: state, gallery, answers, who is online,
expiry after the idle time, and events that reach listeners (on Redis, across two store instances, as two
server processes would be)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.rooms.codes import new_code
from app.rooms.redis_store import RedisStore
from app.rooms.store import MemoryStore, RoomStore
from tests.rooms.conftest import in_own_loop


async def make_store(url: str, idle_s: float = 60.0) -> RoomStore:
    if not url:
        return MemoryStore(idle_s)
    store = RedisStore(url, idle_s)
    await store.start()
    return store


@asynccontextmanager
async def opened(url: str) -> AsyncIterator[RoomStore]:
    """A started store of the backend, closed at the end of the block."""
    store = await make_store(url)
    try:
        yield store
    finally:
        await store.close()


def fresh_code() -> str:
    """A random code: no other test (or earlier run against the same Redis) used it."""
    return new_code()


@in_own_loop
async def test_a_room_is_created_once_read_and_updated(room_backend: str) -> None:
    async with opened(room_backend) as store:
        code = fresh_code()
        assert await store.create(code, {"teacher": "abc", "view": None, "asked": 0})
        assert not await store.create(code, {"teacher": "other"})
        assert await store.room(code) == {"teacher": "abc", "view": None, "asked": 0}
        await store.update(code, {"view": {"page": "/conv", "state": {"step": 3}}, "asked": 1})
        room = await store.room(code)
        assert (
            room["view"] == {"page": "/conv", "state": {"step": 3}} and room["asked"] == 1 and room["teacher"] == "abc"
        )
        assert await store.room("NOROOM") is None
        assert await store.known(code) and not await store.known("NOROOM")
        assert await store.count() >= 1


@in_own_loop
async def test_the_gallery_keeps_submissions_in_order_with_ids(room_backend: str) -> None:
    async with opened(room_backend) as store:
        code = fresh_code()
        await store.create(code, {"teacher": "t"})
        ids = [await store.add_submission(code, {"member": f"m{n}", "tag": n}) for n in range(3)]
        assert ids == [1, 2, 3]
        assert [item["tag"] for item in await store.submissions(code)] == [0, 1, 2]
        assert await store.gallery_size(code) == 3
        assert (await store.submission(code, 2))["member"] == "m1"
        assert (await store.update_submission(code, 2, {"tag": 7}))["tag"] == 7
        assert (await store.submission(code, 2))["tag"] == 7
        assert await store.submission(code, 9) is None and await store.update_submission(code, 9, {"tag": 1}) is None


@in_own_loop
async def test_answers_are_one_per_member_and_the_latest_counts(room_backend: str) -> None:
    async with opened(room_backend) as store:
        code = fresh_code()
        await store.create(code, {"teacher": "t"})
        await store.answer(code, 1, "ma", "3")
        await store.answer(code, 1, "mb", "5")
        assert await store.answer(code, 1, "ma", "5") == {"ma": "5", "mb": "5"}
        assert await store.answers(code, 2) == {}


@in_own_loop
async def test_students_online_are_counted_per_connection(room_backend: str) -> None:
    async with opened(room_backend) as store:
        code = fresh_code()
        await store.create(code, {"teacher": "t"})
        assert await store.online(code, "c1", True) == 1
        assert await store.online(code, "c2", True) == 2
        assert await store.online(code, "c1", True) == 2  # a heartbeat is not a new student
        assert await store.online(code, "c1", False) == 1


@in_own_loop
async def test_a_deleted_room_is_gone_but_its_code_is_still_known(room_backend: str) -> None:
    async with opened(room_backend) as store:
        code = fresh_code()
        await store.create(code, {"teacher": "t"})
        await store.add_submission(code, {"member": "m"})
        await store.delete(code)
        assert await store.room(code) is None and await store.submissions(code) == []
        assert await store.known(code)
        assert not await store.create(code, {"teacher": "again"})  # a code is never handed out twice in a day


@in_own_loop
async def test_rooms_expire_after_the_idle_time_and_touching_keeps_them(room_backend: str) -> None:
    store = await make_store(room_backend, idle_s=1.0)
    try:
        kept, left = fresh_code(), fresh_code()
        await store.create(kept, {"teacher": "t"})
        await store.create(left, {"teacher": "t"})
        for _ in range(4):
            await asyncio.sleep(0.5)
            await store.touch(kept)
        assert await store.room(kept) is not None
        assert await store.room(left) is None
        assert await store.known(left)  # "expired", not "wrong code"
    finally:
        await store.close()


@in_own_loop
async def test_events_reach_every_listener_of_the_room_only(room_backend: str) -> None:
    first, second = await make_store(room_backend), await make_store(room_backend)
    if not room_backend:
        second = first  # one process: one memory
    try:
        code, other = fresh_code(), fresh_code()
        await first.create(code, {"teacher": "t"})
        got_a, got_b, got_other = [], [], []
        stop_a = await first.listen(code, lambda event, text: got_a.append((event["key"], text)))
        stop_b = await second.listen(code, lambda event, text: got_b.append((event["key"], text)))
        stop_other = await second.listen(other, lambda event, text: got_other.append(text))
        await first.publish(code, {"message": {"type": "view", "n": 1}, "key": "view", "to": "all"})
        await until(lambda: got_a and got_b)
        assert got_a == got_b == [("view", '{"type": "view", "n": 1}')]
        await stop_b()
        await first.publish(code, {"message": {"type": "view", "n": 2}, "key": "view", "to": "all"})
        await until(lambda: len(got_a) == 2)
        await asyncio.sleep(0.1)
        assert len(got_b) == 1 and got_other == []
        await stop_a()
        await stop_other()
    finally:
        await first.close()
        if second is not first:
            await second.close()


async def until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)
