"""Requests handed in during one round of the event loop are answered by one call (app/server/together.py), each
request gets its own result or exception, and a connection that left is skipped."""

import asyncio
from collections.abc import Sequence

import pytest

from app.server.together import Together
from app.wire.protocol import Problem


class Recorded:
    """An answer function that records each call's requests and answers each with its doubled message, or raises
    the Problem for a negative one."""

    def __init__(self) -> None:
        self.calls: list[list[tuple[str, int]]] = []

    def __call__(self, requests: Sequence[tuple[str, int]]) -> list:
        self.calls.append(list(requests))
        return [Problem("bad_value", f"{m} < 0") if m < 0 else [f"{c}:{2 * m}"] for c, m in requests]


def test_requests_of_one_round_are_answered_by_one_call_each_with_its_own_result() -> None:
    answer = Recorded()
    together = Together(answer)

    async def scenario() -> list:
        first = await asyncio.gather(*(together.handle(f"c{i}", i) for i in range(5)), return_exceptions=True)
        later = await together.handle("late", 7)
        return [*first, later]

    results = asyncio.run(scenario())
    assert results == [["c0:0"], ["c1:2"], ["c2:4"], ["c3:6"], ["c4:8"], ["late:14"]]
    assert [len(call) for call in answer.calls] == [5, 1]
    assert answer.calls[0] == [(f"c{i}", i) for i in range(5)]


def test_one_requests_problem_is_raised_to_it_alone() -> None:
    together = Together(Recorded())

    async def scenario() -> list:
        return await asyncio.gather(together.handle("a", 1), together.handle("b", -1), return_exceptions=True)

    good, bad = asyncio.run(scenario())
    assert good == ["a:2"]
    assert isinstance(bad, Problem) and bad.code == "bad_value" and "-1 < 0" in str(bad)


def test_a_failing_call_fails_every_request_of_its_round_and_the_next_round_works() -> None:
    calls = []

    def answer(requests: Sequence[tuple[str, int]]) -> list:
        calls.append(len(requests))
        if len(calls) == 1:
            raise RuntimeError("bug")
        return [[m] for _, m in requests]

    together = Together(answer)

    async def scenario() -> tuple[list, list]:
        failed = await asyncio.gather(together.handle("a", 1), together.handle("b", 2), return_exceptions=True)
        return failed, await asyncio.gather(together.handle("a", 3))

    failed, after = asyncio.run(scenario())
    assert [type(result) for result in failed] == [RuntimeError, RuntimeError]
    assert after == [[3]] and calls == [2, 1]


def test_a_request_whose_connection_left_is_skipped(recwarn: pytest.WarningsRecorder) -> None:
    answer = Recorded()
    together = Together(answer)

    async def scenario() -> list:
        leaving = asyncio.ensure_future(together.handle("gone", -1))  # its answer would be an exception
        staying = asyncio.ensure_future(together.handle("here", 2))
        await asyncio.sleep(0)  # both handed in
        leaving.cancel()
        return await asyncio.gather(staying, leaving, return_exceptions=True)

    staying, leaving = asyncio.run(scenario())
    assert staying == ["here:4"] and isinstance(leaving, asyncio.CancelledError)
    assert len(answer.calls) == 1
    assert not [w for w in recwarn if "never retrieved" in str(w.message)]


def test_while_requests_keep_coming_they_are_gathered_for_up_to_the_wait() -> None:
    answer = Recorded()
    together = Together(answer, size=16, wait=0.2)

    async def scenario() -> list:
        first = asyncio.ensure_future(together.handle("a", 0))  # after a quiet spell: answered in the next round
        await asyncio.sleep(0)
        assert not together.timed
        later = []
        for n in range(1, 4):  # each within the wait of another connection's: gathered
            later.append(asyncio.ensure_future(together.handle(f"b{n}", n)))
            await asyncio.sleep(0.01)
            assert together.timed
        return await asyncio.gather(first, *later)

    results = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert results == [["a:0"], ["b1:2"], ["b2:4"], ["b3:6"]]
    assert [len(call) for call in answer.calls] == [1, 3]


def test_a_lone_connections_next_request_is_answered_at_once() -> None:
    """One connection asking again right after its answer (one request in flight, as the pages send) has nobody to
    wait for: each of its requests is answered in the next round, not after the wait."""
    answer = Recorded()
    together = Together(answer, size=16, wait=3600.0)  # waiting it out would time the test out

    async def scenario() -> list:
        return [await together.handle("a", n) for n in range(5)]

    assert asyncio.run(asyncio.wait_for(scenario(), 10)) == [[f"a:{2 * n}"] for n in range(5)]
    assert [len(call) for call in answer.calls] == [1] * 5


def test_a_full_batch_is_answered_without_waiting_out_the_wait() -> None:
    answer = Recorded()
    together = Together(answer, size=3, wait=3600.0)  # waiting it out would time the test out

    async def scenario() -> list:
        await together.handle("a", 0)
        return await asyncio.gather(*(together.handle("b", n) for n in range(1, 4)))

    assert asyncio.run(asyncio.wait_for(scenario(), 10)) == [["b:2"], ["b:4"], ["b:6"]]
    assert [len(call) for call in answer.calls] == [1, 3]
