"""app/server/memory.py: glibc's mmap threshold is fixed, and closes in a burst lead to one malloc_trim after it."""

import asyncio

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


def test_closes_without_a_running_loop_are_ignored() -> None:
    memory.Trimmer().closed()
