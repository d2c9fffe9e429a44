"""Fair shares of the compute threads: one client (many sockets, heavy requests) cannot delay another's answers.

Every NumPy job — reading a large frame, answering a websocket request, one frame of a stream, an upload to POST
/api/predict — asks FairShare for a slot before it runs in a worker thread, under its client address and a key
for its connection (a socket's reading and its answering each have at most one job in the pool, waiting or
running). When a slot frees, it goes to the waiting address that has used the least compute time while active
(fair queuing: an address that comes back after being idle starts level with the least busy active one, so it
cannot bank time), then within that address to the connection waiting longest. While another address has been
active within RECENT_S, one address holds at most all slots but one, so a job from anyone else finds a slot free
instead of waiting for a heavy job to finish; an address alone (a class behind one NAT) uses every slot.

So a client with 400 sockets gets one address's share of time, not 400 connections' worth, and another client's
drawing waits for no queue of theirs. Within an address, a connection can be hurried (hurry): its waiting or next
job goes before the address's other connections' — a student who has lifted her pen waits for that answer, while
her classmates' live updates of strokes still in progress can wait a moment. Used from the event loop only: the
bookkeeping changes between awaits.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import time
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, TypeVarTuple

import anyio

from app.server.time_share import TimeShare

T = TypeVar("T")
Args = TypeVarTuple("Args")

RECENT_S = 2.0  # an address that had a job this recently keeps its reserved slot


class Turn:
    """One job's place in the queue. Its task awaits `future`: the grant itself, or for a job that `start`s on its
    grant (FairShare.run_made), the job's result."""

    def __init__(self, future: asyncio.Future[Any], start: Callable[[], None] | None = None) -> None:
        self.future, self.start = future, start
        self.granted = False

    def grant(self) -> None:
        """The slot is the job's: wake its task, or start the job at once (and let go of `start`, which refers to
        this turn: the cycle kept the job's result alive until a full garbage collection)."""
        self.granted = True
        start, self.start = self.start, None
        if start is None:
            self.future.set_result(None)
        else:
            start()


class Waiting:
    """One address's jobs waiting for a slot, by connection: the hurried ones first, each group oldest first."""

    def __init__(self) -> None:
        self.hurried: dict[Hashable, Turn] = {}
        self.others: dict[Hashable, Turn] = {}

    def __contains__(self, connection: Hashable) -> bool:
        return connection in self.hurried or connection in self.others

    def __bool__(self) -> bool:
        return bool(self.hurried or self.others)

    def add(self, connection: Hashable, turn: Turn, hurried: bool) -> None:
        (self.hurried if hurried else self.others)[connection] = turn

    def hurry(self, connection: Hashable) -> bool:
        """Move the connection's waiting job among the hurried ones; False when it has none waiting."""
        if connection in self.others:
            self.hurried[connection] = self.others.pop(connection)
        return connection in self.hurried

    def take(self) -> tuple[Hashable, Turn]:
        """The next job: the oldest hurried one, else the oldest."""
        group = self.hurried or self.others
        connection = next(iter(group))
        return connection, group.pop(connection)

    def remove(self, connection: Hashable) -> None:
        self.hurried.pop(connection, None)
        self.others.pop(connection, None)


class FairShare:
    """The compute threads' slots handed out by client address (least compute time used first), then by connection
    (longest waiting first); one job per connection key; one slot kept for other addresses while they are active."""

    def __init__(
        self,
        limiter: anyio.CapacityLimiter,
        clock: Callable[[], float] = time.monotonic,
        in_loop: bool = False,
        budget: TimeShare | None = None,
    ) -> None:
        self.slots = int(limiter.total_tokens)  # jobs at once: the compute threads (in the loop, a batch's places)
        self.clock = clock
        self.in_loop = in_loop  # jobs run in the event loop: a freed slot is handed out in its next iteration
        self.budget = budget  # time used by address: one over its share takes no slot until it is back within it
        self.recheck: tuple[float, asyncio.TimerHandle] | None = None  # when a dispatch is due (an address back
        # within its share) and its timer
        self.busy = 0
        self.waiting: dict[str, Waiting] = {}  # address -> its connections' jobs waiting, each with its grant
        self.hurried: weakref.WeakSet[Any] = weakref.WeakSet()  # connections whose next job goes first
        self.running: Counter[str] = Counter()  # address -> jobs running now
        self.started: dict[tuple[str, Hashable], float] = {}  # (address, connection) of a running job -> its start
        self.used: dict[str, float] = {}  # address -> compute seconds used, while it has work waiting or running
        self.recent: dict[str, float] = {}  # address -> when its last job started or ended, oldest first
        self.threads: concurrent.futures.ThreadPoolExecutor | None = None  # run_made's, made on first use

    @staticmethod
    def of(state: Any) -> FairShare:
        """The app's FairShare over its compute threads (app.state.compute), made on first use."""
        share: FairShare | None = getattr(state, "fair_share", None)
        if share is None:
            share = state.fair_share = FairShare(state.compute, budget=TimeShare.computing(state))
        return share

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
        """function(*args) in a compute thread once this connection's turn comes: the result (or its exception)."""
        return await self.run_made(address, connection, lambda: functools.partial(function, *args))

    async def run_made(self, address: str, connection: Hashable, make: Callable[[], Callable[[], T]]) -> T:
        """make() once this connection's turn comes, and what it returns run in a compute thread: the result (or its
        exception). make() is called in the event loop by whoever frees the slot, and the thread starts at once;
        the slot is freed as soon as the thread is done. With a slot held from its grant until the waiting task
        had run (twice: to start the thread, and to leave the slot after it), a busy loop kept the threads idle:
        in soak --attacker, jobs of ~1 ms held their slots 35-96 ms while other students waited for one.
        Cancelled while waiting, the job gives up its place; cancelled while running, it runs to its end and then
        frees the slot."""
        loop = asyncio.get_running_loop()
        place = Turn(loop.create_future())
        turn: Turn | None = place  # what the callbacks see: None once this task is done with the job

        def start() -> None:
            try:
                running = self.pool().submit(make())
            except BaseException as exc:  # nothing runs: the slot is freed once this dispatch is over
                loop.call_soon(self.release, address, connection)
                if turn is not None:
                    turn.future.set_exception(exc)
                return
            running.add_done_callback(lambda done: loop.call_soon_threadsafe(finish, done))

        def finish(done: concurrent.futures.Future[T]) -> None:
            self.release(address, connection)
            if turn is None or turn.future.done():  # its task was cancelled meanwhile
                return
            if (exc := done.exception()) is not None:
                turn.future.set_exception(exc)
            else:
                turn.future.set_result(done.result())

        place.start = start
        self.enqueue(address, connection, place)
        try:
            result: T = await place.future
            return result
        except BaseException:  # cancelled while waiting: give up the place (a job started frees its slot itself)
            if not place.granted:
                self.withdraw(address, connection)
            raise
        finally:  # a job's exception (its traceback holds this frame) stays out of a cycle with the turn holding it
            del place
            turn = None

    def pool(self) -> concurrent.futures.ThreadPoolExecutor:
        """The compute threads that run_made's jobs run in, one per slot, made on first use."""
        if self.threads is None:
            self.threads = concurrent.futures.ThreadPoolExecutor(self.slots, thread_name_prefix="compute")
        return self.threads

    async def acquire(self, address: str, connection: Hashable) -> None:
        """Wait for this connection's turn (at once when a slot is free for it and no one goes first)."""
        turn = Turn(asyncio.get_running_loop().create_future())
        self.enqueue(address, connection, turn)
        try:
            await turn.future
        except BaseException:  # cancelled (the client left): give up the place, or the slot granted meanwhile
            if turn.granted:
                self.release(address, connection)
            else:
                self.withdraw(address, connection)
            raise

    def enqueue(self, address: str, connection: Hashable, turn: Turn) -> None:
        """Put the connection's job in its address's queue, and hand out the free slots; RuntimeError if the
        connection already has a job waiting or running."""
        if (address, connection) in self.started or connection in self.waiting.get(address, ()):
            raise RuntimeError("a connection may have one job in the compute pool at a time")
        self.used.setdefault(address, min(self.used.values(), default=0.0))
        hurried = connection in self.hurried  # False, not TypeError, for a key that takes no weak reference
        if hurried:
            self.hurried.discard(connection)
        self.waiting.setdefault(address, Waiting()).add(connection, turn, hurried)
        self.dispatch()

    def hurry(self, address: str, connection: Hashable) -> None:
        """Put the connection's waiting job (or, with none waiting, its next one) ahead of the other connections
        of its address; across addresses nothing changes."""
        if not self.waiting.get(address, Waiting()).hurry(connection):
            self.hurried.add(connection)

    def may_take(self, address: str) -> bool:
        """Whether address may take one more slot: none while it is over its share of time (the budget; a dispatch
        is set for when it is back within it); always below all-but-one; the last only while no other address has
        been active within RECENT_S."""
        if self.budget is not None and (pause := self.budget.wait(address)) > 0:
            self.dispatch_in(pause)
            return False
        if self.running[address] < max(self.slots - 1, 1):
            return True
        horizon = self.clock() - RECENT_S
        while self.recent and next(iter(self.recent.values())) < horizon:  # forget addresses quiet for long
            del self.recent[next(iter(self.recent))]
        others_busy = len(self.used) - (address in self.used)  # with work waiting or running
        return not others_busy and len(self.recent) - (address in self.recent) == 0

    def dispatch_in(self, delay: float) -> None:
        """Dispatch again in `delay` seconds, unless one is due sooner."""
        loop = asyncio.get_running_loop()
        due = loop.time() + delay
        if self.recheck is not None and self.recheck[0] <= due:
            return
        if self.recheck is not None:
            self.recheck[1].cancel()
        self.recheck = due, loop.call_at(due, self.dispatch_again)

    def dispatch_again(self) -> None:
        self.recheck = None
        self.dispatch()

    def grant(self, address: str, connection: Hashable) -> None:
        """Give one slot to the connection; its time starts."""
        self.busy += 1
        self.running[address] += 1
        self.started[(address, connection)] = self.seen(address)

    def seen(self, address: str) -> float:
        """Note address as active now (moved to the end of `recent`); the time."""
        now = self.clock()
        self.recent.pop(address, None)
        self.recent[address] = now
        return now

    def release(self, address: str, connection: Hashable) -> None:
        """The connection's job is done: count its time and free its slot for the next in turn (for jobs in the event
        loop, once the loop has gone round: else every connection reaching its turn in this round found the slot
        free, and the loop's first come first served decided the order, not the shares)."""
        spent = self.seen(address) - self.started.pop((address, connection))
        self.used[address] += spent
        if self.budget is not None:
            self.budget.charge(address, spent)
        self.running[address] -= 1
        if not self.running[address]:
            del self.running[address]
        self.forget(address)
        if self.in_loop:
            asyncio.get_running_loop().call_soon(self.free)
        else:
            self.free()

    def free(self) -> None:
        """One slot is free: hand it to the next in turn."""
        self.busy -= 1
        self.dispatch()

    def dispatch(self) -> None:
        """Hand the free slots to the waiting jobs next in turn."""
        while self.busy < self.slots and (chosen := self.next_in_turn()) is not None:
            address, connection, turn = chosen
            if turn.future.cancelled():  # its task is cancelled and will withdraw when it runs: no slot for it
                continue
            self.grant(address, connection)
            turn.grant()

    def next_in_turn(self) -> tuple[str, Hashable, Turn] | None:
        """Take the first waiting job of the address that has used least time among those that may take a slot."""
        allowed = [address for address in self.waiting if self.may_take(address)]
        if not allowed:
            return None
        address = min(allowed, key=self.used.__getitem__)
        queue = self.waiting[address]
        connection, turn = queue.take()
        if not queue:
            del self.waiting[address]
        return address, connection, turn

    def withdraw(self, address: str, connection: Hashable) -> None:
        """Remove a waiting job that will not run."""
        queue = self.waiting.get(address, Waiting())
        queue.remove(connection)
        if not queue:
            self.waiting.pop(address, None)
        self.forget(address)

    def forget(self, address: str) -> None:
        """Drop an address's time once it has nothing waiting or running: it comes back level with the others."""
        if address not in self.running and address not in self.waiting:
            self.used.pop(address, None)


@dataclass(frozen=True)
class Shares:
    """The app's two fair shares: of the event loop, for the quick requests computed in it (`loop_batch` slots: the
    requests granted in one iteration are answered together, app/server/together.py; a freed slot is granted in the
    loop's next iteration, so sockets are read and written between them, and the order is the fair one, not the
    loop's first come first served), and of the compute threads."""

    loop: FairShare
    threads: FairShare

    @staticmethod
    def of(state: Any) -> Shares:
        """The app's Shares, made on first use (the threads' is FairShare.of(state))."""
        shares: Shares | None = getattr(state, "fair_shares", None)
        if shares is None:
            in_loop = FairShare(anyio.CapacityLimiter(state.settings.loop_batch), in_loop=True)
            shares = state.fair_shares = Shares(in_loop, FairShare.of(state))
        return shares

    def hurry(self, address: str, connection: Hashable) -> None:
        """The connection's waiting or next job goes first among its address's, in either share."""
        self.loop.hurry(address, connection)
        self.threads.hurry(address, connection)


class FairLimiter(anyio.CapacityLimiter):
    """One client address's door to the compute threads, for code that takes an anyio limiter (the REST uploads'
    and the rooms' anyio.to_thread.run_sync(..., limiter=...)): each use is a job of its own in the app's FairShare,
    waiting for the address's turn, then takes a thread. Only `async with` is supported, which is all run_sync uses."""

    def __new__(cls, *args: object) -> FairLimiter:  # anyio's CapacityLimiter.__new__ returns its backend's class
        return object.__new__(cls)

    def __init__(self, share: FairShare, address: str) -> None:
        self.share, self.address = share, address
        self.jobs: dict[asyncio.Task[Any] | None, object] = {}  # the task in the block -> its job's key

    async def __aenter__(self) -> None:
        job = object()
        await self.share.acquire(self.address, job)  # its slot bounds the threads: FairShare.busy <= slots
        self.jobs[asyncio.current_task()] = job

    async def __aexit__(self, *exc_info: Any) -> None:
        self.share.release(self.address, self.jobs.pop(asyncio.current_task()))
