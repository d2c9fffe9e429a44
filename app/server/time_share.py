"""Fair shares of time by client address, where slots and message rates do not bound what one address can take.

Two kinds of time are shared this way:

- The event loop's reading. Every websocket frame costs the loop time before any compute slot sees it: uvicorn and
  websockets read, unmask and copy its bytes, then the app parses and validates it (app/server/ws.py). The
  message rate limit is per socket, and one address may hold hundreds of sockets (a class behind one NAT
  address), so a client sending the largest frames on all of them kept the loop busy reading them while other
  students' drawings waited seconds to be read at all (benchmarks/soak.py --attacker). A frame of an address over
  its share waits before it is parsed; meanwhile uvicorn does not read its socket (it reads one message ahead of
  the app only), so the client's TCP window fills and the flood stays in its own kernel buffers. Opening a socket
  counts too: one of an address over its share is accepted only once it is back within it.
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
import contextlib
import math
import time
from collections.abc import Callable
from typing import Any

TAU_S = 1.0  # the time over which an address's use is averaged
MAX_WAIT_S = 1.0  # longest single wait before an address looks again
FRAME_S = 20e-6  # estimated loop time uvicorn and websockets spend on a frame, besides its bytes
BYTE_S = 1e-9  # estimated loop time per byte of a frame: reading, unmasking, parsing (websockets: 0.3-0.8 ns here)
TEXT_S = 30e-9  # estimated time to parse a character of a JSON text frame full of numbers (29 ns here)
OPEN_S = 1e-3  # estimated loop time to open a websocket: handshake, route, accept, hello (0.8 ms here)
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

    async def take_turn(self, address: str, gone: asyncio.Event | None = None) -> bool:
        """Wait until the address is within its share: True; False as soon as `gone` is set while it waits (its
        client has left: what it sent needs no turn, and the departed address's other sockets waiting behind it
        need not each wait for one to learn they are gone)."""
        while (pause := self.wait(address)) > 0:
            if gone is None:
                await asyncio.sleep(pause)
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(pause):
                    await gone.wait()
            if gone.is_set():
                return False
        return True

    def users(self, now: float) -> int:
        """Addresses that used time within LATELY_S, however little; the others are forgotten."""
        quiet = [address for address, (_, stamp) in self.spent.items() if now - stamp > LATELY_S]
        for address in quiet:
            del self.spent[address]
        return max(len(self.spent), 1)
