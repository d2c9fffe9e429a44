"""RoomStore in a SQLite file (the default): a restart or a crash of the server keeps every room, its gallery and
its answers, so the teacher's link and the students' tabs reconnect into the same room.

Tables: `rooms` (code → the room's fields as JSON, its last touch in wall-clock seconds, and its last submission
id), `submissions` (code, id → JSON), `answers` (code, question, member → value) and `gone` (codes that closed or
expired, remembered for a day). One process serves a file's rooms: events go to this process's listeners, and who is
online is counted in memory (after a restart nobody is, until their tabs reconnect).

sqlite3 blocks, so every statement runs on the store's one thread, which owns the connection: the event loop never
waits on the disk, and the thread serialises the writes. The file is in WAL mode with synchronous=NORMAL: a commit
survives a crash of the server; a power cut may lose the last commits but never leaves the file inconsistent.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from app.rooms.store import REMEMBER_S, Listener, LocalEvents, Outage, Stop

T = TypeVar("T")
BUSY_TIMEOUT_MS = 5000  # how long a statement waits for another process's write lock (two servers on one file)
SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
    code TEXT PRIMARY KEY, fields TEXT NOT NULL, touched REAL NOT NULL, submitted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS submissions (
    code TEXT NOT NULL, id INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (code, id)
);
CREATE TABLE IF NOT EXISTS answers (
    code TEXT NOT NULL, question INTEGER NOT NULL, member TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (code, question, member)
);
CREATE TABLE IF NOT EXISTS gone (code TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS rooms_touched ON rooms (touched);
"""


def connect(path: Path) -> sqlite3.Connection:
    """Open (or create) the database file and its tables; autocommit, each write a transaction of its own. A folder
    it creates is the user's alone: the file holds students' names and drawings."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    return db


@contextmanager
def writing(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taking the file's write lock at once (so a read-then-write never deadlocks)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class SqliteStore:
    """Rooms in a SQLite file: the backend when BACKPROP_LAB_ROOMS is sqlite (the default)."""

    def __init__(self, path: Path, idle_s: float, clock: Callable[[], float] = time.time) -> None:
        self.path, self.idle_s, self.clock = path, idle_s, clock
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rooms-sqlite")
        self.db: sqlite3.Connection | None = None
        self.events = LocalEvents()
        self.here: dict[str, dict[str, float]] = {}  # code -> connection -> last heartbeat, in this process
        self.outage = Outage("sqlite")

    async def start(self) -> None:
        """Open the file and drop the rooms that expired while no server ran (a first write): a file that cannot be
        opened or written fails here, at start-up, not at the first room."""
        loop = asyncio.get_running_loop()
        self.db = await loop.run_in_executor(self.thread, connect, self.path)
        await loop.run_in_executor(self.thread, self.sweep, self.db)

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """work(db, *args) on the store's thread; a file that cannot be read or written is StoreUnavailable."""
        call = functools.partial(work, self.connection(), *args)
        try:
            result = await asyncio.get_running_loop().run_in_executor(self.thread, call)
        except sqlite3.OperationalError as exc:  # locked past the timeout, disk full, I/O error, file gone
            raise self.outage.failed(exc) from exc
        self.outage.answered()
        return result

    def connection(self) -> sqlite3.Connection:
        """The open database (start() opened it)."""
        if self.db is None:
            raise RuntimeError("SqliteStore.start() was not awaited")
        return self.db

    # ---- on the store's thread: do_<name> is RoomStore's <name> (store.py says what each does) ----

    def expire(self, db: sqlite3.Connection, codes: list[str], at: float) -> None:
        """Drop these rooms with their galleries and answers, and remember their codes as gone since `at`."""
        for code in codes:
            db.execute("DELETE FROM rooms WHERE code = ?", (code,))
            db.execute("DELETE FROM submissions WHERE code = ?", (code,))
            db.execute("DELETE FROM answers WHERE code = ?", (code,))
            db.execute("INSERT OR REPLACE INTO gone (code, at) VALUES (?, ?)", (code, at))
            self.here.pop(code, None)

    def sweep(self, db: sqlite3.Connection) -> None:
        """Drop expired rooms and forget codes gone for a day, so the file follows the rooms in use."""
        now = self.clock()
        with writing(db):
            idle = [code for (code,) in db.execute("SELECT code FROM rooms WHERE touched < ?", (now - self.idle_s,))]
            self.expire(db, idle, now)
            db.execute("DELETE FROM gone WHERE at < ?", (now - REMEMBER_S,))

    def open_fields(self, db: sqlite3.Connection, code: str) -> dict | None:
        """The room's fields if it is open; an expired one is dropped (and its code remembered) on the way."""
        if not self.is_open(db, code):
            return None
        (fields,) = db.execute("SELECT fields FROM rooms WHERE code = ?", (code,)).fetchone()
        return json.loads(fields)

    def is_open(self, db: sqlite3.Connection, code: str) -> bool:
        """Whether the room is open; an expired one is dropped (and its code remembered) on the way. Reads only the
        time of its last touch, not its fields (the teacher's view may be 32 KB of JSON)."""
        row = db.execute("SELECT touched FROM rooms WHERE code = ?", (code,)).fetchone()
        if row is None:
            return False
        if self.clock() - row[0] > self.idle_s:
            with writing(db):
                self.expire(db, [code], self.clock())
            return False
        return True

    def do_create(self, db: sqlite3.Connection, code: str, room: dict) -> bool:
        self.sweep(db)
        with writing(db):
            taken = db.execute(
                "SELECT 1 FROM rooms WHERE code = ? UNION ALL SELECT 1 FROM gone WHERE code = ?", (code, code)
            ).fetchone()
            if taken is not None:
                return False
            db.execute(
                "INSERT INTO rooms (code, fields, touched) VALUES (?, ?, ?)", (code, json.dumps(room), self.clock())
            )
        return True

    def do_known(self, db: sqlite3.Connection, code: str) -> bool:
        if self.is_open(db, code):
            return True
        return db.execute("SELECT 1 FROM gone WHERE code = ?", (code,)).fetchone() is not None

    def do_count(self, db: sqlite3.Connection) -> int:
        self.sweep(db)
        return db.execute("SELECT count(*) FROM rooms").fetchone()[0]

    def do_update(self, db: sqlite3.Connection, code: str, fields: dict) -> None:
        room = self.open_fields(db, code)
        if room is not None:
            with writing(db):
                db.execute(
                    "UPDATE rooms SET fields = ?, touched = ? WHERE code = ?",
                    (json.dumps({**room, **fields}), self.clock(), code),
                )

    def do_touch(self, db: sqlite3.Connection, code: str) -> None:
        if self.is_open(db, code):
            with writing(db):
                db.execute("UPDATE rooms SET touched = ? WHERE code = ?", (self.clock(), code))

    def do_delete(self, db: sqlite3.Connection, code: str) -> None:
        with writing(db):
            if db.execute("SELECT 1 FROM rooms WHERE code = ?", (code,)).fetchone() is not None:
                self.expire(db, [code], self.clock())

    def do_add_submission(self, db: sqlite3.Connection, code: str, submission: dict) -> int:
        if not self.is_open(db, code):
            raise KeyError(code)
        with writing(db):
            db.execute("UPDATE rooms SET submitted = submitted + 1, touched = ? WHERE code = ?", (self.clock(), code))
            (sid,) = db.execute("SELECT submitted FROM rooms WHERE code = ?", (code,)).fetchone()
            db.execute(
                "INSERT INTO submissions (code, id, body) VALUES (?, ?, ?)",
                (code, sid, json.dumps({**submission, "id": sid})),
            )
        return sid

    def do_submissions(self, db: sqlite3.Connection, code: str) -> list[dict]:
        if not self.is_open(db, code):
            return []
        rows = db.execute("SELECT body FROM submissions WHERE code = ? ORDER BY id", (code,))
        return [json.loads(body) for (body,) in rows]

    def do_submission(self, db: sqlite3.Connection, code: str, sid: int) -> dict | None:
        if not self.is_open(db, code):
            return None
        row = db.execute("SELECT body FROM submissions WHERE code = ? AND id = ?", (code, sid)).fetchone()
        return None if row is None else json.loads(row[0])

    def do_gallery_size(self, db: sqlite3.Connection, code: str) -> int:
        if not self.is_open(db, code):
            return 0
        return db.execute("SELECT count(*) FROM submissions WHERE code = ?", (code,)).fetchone()[0]

    def do_update_submission(self, db: sqlite3.Connection, code: str, sid: int, fields: dict) -> dict | None:
        found = self.do_submission(db, code, sid)
        if found is None:
            return None
        submission = {**found, **fields}
        with writing(db):
            db.execute("UPDATE submissions SET body = ? WHERE code = ? AND id = ?", (json.dumps(submission), code, sid))
        return submission

    def do_answer(self, db: sqlite3.Connection, code: str, question: int, member: str, value: str) -> dict[str, str]:
        if not self.is_open(db, code):
            return {}
        with writing(db):
            db.execute(
                "INSERT OR REPLACE INTO answers (code, question, member, value) VALUES (?, ?, ?, ?)",
                (code, question, member, value),
            )
            return self.answers_to(db, code, question)

    def do_answers(self, db: sqlite3.Connection, code: str, question: int) -> dict[str, str]:
        return self.answers_to(db, code, question) if self.is_open(db, code) else {}

    def answers_to(self, db: sqlite3.Connection, code: str, question: int) -> dict[str, str]:
        """Every answer to the question, by member, without checking the room is open."""
        rows = db.execute("SELECT member, value FROM answers WHERE code = ? AND question = ?", (code, question))
        return dict(rows.fetchall())

    def do_online(self, db: sqlite3.Connection, code: str, connection: str, here: bool) -> int:
        if not self.is_open(db, code):
            return 0
        connections = self.here.setdefault(code, {})
        if here:
            connections[connection] = self.clock()
        else:
            connections.pop(connection, None)
        return len(connections)

    def do_students(self, db: sqlite3.Connection, code: str) -> int:
        return len(self.here.get(code, {})) if self.is_open(db, code) else 0

    # ---- RoomStore ----

    async def create(self, code: str, room: dict) -> bool:
        return await self.run(self.do_create, code, room)

    async def room(self, code: str) -> dict | None:
        return await self.run(self.open_fields, code)

    async def known(self, code: str) -> bool:
        return await self.run(self.do_known, code)

    async def count(self) -> int:
        return await self.run(self.do_count)

    async def update(self, code: str, fields: dict) -> None:
        await self.run(self.do_update, code, fields)

    async def touch(self, code: str) -> None:
        await self.run(self.do_touch, code)

    async def delete(self, code: str) -> None:
        await self.run(self.do_delete, code)

    async def add_submission(self, code: str, submission: dict) -> int:
        return await self.run(self.do_add_submission, code, submission)

    async def submissions(self, code: str) -> list[dict]:
        return await self.run(self.do_submissions, code)

    async def submission(self, code: str, sid: int) -> dict | None:
        return await self.run(self.do_submission, code, sid)

    async def gallery_size(self, code: str) -> int:
        return await self.run(self.do_gallery_size, code)

    async def update_submission(self, code: str, sid: int, fields: dict) -> dict | None:
        return await self.run(self.do_update_submission, code, sid, fields)

    async def answer(self, code: str, question: int, member: str, value: str) -> dict[str, str]:
        return await self.run(self.do_answer, code, question, member, value)

    async def answers(self, code: str, question: int) -> dict[str, str]:
        return await self.run(self.do_answers, code, question)

    async def online(self, code: str, connection: str, here: bool) -> int:
        return await self.run(self.do_online, code, connection, here)

    async def students(self, code: str) -> int:
        return await self.run(self.do_students, code)

    async def publish(self, code: str, event: dict) -> None:
        await self.events.publish(code, event)

    async def listen(self, code: str, listener: Listener) -> Stop:
        return await self.events.listen(code, listener)

    async def reachable(self) -> bool:
        try:
            await self.run(lambda db: db.execute("SELECT count(*) FROM rooms").fetchone())
        except Exception:
            return False
        return True

    async def close(self) -> None:
        self.events.listeners.clear()
        if self.db is not None:
            await asyncio.get_running_loop().run_in_executor(self.thread, self.db.close)
            self.db = None
        self.thread.shutdown(wait=True)
