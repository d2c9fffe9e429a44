"""app/server/memory.py: glibc's mmap threshold is fixed and threads share the main heap, closes in a burst lead to one
malloc_trim after it, and closes that never stop still lead to one within the deadline."""

import asyncio
import subprocess
import sys
import time

import pytest

import app.server.memory as memory


def test_the_mmap_threshold_is_fixed_on_glibc() -> None:
    if memory.LIBC is None:
        pytest.skip("not glibc: nothing to fix")  # the Docker image and the development machines are glibc
    assert memory.tune_malloc()


HEAPS_AFTER_THREADS = """
import ctypes, sys, tempfile, threading
import app.server.memory as memory
if sys.argv[1] == "tuned":
    assert memory.tune_malloc()
libc = memory.LIBC
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.fopen.restype = ctypes.c_void_p
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
started = threading.Barrier(4)

def allocate():
    started.wait()  # all four at once: each would take an arena of its own
    blocks = [libc.malloc(4096) for _ in range(100)]
    for block in blocks:
        libc.free(block)

threads = [threading.Thread(target=allocate) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with tempfile.NamedTemporaryFile() as report:
    out = libc.fopen(report.name.encode(), b"w")
    libc.malloc_info(0, out)
    libc.fclose(out)
    print(open(report.name).read().count("<heap nr="))
"""


@pytest.mark.parametrize("mode, heaps", [("tuned", 1), ("as glibc starts", 5)])
def test_threads_started_after_tuning_allocate_from_the_main_heap(mode: str, heaps: int) -> None:
    """glibc gives each new thread a heap of its own (up to 8 per core), whose free pages stayed the server's after
    an attack (benchmarks/soak.py --attacker); tuned, every thread uses the main heap. Counted by malloc_info."""
    if memory.LIBC is None:
        pytest.skip("not glibc")
    run = subprocess.run([sys.executable, "-c", HEAPS_AFTER_THREADS, mode], capture_output=True, text=True, check=True)
    assert int(run.stdout) == heaps


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
