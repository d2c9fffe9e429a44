"""Fair shares of the compute threads: one client (many sockets, heavy requests) cannot delay another's answers.

Every NumPy job (a websocket request, one frame of a stream, an upload to POST /api/predict) asks FairShare for a
slot before it runs in a worker thread. A connection has at most one job in the pool, waiting or running. When a
slot frees, it goes to the client address served least recently, then within that address to the connection that
has waited longest: among addresses that always have work waiting this is round robin, and an address that has
had nothing waiting or running since its last job (a student between two strokes) is served before any that keeps
the pool busy. So a client with 400 sockets gets one address's share, not 400 connections' worth, and another
client's drawing waits at most for the jobs already running, never for a queue of the other client's.

Used from the event loop only (no locks): the counters change between awaits.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Any, TypeVar, TypeVarTuple

import anyio

T = TypeVar("T")
Args = TypeVarTuple("Args")


class FairShare:
    """The compute threads' slots handed out by client address (least recently served first), then by connection
    (longest waiting first); at most one job per connection."""

    @staticmethod
    def of(state: Any) -> FairShare:
        """The app's FairShare over its compute threads (app.state.compute), made on first use."""
        share: FairShare | None = getattr(state, "fair_share", None)
        if share is None:
            share = state.fair_share = FairShare(state.compute)
        return share

    def __init__(self, limiter: anyio.CapacityLimiter) -> None:
        self.limiter = limiter  # the threads themselves: shared with the rooms' classifications
        self.slots = int(limiter.total_tokens)
        self.busy = 0
        self.waiting: dict[str, dict[Hashable, asyncio.Future[None]]] = {}  # address -> connection -> its grant
        self.running: Counter[str] = Counter()  # address -> jobs running now
        self.holders: set[tuple[str, Hashable]] = set()  # (address, connection) of the running jobs
        self.served: dict[str, int] = {}  # address -> tick of its last grant, while it has work waiting or running
        self.tick = 0

    @asynccontextmanager
    async def slot(self, address: str, connection: Hashable) -> AsyncIterator[None]:
        """Hold one compute slot for the block, waiting for this connection's turn; RuntimeError if the connection
        already has a job waiting or running (its loop must finish one before asking again)."""
        await self.acquire(address, connection)
        try:
            yield
        finally:
            self.release(address, connection)

    async def run(self, address: str, connection: Hashable, function: Callable[[*Args], T], *args: *Args) -> T:
        """function(*args) in a worker thread once this connection's turn comes: the result (or its exception)."""
        async with self.slot(address, connection):
            return await anyio.to_thread.run_sync(function, *args, limiter=self.limiter)

    async def acquire(self, address: str, connection: Hashable) -> None:
        """Take a slot at once if one is free and no one waits, or wait for this connection's turn."""
        if (address, connection) in self.holders or connection in self.waiting.get(address, {}):
            raise RuntimeError("a connection may have one job in the compute pool at a time")
        if self.busy < self.slots and not self.waiting:
            self.grant(address, connection)
            return
        turn = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(address, {})[connection] = turn
        try:
            await turn
        except BaseException:  # cancelled (the client left): give up the place, or the slot granted meanwhile
            if turn.done() and not turn.cancelled():
                self.release(address, connection)
            else:
                self.withdraw(address, connection)
            raise

    def grant(self, address: str, connection: Hashable) -> None:
        """Give one slot to the connection and note when its address was served."""
        self.busy += 1
        self.tick += 1
        self.served[address] = self.tick
        self.running[address] += 1
        self.holders.add((address, connection))

    def release(self, address: str, connection: Hashable) -> None:
        """The connection's job is done: free its slot and hand the free slots to the next in turn."""
        self.busy -= 1
        self.holders.discard((address, connection))
        self.running[address] -= 1
        if not self.running[address]:
            del self.running[address]
        self.forget(address)
        while self.busy < self.slots and self.waiting:
            address, connection, turn = self.next_in_turn()
            if turn.cancelled():  # its task is cancelled and will withdraw when it runs: no slot for it
                continue
            self.grant(address, connection)
            turn.set_result(None)

    def next_in_turn(self) -> tuple[str, Hashable, asyncio.Future[None]]:
        """Take the first waiting job of the address served least recently (never-served or idle ones first)."""
        address = min(self.waiting, key=lambda waiting: self.served.get(waiting, 0))
        queue = self.waiting[address]
        connection = next(iter(queue))
        turn = queue.pop(connection)
        if not queue:
            del self.waiting[address]
        return address, connection, turn

    def withdraw(self, address: str, connection: Hashable) -> None:
        """Remove a waiting job that will not run."""
        queue = self.waiting.get(address, {})
        queue.pop(connection, None)
        if not queue:
            self.waiting.pop(address, None)
        self.forget(address)

    def forget(self, address: str) -> None:
        """Drop an address's last-served tick once it has nothing waiting or running, so it is served first when it
        asks again and the bookkeeping holds only active addresses."""
        if address not in self.running and address not in self.waiting:
            self.served.pop(address, None)
