"""Fair shares of time by client address, where slots and message rates do not bound what one address can take.

Two kinds of time are shared this way:

- The event loop's reading. Every websocket frame costs the loop time before any compute slot sees it: uvicorn and
  websockets read, unmask and copy its bytes, then the app parses and validates it (app/server/ws.py). The
  message rate limit is per socket, and one address may hold hundreds of sockets (a class behind one NAT
  address), so a client sending the largest frames on all of them kept the loop busy reading them while other
  students' drawings waited seconds to be read at all (benchmarks/soak.py --attacker). A frame of an address over
  its share waits before it is parsed; meanwhile uvicorn does not read its socket (it reads one message ahead of
  the app only), so the client's TCP window fills and the flood stays in its own kernel buffers. Opening a
  connection counts too: one from an address over its share is not read, not even its request head, until the
  address is back within it (app/server/uvicorn_ws.py, HeadDeadlineProtocol).
- The compute threads' time. They share one GIL with the event loop, so an address whose jobs kept one thread busy
  (its lessons, large uploads) slowed every other job and every socket, even with a slot always kept for others.
  An address over its share gets no slot until it is back within it (app/server/fair.py).

Each address's time is counted as a decaying sum: the seconds it used per second, averaged over about TAU_S. Its
share is `share` split evenly among the addresses that used any lately, never less than `floor`; an address within
the floor never waits and costs one lookup. An address alone (a class behind one NAT address) never waits.
Used from the event loop only.
"""

from __future__ import annotations

import asyncio
import collections
import math
import time
from collections.abc import Callable
from typing import Any

TAU_S = 1.0  # the time over which an address's use is averaged
MAX_WAIT_S = 1.0  # longest single wait before an address looks again
FRAME_S = 20e-6  # estimated loop time uvicorn and websockets spend on a frame, besides its bytes
BYTE_S = 1e-9  # estimated loop time per byte of a frame: reading, unmasking, parsing (websockets: 0.3-0.8 ns here)
TEXT_S = 30e-9  # estimated time to parse a character of a JSON text frame full of numbers (29 ns here)
OPEN_S = 1e-3  # estimated loop time to open a connection, a websocket's included: handshake, route, accept, hello
# (0.8 ms here)
MAX_ADDRESSES = 4096  # beyond this many remembered addresses, the quiet ones are forgotten
LATELY_S = 2 * TAU_S  # an address that used time this recently counts among those sharing it
RECOUNT_S = 0.1  # the users are counted again at most this often (a flood's sockets ask many times a second)


def frame_cost(size: int, text: int) -> float:
    """Loop seconds a frame of `size` bytes, `text` of them JSON text, is estimated to cost before it is parsed:
    the server's work on its bytes and the parsing of its text (charged on arrival, so that a burst from a flood's
    many sockets counts before any of it is parsed; the measured parsing then replaces the text's estimate)."""
    return FRAME_S + size * BYTE_S + text * TEXT_S


class TimeShare:
    """Time used by client address, and how long an address over its share waits."""

    def __init__(self, share: float, floor: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.share, self.floor, self.clock = share, floor, clock
        self.spent: dict[str, tuple[float, float]] = {}  # address -> (decayed seconds used, when updated)
        self.counted = (-math.inf, 1)  # when the users were last counted, and how many there were
        self.queues: dict[str, collections.deque[asyncio.Future[bool]]] = {}  # address -> its frames waiting for
        # their turns, oldest first; an address is here while it has any, with exactly one look (serve) due

    @staticmethod
    def reading(state: Any) -> TimeShare:
        """The app's share of the event loop's reading of frames, made on first use from its settings."""
        share: TimeShare | None = getattr(state, "read_share", None)
        if share is None:
            settings = state.settings
            share = state.read_share = TimeShare(settings.read_loop_share, settings.read_loop_floor)
        return share

    @staticmethod
    def computing(state: Any) -> TimeShare:
        """The app's share of the compute threads' time (in thread-seconds a second: the settings' fractions of all
        the threads), made on first use from its settings."""
        share: TimeShare | None = getattr(state, "compute_time_share", None)
        if share is None:
            settings = state.settings
            threads = settings.compute_threads
            share = TimeShare(settings.compute_share * threads, settings.compute_floor * threads)
            state.compute_time_share = share
        return share

    def rate(self, address: str, now: float) -> float:
        """Seconds per second the address has used lately."""
        value, stamp = self.spent.get(address, (0.0, now))
        return value * math.exp(-(now - stamp) / TAU_S) / TAU_S

    def charge(self, address: str, seconds: float) -> None:
        """Count `seconds` used by address (negative: an estimate charged before was too high)."""
        now = self.clock()
        self.spent[address] = (max(self.rate(address, now) * TAU_S + seconds, 0.0), now)
        if len(self.spent) > MAX_ADDRESSES:
            self.users(now)

    def wait(self, address: str) -> float:
        """Seconds the address should wait before it uses more: 0 within its share, else until its rate has
        decayed to the share (at most MAX_WAIT_S)."""
        now = self.clock()
        mine = self.rate(address, now)
        if mine <= self.floor:
            return 0.0
        if now - self.counted[0] > RECOUNT_S:
            self.counted = (now, self.users(now))
        if self.counted[1] <= 1:  # no other address to be fair to (a long job charged at once is no reason to wait)
            return 0.0
        share = max(self.floor, self.share / self.counted[1])
        return 0.0 if mine <= share else min(TAU_S * math.log(mine / share), MAX_WAIT_S)

    async def take_turn(self, address: str, gone: asyncio.Future[None] | None = None) -> bool:
        """Wait until the address is within its share: True; False as soon as `gone` is done while it waits (its
        client has left: what it sent needs no turn, and the departed address's other sockets waiting behind it
        need not each wait for one to learn they are gone). An address's waiting frames take their turns one at a
        time, oldest first, each when the address is back within its share: one timer per address, however many
        of its sockets wait (a flood's hundreds of sockets each looking again on a timer of its own cost the loop
        more than the reading they waited for)."""
        turn = self.turn(address)
        if turn is None:
            return True

        def left(_: object) -> None:
            if not turn.done():
                turn.set_result(False)

        if gone is not None:
            gone.add_done_callback(left)
        try:
            return await turn
        finally:
            if gone is not None:
                gone.remove_done_callback(left)

    def turn(self, address: str) -> asyncio.Future[bool] | None:
        """None when the address is within its share and nothing of its waits; else its place in the address's
        queue: a future set to True at its turn (cancel it to give the place up)."""
        if address not in self.queues and self.wait(address) <= 0:
            return None
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[bool] = loop.create_future()
        queue = self.queues.get(address)
        if queue is None:  # the address's looks begin (each look sets the next, until its queue is empty)
            queue = self.queues[address] = collections.deque()
            loop.call_soon(self.serve, address)
        queue.append(turn)
        return turn

    def serve(self, address: str) -> None:
        """Give the oldest frame waiting for address its turn if the address is within its share now (the next one
        is looked at once that frame has been read and charged), else look again when it will be."""
        queue = self.queues[address]
        while queue and queue[0].done():  # its client left, or its task was cancelled
            queue.popleft()
        if not queue:
            del self.queues[address]
            return
        loop = asyncio.get_running_loop()
        if (pause := self.wait(address)) > 0:
            loop.call_later(pause, self.serve, address)
            return
        queue.popleft().set_result(True)
        loop.call_soon(self.serve, address)  # runs after the one just woken has charged what it costs

    def users(self, now: float) -> int:
        """Addresses that used time within LATELY_S, however little; the others are forgotten."""
        quiet = [address for address, (_, stamp) in self.spent.items() if now - stamp > LATELY_S]
        for address in quiet:
            del self.spent[address]
        return max(len(self.spent), 1)
