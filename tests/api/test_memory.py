"""app/server/memory.py: glibc's mmap threshold is fixed, closes in a burst lead to one malloc_trim after it, and closes
that never stop still lead to one within the deadline."""

import asyncio
import time

import pytest

import app.server.memory as memory


def test_the_mmap_threshold_is_fixed_on_glibc() -> None:
    if memory.LIBC is None:
        pytest.skip("not glibc: nothing to fix")  # the Docker image and the development machines are glibc
    assert memory.fix_mmap_threshold()


def test_a_burst_of_closes_leads_to_one_trim_after_it(monkeypatch) -> None:
    trims: list[int] = []
    monkeypatch.setattr(memory, "LIBC", object())  # any C library: trim itself is replaced
    monkeypatch.setattr(memory, "trim", lambda: trims.append(1))
    monkeypatch.setattr(memory, "QUIET_S", 0.05)

    async def scenario() -> None:
        trimmer = memory.Trimmer()
        for _ in range(20):
            trimmer.closed()
            await asyncio.sleep(0)
        assert trims == []  # still closing
        for _ in range(200):
            if trims:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        assert trims == [1]

    asyncio.run(scenario())


def test_closes_that_never_stop_lead_to_a_trim_by_the_deadline_after_the_first(monkeypatch) -> None:
    """Students who stay connected close and reconnect all the time: the trim after an attack's sockets are gone
    must not wait for a quiet moment that never comes."""
    trims: list[float] = []
    monkeypatch.setattr(memory, "LIBC", object())
    monkeypatch.setattr(memory, "trim", lambda: trims.append(time.monotonic()))
    monkeypatch.setattr(memory, "QUIET_S", 0.1)
    monkeypatch.setattr(memory, "DEADLINE_S", 0.3)

    async def scenario() -> float:
        trimmer = memory.Trimmer()
        first = time.monotonic()
        while time.monotonic() - first < 1.0:  # a close every 20 ms: never QUIET_S of quiet
            trimmer.closed()
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.05)
        return first

    first = asyncio.run(scenario())
    assert 3 <= len(trims) <= 4  # one per DEADLINE_S of closes
    assert 0.25 < trims[0] - first < 0.45


def test_closes_without_a_running_loop_are_ignored() -> None:
    memory.Trimmer().closed()
