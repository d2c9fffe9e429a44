"""Fair shares of the event loop's reading: one client address flooding frames cannot keep everyone else unread.

Every websocket frame costs the event loop time before any compute thread sees it: uvicorn and websockets read,
unmask and copy its bytes, then the app parses and validates it (app/server/ws.py). The message rate limit is per
socket, and one address may hold hundreds of sockets (a class behind one NAT address), so a client sending the
largest frames on all of them at the rate limit kept the loop busy reading them while other students' drawings
waited seconds to be read at all (benchmarks/soak.py --attacker).

So each address's reading time is counted (a decaying sum: the seconds of loop time it used per second, averaged
over about TAU_S), and before a socket reads its next frame, an address using more than its share waits. Its share
is `loop_share` of the loop split evenly among the addresses that read a frame lately, never less than `floor`; an
address within the floor never waits and costs one lookup. A frame of an address over its share waits before it
is parsed; meanwhile uvicorn does not read its socket (it reads one message ahead of the app only), so the client's
TCP window fills and the flood stays in its own kernel buffers instead of the server's loop. Used from the event
loop only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

TAU_S = 1.0  # the time over which an address's reading is averaged
MAX_WAIT_S = 1.0  # longest single wait before a socket looks again
FRAME_S = 20e-6  # estimated loop time uvicorn and websockets spend on a frame, besides its bytes
BYTE_S = 1e-9  # estimated loop time per byte of a frame: reading, unmasking, parsing (websockets: 0.3-0.8 ns here)
MAX_ADDRESSES = 4096  # beyond this many remembered addresses, the quiet ones are forgotten
LATELY_S = 2 * TAU_S  # an address that read a frame this recently counts among the readers sharing the loop
RECOUNT_S = 0.1  # the readers are counted again at most this often (a flood's sockets ask many times a second)


def frame_cost(size: int, parsing_s: float) -> float:
    """Loop seconds one frame of `size` bytes cost: the estimate of the server's work on its bytes plus the app's
    measured parsing and validation."""
    return FRAME_S + size * BYTE_S + parsing_s


class ReadShare:
    """Loop time spent reading frames, by client address, and how long an address over its share waits."""

    def __init__(self, loop_share: float, floor: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.loop_share, self.floor, self.clock = loop_share, floor, clock
        self.spent: dict[str, tuple[float, float]] = {}  # address -> (decayed seconds of reading, when updated)
        self.counted = (-math.inf, 1)  # when the readers were last counted, and how many there were

    @staticmethod
    def of(state: Any) -> ReadShare:
        """The app's ReadShare, made on first use from its settings."""
        share: ReadShare | None = getattr(state, "read_share", None)
        if share is None:
            settings = state.settings
            share = state.read_share = ReadShare(settings.read_loop_share, settings.read_loop_floor)
        return share

    def rate(self, address: str, now: float) -> float:
        """Seconds of loop time per second the address has used lately."""
        value, stamp = self.spent.get(address, (0.0, now))
        return value * math.exp(-(now - stamp) / TAU_S) / TAU_S

    def charge(self, address: str, seconds: float) -> None:
        """Count `seconds` of loop time spent on a frame of address."""
        now = self.clock()
        self.spent[address] = (self.rate(address, now) * TAU_S + seconds, now)
        if len(self.spent) > MAX_ADDRESSES:
            self.readers(now)

    def wait(self, address: str) -> float:
        """Seconds the address should wait before its socket reads again: 0 within its share, else until its rate
        has decayed to the share (at most MAX_WAIT_S)."""
        now = self.clock()
        mine = self.rate(address, now)
        if mine <= self.floor:
            return 0.0
        if now - self.counted[0] > RECOUNT_S:
            self.counted = (now, self.readers(now))
        share = max(self.floor, self.loop_share / self.counted[1])
        return 0.0 if mine <= share else min(TAU_S * math.log(mine / share), MAX_WAIT_S)

    def readers(self, now: float) -> int:
        """Addresses that have read a frame within LATELY_S, however little; the others are forgotten."""
        quiet = [address for address, (_, stamp) in self.spent.items() if now - stamp > LATELY_S]
        for address in quiet:
            del self.spent[address]
        return max(len(self.spent), 1)
