"""Each connection's own queue of room broadcasts, so a broadcast never waits on its slowest student.

Putting never blocks: an event that describes "the state now" (what the teacher shows, the open question, the
answer counts, ...) replaces the one of the same key still waiting, so a slow reader gets the newest state,
not a backlog. Events that each matter (a gallery submission) have keys of their own; an outbox that still
overflows marks itself lost, and the connection is closed so its client reconnects and rejoins with the state.
"""

from __future__ import annotations

import asyncio


class Outbox:
    """Latest-wins events waiting to be sent to one connection, oldest key first."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.waiting: dict[str, str] = {}
        self.arrived = asyncio.Event()
        self.lost = False

    def put(self, key: str, event: str) -> None:
        """Queue event under key, replacing a waiting event of the same key (its place moves to the end)."""
        self.waiting.pop(key, None)
        if len(self.waiting) >= self.capacity:
            self.lost = True
        self.waiting[key] = event
        self.arrived.set()

    def first(self, key: str, event: str) -> None:
        """Queue event ahead of everything waiting (the joined message, before the events that follow it)."""
        self.waiting = {key: event, **self.waiting}
        self.arrived.set()

    async def take(self) -> tuple[str, str]:
        """The oldest waiting event and its key, waiting for one if needed."""
        while not self.waiting:
            self.arrived.clear()
            await self.arrived.wait()
        key = next(iter(self.waiting))
        return key, self.waiting.pop(key)
