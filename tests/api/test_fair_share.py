"""FairShare (app/server/fair.py): compute slots by client address (least time used first), then by connection;
one job per connection; a slot kept for other active addresses; nothing lost when jobs are cancelled. Driven in
asyncio with a one- or two-slot limiter, a clock the jobs advance by their cost, and jobs that only record their
turn, so every order is deterministic."""

import asyncio
import random
import threading
import time
from collections.abc import Awaitable, Callable

import anyio
import pytest

from app.server.fair import RECENT_S, FairLimiter, FairShare
from app.server.time_share import TimeShare


def run(scenario: Callable[[], Awaitable[object]]) -> object:
    """Run an async scenario with a generous bound."""
    return asyncio.run(asyncio.wait_for(scenario(), 20))


class Clock:
    """A clock the jobs move: each adds its cost."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def share(slots: int = 1, clock: Clock | None = None) -> FairShare:
    return FairShare(anyio.CapacityLimiter(slots), clock or Clock())


def settled(fair: FairShare) -> bool:
    """Nothing held, nothing waiting, no time remembered."""
    return not (fair.busy or fair.waiting or fair.running or fair.started or fair.used)


def test_waiting_jobs_go_round_robin_by_address_then_by_connection() -> None:
    order: list[str] = []

    async def scenario() -> None:
        clock = Clock()
        fair = share(1, clock)
        await fair.acquire("blocker", "b")  # holds the only slot while the others queue up

        async def job(address: str, connection: str) -> None:
            async with fair.slot(address, connection):
                order.append(connection)
                clock.now += 1  # every job costs the same

        arrivals = [("A", "a1"), ("A", "a2"), ("A", "a3"), ("B", "b1"), ("C", "c1"), ("B", "b2")]
        tasks = [asyncio.create_task(job(*arrival)) for arrival in arrivals]
        await asyncio.sleep(0)  # every job is waiting now
        fair.release("blocker", "b")
        await asyncio.gather(*tasks)
        assert settled(fair)

    run(scenario)
    assert order == ["a1", "b1", "c1", "a2", "b2", "a3"]


def test_connections_that_keep_asking_take_turns_and_a_light_address_waits_for_one_job_at_most() -> None:
    order: list[str] = []

    async def scenario() -> None:
        clock = Clock()
        fair = share(1, clock)

        async def connection(address: str, name: str, jobs: int, cost: float) -> None:
            for _ in range(jobs):  # one job at a time, each asked again as soon as the last is done
                async with fair.slot(address, name):
                    order.append(name)
                    clock.now += cost
                    await asyncio.sleep(0)

        flood = [asyncio.create_task(connection("attacker", f"x{i}", 6, 5.0)) for i in range(4)]
        await asyncio.sleep(0)
        student = asyncio.create_task(connection("student", "s", 5, 1.0))
        await asyncio.gather(*flood, student)
        assert settled(fair)

    run(scenario)
    attacker = [name for name in order if name != "s"]
    assert attacker[:8] == ["x0", "x1", "x2", "x3"] * 2  # within the address: round robin by connection
    assert sorted(attacker) == sorted([f"x{i}" for i in range(4)] * 6) and order.count("s") == 5
    first = order.index("s")
    assert first <= 2  # the student's first job waited for at most one of the attacker's
    between = [len(gap) for gap in "".join("s" if n == "s" else "x" for n in order[first:]).split("s")[1:-1]]
    assert all(gap <= 1 for gap in between)  # then each of its jobs waits for one of the attacker's at most


def test_the_address_that_used_least_time_goes_first_and_one_back_from_idle_cannot_bank_time() -> None:
    order: list[str] = []

    async def scenario() -> None:
        clock = Clock()
        fair = share(1, clock)

        async def job(address: str, connection: str, cost: float) -> None:
            async with fair.slot(address, connection):
                order.append(connection)
                clock.now += cost

        await job("light", "l0", 1.0)  # long ago: forgotten once done
        await fair.acquire("busy", "b0")
        queued = [asyncio.create_task(job("busy", f"b{i}", 3.0)) for i in (1, 2)]
        await asyncio.sleep(0)
        late = [asyncio.create_task(job("light", f"l{i}", 1.0)) for i in (1, 2, 3)]
        await asyncio.sleep(0)
        clock.now += 3.0
        fair.release("busy", "b0")  # busy has used 3 s; light comes back level with busy's 0 when it started
        await asyncio.gather(*queued, *late)
        assert settled(fair)

    run(scenario)
    # light comes back level with busy's 0 s (not below it for having been idle) and goes first while it has used
    # less time than busy's 3 s: its three 1 s jobs, then busy's
    assert order == ["l0", "l1", "l2", "l3", "b1", "b2"]


def test_one_address_keeps_a_slot_free_for_another_that_was_active_recently_and_takes_all_when_alone() -> None:
    async def scenario() -> None:
        clock = Clock()
        fair = share(2, clock)
        async with fair.slot("student", "s"):
            clock.now += 0.01
        await fair.acquire("attacker", "a1")
        second = asyncio.create_task(fair.acquire("attacker", "a2"))
        await asyncio.sleep(0)
        assert not second.done() and fair.busy == 1  # the last slot is kept for the student
        await asyncio.wait_for(fair.acquire("student", "s"), 1)  # at once, not after the attacker's job
        fair.release("student", "s")
        assert not second.done() and fair.busy == 1
        clock.now += RECENT_S + 1  # the student has been quiet for long
        fair.release("attacker", "a1")
        await second
        await asyncio.wait_for(fair.acquire("attacker", "a3"), 1)
        assert fair.busy == 2  # alone, it uses every slot
        for name in ("a2", "a3"):
            fair.release("attacker", name)
        assert settled(fair)

    run(scenario)


def test_a_connection_has_one_job_in_the_pool_at_a_time() -> None:
    async def scenario() -> None:
        fair = share(2)
        await fair.acquire("A", "a")
        with pytest.raises(RuntimeError, match="one job"):
            await fair.acquire("A", "a")  # a free slot is left, still refused
        await fair.acquire("A", "other")
        waiter = asyncio.create_task(fair.acquire("A", "third"))
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="one job"):
            await fair.acquire("A", "third")  # waiting counts as in the pool
        fair.release("A", "a")
        await waiter
        for name in ("other", "third"):
            fair.release("A", name)
        assert settled(fair)

    run(scenario)


def test_cancelled_jobs_give_up_their_place_or_their_slot_and_nothing_is_lost() -> None:
    async def scenario() -> tuple[int, int]:
        fair = share(2)
        rng = random.Random(0)
        done: list[str] = []
        most = 0

        async def job(address: str, connection: str) -> None:
            nonlocal most
            async with fair.slot(address, connection):
                most = max(most, fair.busy)
                await asyncio.sleep(0)
                done.append(connection)

        tasks: dict[str, asyncio.Task[None]] = {}
        for i in range(300):
            name = f"c{i}"
            tasks[name] = asyncio.create_task(job(f"addr{rng.randrange(5)}", name))
            if rng.random() < 0.5:
                await asyncio.sleep(0)
            if rng.random() < 0.3:
                tasks[rng.choice(list(tasks))].cancel()  # waiting, granted-but-not-resumed, running or finished
        results = await asyncio.gather(*tasks.values(), return_exceptions=True)
        cancelled = sum(isinstance(result, asyncio.CancelledError) for result in results)
        assert len(done) + cancelled == 300 and len(set(done)) == len(done)
        assert settled(fair)
        return most, cancelled

    most, cancelled = run(scenario)
    assert most <= 2 and cancelled > 0


def test_run_computes_in_a_worker_thread_and_passes_exceptions_back() -> None:
    async def scenario() -> None:
        fair = share(1)
        assert await fair.run("A", "a", sum, [1, 2, 3]) == 6
        with pytest.raises(ZeroDivisionError):
            await fair.run("A", "a", divmod, 1, 0)
        assert settled(fair)

    run(scenario)


def test_a_granted_job_starts_in_its_thread_at_once_and_frees_its_slot_when_its_thread_is_done() -> None:
    """run_made's job is made and started by whoever frees the slot (the finished job's callback), not by the
    waiting job's task, so a busy event loop leaves no granted slot idle until that task is scheduled; a job whose
    task is cancelled while its thread runs keeps the slot until the thread is done, then the next one starts."""

    async def scenario() -> None:
        fair = share(1)
        makers: dict[str, asyncio.Task[object] | None] = {}
        gates = {name: threading.Event() for name in ("a", "c")}

        def job(name: str) -> Callable[[], Callable[[], str]]:
            def make() -> Callable[[], str]:
                makers[name] = asyncio.current_task()
                return lambda: name if name not in gates or gates[name].wait(10) else "timed out"

            return make

        a = asyncio.create_task(fair.run_made("A", "a", job("a")))
        await asyncio.sleep(0.01)
        b = asyncio.create_task(fair.run_made("B", "b", job("b")))
        await asyncio.sleep(0.01)
        assert "b" not in makers and fair.busy == 1
        gates["a"].set()
        assert await a == "a" and await b == "b"
        assert makers["a"] is a and makers["b"] is None  # b's started by a's finish, outside any task

        c = asyncio.create_task(fair.run_made("A", "c", job("c")))
        await asyncio.sleep(0.01)
        d = asyncio.create_task(fair.run_made("B", "d", job("d")))
        await asyncio.sleep(0.01)
        c.cancel()
        await asyncio.gather(c, return_exceptions=True)
        await asyncio.sleep(0.05)
        assert c.cancelled() and fair.busy == 1 and "d" not in makers  # c's thread still runs: its slot is held
        gates["c"].set()
        assert await d == "d" and settled(fair)

    run(scenario)


def test_a_fair_limiter_makes_each_thread_run_a_job_of_its_address() -> None:
    async def scenario() -> None:
        fair = share(1)
        door = FairLimiter(fair, "uploader")
        seen: list[tuple[int, list[str]]] = []

        def job() -> None:
            seen.append((fair.busy, list(fair.running)))

        await anyio.to_thread.run_sync(job, limiter=door)
        with pytest.raises(ZeroDivisionError):
            await anyio.to_thread.run_sync(divmod, 1, 0, limiter=door)
        await fair.acquire("other", "o")  # while another address holds the only slot, the upload waits its turn
        waiting = asyncio.create_task(anyio.to_thread.run_sync(job, limiter=door))
        await asyncio.sleep(0.05)
        assert not waiting.done() and "uploader" in fair.waiting
        fair.release("other", "o")
        await waiting
        assert seen == [(1, ["uploader"]), (1, ["uploader"])] and settled(fair)

    run(scenario)


class Tab:
    """A connection key that takes weak references, as the websocket loop's Link does."""

    def __init__(self, name: str) -> None:
        self.name = name


def test_a_hurried_connection_goes_before_its_addresss_others_and_hurried_ones_keep_their_order() -> None:
    """A class behind one address: students whose pen went up (hurried) are answered before live updates, in the
    order they lifted their pens; another address's turn is unchanged."""
    order: list[str] = []

    async def scenario() -> None:
        clock = Clock()
        fair = share(1, clock)
        await fair.acquire("blocker", "b")
        tabs = {name: Tab(name) for name in ["a1", "a2", "a3", "a4", "b1"]}

        async def job(address: str, tab: Tab) -> None:
            async with fair.slot(address, tab):
                order.append(tab.name)
                clock.now += 1

        arrivals = [("A", "a1"), ("A", "a2"), ("A", "a3"), ("A", "a4"), ("B", "b1")]
        tasks = [asyncio.create_task(job(address, tabs[name])) for address, name in arrivals]
        await asyncio.sleep(0)
        fair.hurry("A", tabs["a3"])
        fair.hurry("A", tabs["a2"])
        fair.release("blocker", "b")
        await asyncio.gather(*tasks)
        assert settled(fair)

    run(scenario)
    assert order == ["a3", "b1", "a2", "a1", "a4"]


def test_hurrying_a_connection_with_nothing_waiting_hurries_its_next_job_only() -> None:
    order: list[str] = []

    async def scenario() -> None:
        clock = Clock()
        fair = share(1, clock)
        await fair.acquire("blocker", "b")
        first, late = Tab("first"), Tab("late")
        fair.hurry("A", late)  # its pen went up before its request reached the pool

        async def job(tab: Tab) -> None:
            async with fair.slot("A", tab):
                order.append(tab.name)

        tasks = [asyncio.create_task(job(first))]
        await asyncio.sleep(0)
        tasks.append(asyncio.create_task(job(late)))
        await asyncio.sleep(0)
        fair.release("blocker", "b")
        await asyncio.gather(*tasks)
        assert late not in fair.hurried and settled(fair)

    run(scenario)
    assert order == ["late", "first"]


def test_in_the_event_loop_a_freed_slot_goes_to_whoever_is_next_in_turn_by_the_next_round() -> None:
    """Jobs run in the loop release their slot synchronously: without waiting a round, every connection reaching
    the pool in the same round found it free and the loop's order decided; in_loop hands it out next round, in
    the shares' order (here the hurried connection first)."""
    order: list[str] = []

    async def scenario() -> None:
        fair = FairShare(anyio.CapacityLimiter(1), Clock(), in_loop=True)
        tabs = [Tab(f"t{i}") for i in range(4)]

        async def job(tab: Tab) -> None:
            async with fair.slot("A", tab):
                order.append(tab.name)  # the job itself: synchronous, as a quick request in the loop is

        fair.hurry("A", tabs[3])
        await asyncio.gather(*[job(tab) for tab in tabs])
        assert settled(fair)

    run(scenario)
    assert order == ["t0", "t3", "t1", "t2"]


def test_an_address_over_its_share_of_time_waits_for_a_slot_even_when_one_is_free() -> None:
    """The threads share one GIL with the event loop: an address that used more than its share of their time
    lately takes no slot until it is back within it, while another address is served at once."""
    order: list[str] = []

    async def scenario() -> float:
        budget = TimeShare(share=1.0, floor=0.05)
        fair = FairShare(anyio.CapacityLimiter(1), budget=budget)
        budget.charge("student", 0.001)
        budget.charge("heavy", 0.6)  # 0.6 s of thread time a second, with a share of 0.5 beside one other address

        async def job(address: str, name: str) -> None:
            async with fair.slot(address, name):
                order.append(name)

        started = time.monotonic()
        heavy = asyncio.create_task(job("heavy", "h"))
        await asyncio.sleep(0.02)
        assert order == []  # the slot is free, but its address is over its share
        await job("student", "s")
        await heavy
        assert settled(fair)
        return time.monotonic() - started

    waited = run(scenario)
    assert order == ["s", "h"]
    assert 0.1 < waited < 1.0  # about TAU_S · ln(0.6 / 0.5) = 0.18 s: until its use had decayed to its share
