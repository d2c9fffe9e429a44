"""Every room store, in this process's memory, in a SQLite file and in Redis, passes the same tests: state, gallery,
answers, who is online, expiry after the idle time, and events that reach listeners (on Redis, across two store
instances, as two server processes would be)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.rooms.codes import new_code
from app.rooms.redis_store import RedisStore
from app.rooms.sqlite_store import SqliteStore
from app.rooms.store import MemoryStore, RoomStore
from tests.rooms.conftest import in_own_loop


@dataclass(frozen=True)
class Backend:
    """A kind of store and where it keeps rooms: memory, a SQLite file of the test's own, or the test run's Redis."""

    name: str
    redis_url: str = ""
    database: Path = Path()

    async def open(self, idle_s: float = 60.0) -> RoomStore:
        """A started store."""
        if self.name == "memory":
            return MemoryStore(idle_s)
        store = RedisStore(self.redis_url, idle_s) if self.name == "redis" else SqliteStore(self.database, idle_s)
        await store.start()
        return store

    @property
    def one_process(self) -> bool:
        """Whether events reach only this process's listeners (two stores are then one server's)."""
        return self.name != "redis"


@pytest.fixture(params=["memory", "sqlite", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else ""
    return Backend(request.param, url, tmp_path / "rooms.sqlite3")


@asynccontextmanager
async def opened(backend: Backend) -> AsyncIterator[RoomStore]:
    """A started store of the backend, closed at the end of the block."""
    store = await backend.open()
    try:
        yield store
    finally:
        await store.close()


def fresh_code() -> str:
    """A random code: no other test (or earlier run against the same Redis) used it."""
    return new_code()


@in_own_loop
async def test_a_room_is_created_once_read_and_updated(backend: Backend) -> None:
    async with opened(backend) as store:
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
async def test_the_gallery_keeps_submissions_in_order_with_ids(backend: Backend) -> None:
    async with opened(backend) as store:
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
async def test_answers_are_one_per_member_and_the_latest_counts(backend: Backend) -> None:
    async with opened(backend) as store:
        code = fresh_code()
        await store.create(code, {"teacher": "t"})
        await store.answer(code, 1, "ma", "3")
        await store.answer(code, 1, "mb", "5")
        assert await store.answer(code, 1, "ma", "5") == {"ma": "5", "mb": "5"}
        assert await store.answers(code, 2) == {}


@in_own_loop
async def test_students_online_are_counted_per_connection(backend: Backend) -> None:
    async with opened(backend) as store:
        code = fresh_code()
        await store.create(code, {"teacher": "t"})
        assert await store.online(code, "c1", True) == 1
        assert await store.online(code, "c2", True) == 2
        assert await store.online(code, "c1", True) == 2  # a heartbeat is not a new student
        assert await store.online(code, "c1", False) == 1


@in_own_loop
async def test_a_deleted_room_is_gone_but_its_code_is_still_known(backend: Backend) -> None:
    async with opened(backend) as store:
        code = fresh_code()
        await store.create(code, {"teacher": "t"})
        await store.add_submission(code, {"member": "m"})
        await store.delete(code)
        assert await store.room(code) is None and await store.submissions(code) == []
        assert await store.known(code)
        assert not await store.create(code, {"teacher": "again"})  # a code is never handed out twice in a day


@in_own_loop
async def test_rooms_expire_after_the_idle_time_and_touching_keeps_them(backend: Backend) -> None:
    store = await backend.open(idle_s=1.0)
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
async def test_events_reach_every_listener_of_the_room_only(backend: Backend) -> None:
    first = await backend.open()
    second = first if backend.one_process else await backend.open()
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


@in_own_loop
async def test_redis_listen_returns_once_redis_has_confirmed_the_subscription(redis_url: str) -> None:
    """A PUBLISH from another process that reaches Redis before it has processed the SUBSCRIBE is lost, so listen
    waits for the confirmation, which the store's reader hands on: with the reader stopped it does not return."""
    store = RedisStore(redis_url, 60.0)
    await store.start()
    try:
        assert store.reader is not None
        store.reader.cancel()
        listening = asyncio.create_task(store.listen(fresh_code(), lambda event, text: None))
        await asyncio.sleep(0.5)
        assert not listening.done()
        store.reader = asyncio.create_task(store.read_events())
        stop = await asyncio.wait_for(listening, 2.0)
        await stop()
    finally:
        await store.close()
