"""Where rooms live and how their broadcasts travel: the RoomStore interface and its in-process implementation.

A room is a JSON-able dict (its code, the digest of the teacher's secret, what the teacher shows, the open
question, ...) plus its gallery of submissions and the answers to each question. Every change a member should
see is published as an event; each connection listens to its room's events and queues them in its own outbox.

SqliteStore (sqlite_store.py, the default) keeps rooms in a SQLite file, so a restart of the server keeps them;
MemoryStore keeps them in this process's memory only (tests, or by choice); RedisStore (redis_store.py) keeps them
in Redis so several processes and machines share rooms. Each forgets a room `idle_s` seconds after its last touch,
and remembers for a day that the code existed, so a late student hears "expired", not "wrong code". A store whose
server or file does not answer raises StoreUnavailable, which members hear as `unavailable` (REST: 503).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

logger = logging.getLogger(__name__)
Listener = Callable[[dict, str], None]  # gets each event of a room and its message as JSON text; must not block
Stop = Callable[[], Awaitable[None]]
REMEMBER_S = 86_400.0  # how long an expired room's code is still known as "expired"
ONLINE_S = 90.0  # a connection not heard of for this long no longer counts as online (see heartbeat_s)


class StoreUnavailable(Exception):
    """The room store does not answer (Redis stopped, the SQLite file unwritable): try again in a moment."""


class Outage:
    """Whether a store answers: the first failure of an outage is logged once, and its end once."""

    def __init__(self, backend: str) -> None:
        self.backend, self.down = backend, False

    def failed(self, exc: BaseException) -> StoreUnavailable:
        """The exception to raise for a failure to reach the store; logs the start of an outage."""
        if not self.down:
            self.down = True
            logger.error("rooms_store_unavailable backend=%s error=%s", self.backend, exc)
        return StoreUnavailable(
            f"the classroom rooms cannot be reached right now ({self.backend} does not answer); try again in a moment"
        )

    def answered(self) -> None:
        """The store answered: logs the end of an outage."""
        if self.down:
            self.down = False
            logger.warning("rooms_store_recovered backend=%s", self.backend)


class RoomStore(Protocol):
    """The room state and broadcasts every process of the server shares."""

    async def create(self, code: str, room: dict) -> bool:
        """Open a room under a new code; False when the code is taken."""

    async def room(self, code: str) -> dict | None:
        """The room's fields, or None when there is no open room with this code."""

    async def known(self, code: str) -> bool:
        """Whether a room with this code is open or was open within a day."""

    async def count(self) -> int:
        """Rooms open now."""

    async def update(self, code: str, fields: dict) -> None:
        """Change some of the room's fields (and touch it)."""

    async def touch(self, code: str) -> None:
        """Keep the room from expiring for another idle period."""

    async def delete(self, code: str) -> None:
        """Close the room now: its state and gallery are gone."""

    async def add_submission(self, code: str, submission: dict) -> int:
        """Keep a drawing in the room's gallery; returns its id (1, 2, ... per room)."""

    async def submissions(self, code: str) -> list[dict]:
        """The gallery, oldest first."""

    async def submission(self, code: str, sid: int) -> dict | None:
        """One submission, or None when there is none with this id."""

    async def gallery_size(self, code: str) -> int:
        """How many submissions the gallery holds."""

    async def update_submission(self, code: str, sid: int, fields: dict) -> dict | None:
        """Change a submission (its tag); the new submission, or None when there is none with this id."""

    async def answer(self, code: str, question: int, member: str, value: str) -> dict[str, str]:
        """Record a member's answer (replacing theirs); every answer to this question so far, by member."""

    async def answers(self, code: str, question: int) -> dict[str, str]:
        """Every answer to this question, by member."""

    async def online(self, code: str, connection: str, here: bool) -> int:
        """Mark a student's connection as here (again) or gone; how many students are connected now."""

    async def students(self, code: str) -> int:
        """How many students are connected now."""

    async def publish(self, code: str, event: dict) -> None:
        """Send an event to every listener of the room, in every process."""

    async def listen(self, code: str, listener: Listener) -> Stop:
        """Call listener with each event of the room from now on, until the returned coroutine is awaited."""

    async def reachable(self) -> bool:
        """Whether the store answers now (for /healthz); never raises."""

    async def close(self) -> None:
        """Release connections and tasks."""


def deliver(listeners: Iterable[Listener], event: dict) -> None:
    """Hand an event to a room's listeners in this process, its message serialised once for all of them."""
    text = json.dumps(event["message"])
    for listener in list(listeners):
        listener(event, text)


class LocalEvents:
    """The listeners of each room in this process, for the stores whose rooms one process serves (memory, SQLite)."""

    def __init__(self) -> None:
        self.listeners: dict[str, set[Listener]] = {}

    async def publish(self, code: str, event: dict) -> None:
        """Hand the event to the room's listeners now."""
        deliver(self.listeners.get(code, ()), event)
        await asyncio.sleep(0)

    async def listen(self, code: str, listener: Listener) -> Stop:
        """Add a listener to the room; the returned coroutine removes it."""
        self.listeners.setdefault(code, set()).add(listener)

        async def stop() -> None:
            group = self.listeners.get(code, set())
            group.discard(listener)
            if not group:
                self.listeners.pop(code, None)

        return stop


@dataclass
class MemoryRoom:
    """One room in this process."""

    fields: dict
    touched: float
    gallery: dict[int, dict] = field(default_factory=dict)
    answers: dict[int, dict[str, str]] = field(default_factory=dict)
    online: dict[str, float] = field(default_factory=dict)


class MemoryStore:
    """Rooms in this process's memory only (BACKPROP_LAB_ROOMS=memory): a restart forgets them."""

    def __init__(self, idle_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_s, self.clock = idle_s, clock
        self.rooms: dict[str, MemoryRoom] = {}
        self.gone: dict[str, float] = {}  # code -> when it expired
        self.events = LocalEvents()

    def open_room(self, code: str) -> MemoryRoom | None:
        """The room if it is open; an expired one is dropped (and its code remembered) on the way."""
        room = self.rooms.get(code)
        if room is not None and self.clock() - room.touched > self.idle_s:
            self.expire(code)
            return None
        return room

    def expire(self, code: str) -> None:
        del self.rooms[code]
        self.gone[code] = self.clock()

    def sweep(self) -> None:
        """Drop expired rooms and forget old codes, so memory follows the rooms in use."""
        now = self.clock()
        for code in [code for code, room in self.rooms.items() if now - room.touched > self.idle_s]:
            self.expire(code)
        for code in [code for code, when in self.gone.items() if now - when > REMEMBER_S]:
            del self.gone[code]

    async def create(self, code: str, room: dict) -> bool:
        self.sweep()
        if code in self.rooms or code in self.gone:
            return False
        self.rooms[code] = MemoryRoom(dict(room), self.clock())
        return True

    async def room(self, code: str) -> dict | None:
        room = self.open_room(code)
        return None if room is None else dict(room.fields)

    async def known(self, code: str) -> bool:
        return self.open_room(code) is not None or code in self.gone

    async def count(self) -> int:
        self.sweep()
        return len(self.rooms)

    async def update(self, code: str, fields: dict) -> None:
        if room := self.open_room(code):
            room.fields.update(fields)
            room.touched = self.clock()

    async def touch(self, code: str) -> None:
        if room := self.open_room(code):
            room.touched = self.clock()

    async def delete(self, code: str) -> None:
        if self.rooms.pop(code, None) is not None:
            self.gone[code] = self.clock()

    async def add_submission(self, code: str, submission: dict) -> int:
        room = self.open_room(code)
        if room is None:
            raise KeyError(code)
        sid = len(room.gallery) + 1
        room.gallery[sid] = {**submission, "id": sid}
        room.touched = self.clock()
        return sid

    async def submissions(self, code: str) -> list[dict]:
        room = self.open_room(code)
        return [] if room is None else [dict(item) for item in room.gallery.values()]

    async def submission(self, code: str, sid: int) -> dict | None:
        room = self.open_room(code)
        item = None if room is None else room.gallery.get(sid)
        return None if item is None else dict(item)

    async def gallery_size(self, code: str) -> int:
        room = self.open_room(code)
        return 0 if room is None else len(room.gallery)

    async def update_submission(self, code: str, sid: int, fields: dict) -> dict | None:
        room = self.open_room(code)
        if room is None or sid not in room.gallery:
            return None
        room.gallery[sid].update(fields)
        return dict(room.gallery[sid])

    async def answer(self, code: str, question: int, member: str, value: str) -> dict[str, str]:
        room = self.open_room(code)
        if room is None:
            return {}
        answers = room.answers.setdefault(question, {})
        answers[member] = value
        return dict(answers)

    async def answers(self, code: str, question: int) -> dict[str, str]:
        room = self.open_room(code)
        return {} if room is None else dict(room.answers.get(question, {}))

    async def online(self, code: str, connection: str, here: bool) -> int:
        room = self.open_room(code)
        if room is None:
            return 0
        if here:
            room.online[connection] = self.clock()
        else:
            room.online.pop(connection, None)
        return len(room.online)

    async def students(self, code: str) -> int:
        room = self.open_room(code)
        return 0 if room is None else len(room.online)

    async def publish(self, code: str, event: dict) -> None:
        await self.events.publish(code, event)

    async def listen(self, code: str, listener: Listener) -> Stop:
        return await self.events.listen(code, listener)

    async def reachable(self) -> bool:
        return True

    async def close(self) -> None:
        self.events.listeners.clear()
