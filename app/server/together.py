"""Quick requests of many websockets answered together, once per round of the event loop.

The loop's fair share (app/server/fair.py Shares.loop) grants up to `loop_batch` quick requests in one round; each
connection granted hands its request to the route's Together and waits. Once the round's handlers have run, one
call answers every request handed in (a class's drawings in one forward pass: app/services/lenet_together.py), and
each connection goes on with its own replies, or the exception its request raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from app.wire.protocol import Reply

C = TypeVar("C")
M = TypeVar("M")
Answer = Callable[[Sequence[tuple[C, M]]], list[list[Reply] | Exception]]


class Together(Generic[C, M]):
    """The requests handed in during one round of the event loop, answered together at the start of the next."""

    def __init__(self, answer: Answer[C, M]) -> None:
        self.answer = answer
        self.pending: list[tuple[C, M, asyncio.Future[list[Reply]]]] = []

    @staticmethod
    def of(state: Any, answer: Answer[C, M]) -> Together[C, M]:
        """The app's Together for this answer function (one per route), made on first use."""
        routes: dict[Answer[Any, Any], Together[Any, Any]] | None = getattr(state, "together", None)
        if routes is None:
            routes = state.together = {}
        if answer not in routes:
            routes[answer] = Together(answer)
        return routes[answer]

    async def handle(self, conversation: C, message: M) -> list[Reply]:
        """The replies to message, computed with the other requests handed in this round."""
        loop = asyncio.get_running_loop()
        if not self.pending:
            loop.call_soon(self.flush)
        reply = loop.create_future()
        self.pending.append((conversation, message, reply))
        return await reply

    def flush(self) -> None:
        """Answer every request handed in since the last flush; an exception of the call itself goes to them all."""
        pending, self.pending = self.pending, []
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
