"""Quick requests of many websockets answered together, in batches of the event loop's rounds.

The loop's fair share (app/server/fair.py Shares.loop) grants up to `loop_batch` quick requests at a time; each
connection granted hands its request to the route's Together and waits. In the next round of the loop (while
requests keep coming, up to `loop_batch_wait_s` later, or once `loop_batch` are in), one call answers every request
handed in (a class's drawings in one forward pass: app/services/lenet_together.py), and each connection goes on
with its own replies, or the exception its request raised.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from app.wire.protocol import Reply

C = TypeVar("C")
M = TypeVar("M")
Answer = Callable[[Sequence[tuple[C, M]]], list[list[Reply] | Exception]]


class Together(Generic[C, M]):
    """The requests handed in during one round of the event loop, answered together at the start of the next; while
    requests keep coming (the last, another connection's, came less than `wait` seconds before), for up to `wait`
    seconds or until `size` are in: a loaded loop gathers several rounds' worth (at 1,050 drawings/s and 5 ms,
    batches of about 7), a lone request still goes at once, and so does a lone client's next one (it came right
    after its own answer: waiting for others made its round trip 4.2 ms instead of ~1)."""

    def __init__(self, answer: Answer[C, M], size: int = 1, wait: float = 0.0) -> None:
        self.answer, self.size, self.wait = answer, size, wait
        self.pending: list[tuple[C, M, asyncio.Future[list[Reply]]]] = []
        self.due: asyncio.Handle | None = None  # the flush to come
        self.timed = False  # whether it waits for the clock (cancelled once the batch is full) or the next round
        self.last = -math.inf  # when the last request was handed in (the loop's clock)
        self.last_from: object = None  # and whose it was

    @staticmethod
    def of(state: Any, answer: Answer[C, M]) -> Together[C, M]:
        """The app's Together for this answer function (one per route), made on first use with the settings'
        loop_batch and loop_batch_wait_s."""
        routes: dict[Answer[Any, Any], Together[Any, Any]] | None = getattr(state, "together", None)
        if routes is None:
            routes = state.together = {}
        if answer not in routes:
            routes[answer] = Together(answer, state.settings.loop_batch, state.settings.loop_batch_wait_s)
        return routes[answer]

    async def handle(self, conversation: C, message: M) -> list[Reply]:
        """The replies to message, computed with the other requests handed in meanwhile."""
        loop = asyncio.get_running_loop()
        reply = loop.create_future()
        self.pending.append((conversation, message, reply))
        now = loop.time()
        busy = now - self.last < self.wait and conversation is not self.last_from  # one's own last request
        self.last, self.last_from = now, conversation  # is answered already: alone, it has nobody to wait for
        if self.due is not None and self.timed and len(self.pending) >= self.size:
            self.due.cancel()  # full: no reason to wait longer
            self.due = None
        if self.due is None:
            self.timed = busy and len(self.pending) < self.size
            self.due = loop.call_later(self.wait, self.flush) if self.timed else loop.call_soon(self.flush)
        return await reply

    def flush(self) -> None:
        """Answer every request handed in since the last flush; an exception of the call itself goes to them all."""
        pending, self.pending, self.due = self.pending, [], None
        try:
            results = self.answer([(conversation, message) for conversation, message, _ in pending])
        except Exception as exc:
            results = [exc] * len(pending)
        for (_, _, reply), result in zip(pending, results, strict=True):
            if reply.cancelled():  # its connection left meanwhile
                continue
            if isinstance(result, Exception):
                reply.set_exception(result)
            else:
                reply.set_result(result)
