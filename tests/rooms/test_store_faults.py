"""Faults must not lose a class's work: the SQLite store keeps rooms, galleries, answers and gone codes when it is
closed and opened again (a restart) or its process is killed (a crash), and a file it cannot use is StoreUnavailable;
Redis stopped makes every call StoreUnavailable (logged once, its recovery once) and the store recovers by itself
when Redis is back."""

from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.rooms.codes import new_code
from app.rooms.redis_store import RedisStore
from app.rooms.sqlite_store import SqliteStore
from app.rooms.store import StoreUnavailable
from tests.conftest import REPO_ROOT, free_port
from tests.redis_server import RedisServer
from tests.rooms.conftest import in_own_loop


async def opened(path: Path, idle_s: float = 60.0, clock=time.time) -> SqliteStore:
    store = SqliteStore(path, idle_s, clock)
    await store.start()
    return store


@in_own_loop
async def test_a_reopened_sqlite_store_keeps_rooms_galleries_answers_and_gone_codes(tmp_path: Path) -> None:
    path = tmp_path / "folder" / "rooms.sqlite3"  # the folder is created
    store = await opened(path)
    code, ended = new_code(), new_code()
    await store.create(code, {"teacher": "t", "view": {"page": "/lenet"}})
    await store.create(ended, {"teacher": "t"})
    await store.delete(ended)
    await store.add_submission(code, {"member": "m1", "tag": 3})
    await store.add_submission(code, {"member": "m2", "tag": None})
    await store.update_submission(code, 2, {"tag": 7})
    await store.answer(code, 1, "m1", "4")
    assert await store.online(code, "c1", True) == 1
    await store.close()
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700  # students' names and drawings: the user's alone

    store = await opened(path)
    try:
        assert await store.room(code) == {"teacher": "t", "view": {"page": "/lenet"}}
        assert [(item["id"], item["member"], item["tag"]) for item in await store.submissions(code)] == [
            (1, "m1", 3),
            (2, "m2", 7),
        ]
        assert await store.answers(code, 1) == {"m1": "4"}
        assert await store.students(code) == 0  # nobody is connected to a server that just started
        assert await store.add_submission(code, {"member": "m3"}) == 3  # ids go on, never reused
        assert await store.room(ended) is None and await store.known(ended)
        assert not await store.create(ended, {"teacher": "again"})
        assert await store.count() == 1
    finally:
        await store.close()


# A server process that writes a room and a drawing, says so, and waits to be killed.
CRASHING_SERVER = """
import asyncio, sys
from pathlib import Path
from app.rooms.sqlite_store import SqliteStore

async def main():
    store = SqliteStore(Path(sys.argv[1]), 3600.0)
    await store.start()
    await store.create(sys.argv[2], {"teacher": "t"})
    await store.add_submission(sys.argv[2], {"member": "m", "tag": 4})
    await store.answer(sys.argv[2], 1, "m", "4")
    print("written", flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


@in_own_loop
async def test_a_crash_loses_nothing_the_sqlite_store_wrote(tmp_path: Path) -> None:
    path, code = tmp_path / "rooms.sqlite3", new_code()
    server = subprocess.Popen(
        [sys.executable, "-c", CRASHING_SERVER, str(path), code], stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "written"
    finally:
        server.send_signal(signal.SIGKILL)  # no close, no checkpoint: a crash
        server.wait(timeout=10)
    store = await opened(path)
    try:
        assert await store.room(code) == {"teacher": "t"}
        assert [item["tag"] for item in await store.submissions(code)] == [4]
        assert await store.answers(code, 1) == {"m": "4"}
    finally:
        await store.close()


@in_own_loop
async def test_sqlite_rooms_expire_by_the_wall_clock_across_a_restart(tmp_path: Path) -> None:
    now = [1_000_000.0]
    store = await opened(tmp_path / "rooms.sqlite3", idle_s=60.0, clock=lambda: now[0])
    code = new_code()
    await store.create(code, {"teacher": "t"})
    await store.add_submission(code, {"member": "m"})
    await store.close()
    now[0] += 61.0  # the server was down longer than the idle time
    store = await opened(tmp_path / "rooms.sqlite3", idle_s=60.0, clock=lambda: now[0])
    try:
        assert await store.room(code) is None and await store.known(code)
        assert await store.gallery_size(code) == 0
        now[0] += 86_401.0  # a day later the code is forgotten
        assert await store.count() == 0 and not await store.known(code)
    finally:
        await store.close()


@in_own_loop
async def test_a_database_file_that_fails_is_unavailable_and_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = await opened(tmp_path / "rooms.sqlite3")
    code = new_code()
    await store.create(code, {"teacher": "t"})

    def failing(db: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    try:
        with caplog.at_level(logging.INFO, logger="app.rooms.store"):
            for _ in range(3):
                with pytest.raises(StoreUnavailable, match="try again in a moment"):
                    await store.run(failing)
            assert await store.room(code) == {"teacher": "t"}
        assert [record.message.split()[0] for record in caplog.records] == [
            "rooms_store_unavailable",
            "rooms_store_recovered",
        ]
    finally:
        await store.close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may stop and start again."""
    server = RedisServer(free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@in_own_loop
async def test_redis_stopped_is_unavailable_logged_once_and_recovers_by_itself(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    store = RedisStore(redis_server.url, 60.0)
    await store.start()
    try:
        code = new_code()
        await store.create(code, {"teacher": "t"})
        await store.add_submission(code, {"member": "m"})
        got: list[str] = []
        await store.listen(code, lambda event, text: got.append(text))
        with caplog.at_level(logging.INFO, logger="app.rooms.store"):
            redis_server.stop()
            for call in (store.room(code), store.submissions(code), store.publish(code, {"message": {}})):
                with pytest.raises(StoreUnavailable):
                    await call
            assert not await store.reachable()
            await asyncio.sleep(2.5)  # the subscriber fails every second meanwhile
            redis_server.start()
            assert await store.reachable()
            assert await store.room(code) == {"teacher": "t"}  # the append-only file kept the room
            assert len(await store.submissions(code)) == 1
            deadline = time.monotonic() + 10
            while not got:  # the subscriber is back on the room's channel
                await store.publish(code, {"message": {"type": "view"}, "key": "view", "to": "all"})
                assert time.monotonic() < deadline, "events did not come back after Redis did"
                await asyncio.sleep(0.2)
        logged = [record.message.split()[0] for record in caplog.records if record.name == "app.rooms.store"]
        assert logged == ["rooms_store_unavailable", "rooms_store_recovered"]
        assert not [record for record in caplog.records if record.exc_info]  # no traceback for an outage
    finally:
        await store.close()
