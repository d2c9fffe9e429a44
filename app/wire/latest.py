"""Latest wins: what waits on one connection, at most one item per key, so a slow side gets the newest state.

Both directions use it: the websocket loop's inbox of requests (app/server/ws.py) and a room connection's outbox of
broadcasts (app/rooms/outbox.py). Putting never blocks and never queues without bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Item = TypeVar("Item")


class LatestWins(Generic[Key, Item]):
    """Items waiting under keys, oldest key first; an item put under a waiting key replaces it."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.waiting: dict[Key, Item] = {}
        self.arrived = asyncio.Event()

    @property
    def full(self) -> bool:
        """Whether as many items wait as the capacity."""
        return len(self.waiting) >= self.capacity

    def put(self, key: Key, item: Item) -> None:
        """Queue item under key, replacing a waiting item of the same key (its place moves to the end)."""
        self.waiting.pop(key, None)
        self.waiting[key] = item
        self.arrived.set()

    def first(self, key: Key, item: Item) -> None:
        """Queue item ahead of everything waiting."""
        self.waiting = {key: item, **self.waiting}
        self.arrived.set()

    async def wait(self) -> None:
        """Return once an item is waiting (without taking it)."""
        while not self.waiting:
            self.arrived.clear()
            await self.arrived.wait()

    def peek(self) -> tuple[Key, Item]:
        """The oldest waiting item and its key, left waiting; call after wait()."""
        key = next(iter(self.waiting))
        return key, self.waiting[key]

    def take_now(self) -> tuple[Key, Item]:
        """The oldest waiting item and its key; call after wait()."""
        key = next(iter(self.waiting))
        return key, self.waiting.pop(key)

    async def take(self) -> tuple[Key, Item]:
        """The oldest waiting item and its key, waiting for one if needed."""
        await self.wait()
        return self.take_now()
