"""Finding a room by what someone typed, with the one sentence each way of not finding it gets (the websocket's
join and the REST endpoints say the same), and the per-address throttles that keep a script from guessing codes
or minting members: one `RoomLimits` per server process, shared by REST and websocket alike."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from app.rooms.codes import is_code, normal_code
from app.rooms.store import RoomStore
from app.settings import Settings

MAX_TRACKED_ADDRESSES = 10_000  # addresses a throttle remembers; past it, those with a full bucket are forgotten


class RoomMissing(Exception):
    """No open room under a code: `code` is room_not_found (a typo, not a code) or room_expired (ended or idle)."""

    def __init__(self, code: Literal["room_not_found", "room_expired"], message: str) -> None:
        super().__init__(message)
        self.code = code


class TooManyAttempts(Exception):
    """An address that must wait before it tries again: `retry_after` whole seconds (REST's Retry-After)."""

    code: Literal["too_many_attempts"] = "too_many_attempts"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Throttle:
    """A token bucket per client address: `per_minute` tokens a minute, in bursts of as many; an address whose
    bucket is empty waits for the next token. A full bucket is the same as none, so those are forgotten first."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity, self.rate, self.clock = float(per_minute), per_minute / 60.0, clock
        self.buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, when counted)

    def tokens(self, address: str) -> float:
        """The tokens `address` has now (refilled since they were last counted)."""
        tokens, stamp = self.buckets.get(address, (self.capacity, self.clock()))
        return min(self.capacity, tokens + (self.clock() - stamp) * self.rate)

    def wait_s(self, address: str) -> float:
        """Seconds until `address` has a token (0: it has one now)."""
        return max(0.0, (1.0 - self.tokens(address)) / self.rate)

    def take(self, address: str) -> None:
        """Spend one of the address's tokens (none left: it stays at none)."""
        if len(self.buckets) >= MAX_TRACKED_ADDRESSES and address not in self.buckets:
            self.forget_full()
        self.buckets[address] = (max(0.0, self.tokens(address) - 1.0), self.clock())

    def forget_full(self) -> None:
        """Drop the addresses whose buckets have refilled; if all are still waiting, start afresh."""
        waiting = {address: entry for address, entry in self.buckets.items() if self.tokens(address) < self.capacity}
        self.buckets = waiting
        if len(self.buckets) >= MAX_TRACKED_ADDRESSES:
            self.buckets.clear()

    def check(self, address: str, what: str) -> None:
        """TooManyAttempts saying when to retry, when `address` has no token left; `what` names what it did."""
        wait = self.wait_s(address)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise TooManyAttempts(f"{what} from your address; try again in {seconds} s", seconds)


@dataclass(frozen=True)
class RoomLimits:
    """What one client address may do to rooms a minute, across REST and websockets: wrong codes (or teacher keys)
    it may try, and new members (tabs) it may add to rooms."""

    failures: Throttle
    newcomers: Throttle

    @classmethod
    def from_settings(cls, settings: Settings) -> RoomLimits:
        return cls(Throttle(settings.room_wrong_codes_per_minute), Throttle(settings.room_joins_per_minute))

    def check_failures(self, address: str) -> None:
        """TooManyAttempts when the address tried too many wrong codes or keys lately."""
        self.failures.check(address, "too many wrong room codes")

    def check_newcomer(self, address: str) -> None:
        """TooManyAttempts when the address added too many members to rooms lately; else count this one."""
        self.newcomers.check(address, "too many new room members")
        self.newcomers.take(address)


def expired(code: str) -> RoomMissing:
    return RoomMissing("room_expired", f"room {code} has ended or expired; ask your teacher for a new code")


async def find_room(
    store: RoomStore,
    text: str,
    limits: RoomLimits,
    address: str,
    admits: Callable[[str, dict], Awaitable[bool]] | None = None,
) -> tuple[str, dict]:
    """The normalised code and the room's fields, or RoomMissing saying whether the code is wrong or the room gone
    (a failure the address is charged for). An address that tried too many wrong codes gets TooManyAttempts for
    any code, right or wrong, unless `admits` the room: a secret of the room (the teacher's key, a member id)
    proves the code was not guessed, so a class behind a guessing student's address can still rejoin."""
    code = normal_code(text)
    throttled = limits.failures.wait_s(address) > 0
    if throttled and admits is None:
        limits.check_failures(address)
    room = await store.room(code) if is_code(code) else None
    if throttled and (room is None or admits is None or not await admits(code, room)):
        limits.check_failures(address)
    if room is not None:
        return code, room
    limits.failures.take(address)
    if is_code(code) and await store.known(code):
        raise expired(code)
    raise RoomMissing("room_not_found", f"there is no room {code or '(empty)'}; check the code on the board")
