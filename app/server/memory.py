"""Giving memory back to the system after waves of clients (glibc's malloc; elsewhere nothing is done).

Waves of 200 flooding and stuck sockets from one attacker (benchmarks/memory_waves.py: soak.py's attack against
an in-process server, measured once every connection had gone) left the server at 430–600 MB from 87 MB; a
malloc_trim then brought it to 160–220 MB, and a full garbage collection had more to free. Three causes, each
fixed here or in the websocket loop:

- glibc's mmap threshold rises to the size of the largest block freed (up to 32 MB), so after the first 3 MB
  walkthrough frame or upload every frame and array below that size came from the heap, where a freed block is
  kept for reuse and a heap shrinks only from its top. A fixed threshold (MMAP_THRESHOLD, set at start-up) keeps
  large blocks in mappings of their own, given back when freed: 300 MB after a wave instead of 430–600.
  It sits above most batches of drawings' arrays (11 drawings' window columns are 1 MB), and the heap keeps up
  to TRIM_THRESHOLD free at its top: at 128 KB each, a batch's arrays were mapped, faulted in page by page and
  unmapped again, ~40 page faults a drawing at 1,050 drawings/s (14–19% of a core in the kernel against 4–6%
  after); memory_waves.py's RSS after a wave is 2–3 MB above the 128 KB threshold's.
- Each worker thread has an arena of its own, whose free pages only malloc_trim returns: Trimmer runs it in a
  worker thread once the closes of a wave have stopped for QUIET_S, and at the latest DEADLINE_S after the first
  close since the last trim (students who stay connected keep closing and reconnecting).
- A socket's tasks ended by cancellation left anyio's CancelledError in a reference cycle with its traceback,
  holding the connection's frames and their last message until a full collection (app/server/ws.py returns from
  the cancellation instead).

Together: 165–170 MB after each of three waves, not growing from one wave to the next, of which a malloc_trim
still finds 20–40 MB (benchmarks/memory_waves.py; soak.py --attacker prints the RSS before, during and after).

With students staying connected through the attack (soak.py --attacker) the server stayed at 360–384 MB after it,
from 107 MB before. Three more causes, measured in the live server (what its tasks waited on, mallinfo2, a full
collection's and a malloc_trim's effect, pymalloc's statistics):

- The attacker's departed sockets were not noticed for 20–35 s: uvicorn had paused reading them and the app waited
  for the departed address's turn before reading on (app/server/uvicorn_ws.py now polls a paused socket for a
  hang-up and tells the app, whose waits for a turn end at once).
- A lost connection's websockets parser (a generator in a reference cycle with its protocol, holding the last
  frame) and a refused message's exception kept their frames until a full collection: 25–40 MB 15 s after the
  attack (uvicorn_ws.py closes the parser; app/server/ws.py raises the Problem without a cycle).
- The trim after the attack waited for a quiet moment the students' own closes never left (Trimmer's deadline).

After them: 145–149 MB 15 s after the attack (113 MB at the same time without one). Two more:

- glibc gave each thread that allocates a heap of its own (the compute threads, anyio's threads for uploads and
  rooms), and what stayed in use in each kept its pages: ARENA_MAX puts every thread's blocks in the main heap
  (133.8–138.9 MB after the attack instead of 146.4–152.3, three runs each in turn; 107–109 MB before it).
- A conv_plan waiting for its turn held its numbers as Python floats (app/wire/conv.py now keeps arrays).

What is left is pymalloc's: its 1 MB arenas grow from ~50 to ~80 during the attack, and an arena is given back only
once every block in it is free. After the attack a few live small objects keep each: mostly floats made since by
state that keeps changing (a connection's scope, its RateLimit, a waiting coroutine's locals), because pymalloc
fills the partly used pools of a size first, wherever they are. And the attacker's frames that TCP still delivers
after it has gone (its kernel's send buffers, several MB a socket) keep ~350 of its connections open ~10 s longer.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from typing import Any

logger = logging.getLogger(__name__)

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8  # mallopt's parameter numbers (malloc.h)
MMAP_THRESHOLD = 1 << 20  # blocks of 1 MB and more (a large upload or walkthrough frame) get a mapping
TRIM_THRESHOLD = 8 << 20  # free memory at the heap's top beyond this goes back to the system at once
ARENA_MAX = 1  # every thread allocates from the main heap
QUIET_S = 2.0  # a trim waits for closes to stop this long (the rest of a wave is still closing)...
DEADLINE_S = 2.0  # ...but comes at most this long after the first close since the last trim


def glibc() -> Any | None:
    """The C library when it is glibc (it has malloc_trim), else None."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


LIBC = glibc()


def tune_malloc() -> bool:
    """Keep blocks of MMAP_THRESHOLD bytes and more in mappings of their own from now on, up to TRIM_THRESHOLD free
    at the heap's top (setting either turns off glibc's own adjustment of both), and threads that start from now on
    in the main heap (ARENA_MAX); glibc only. Call before the worker threads start."""
    return bool(
        LIBC is not None
        and LIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        and LIBC.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
        and LIBC.mallopt(M_ARENA_MAX, ARENA_MAX)
    )


def trim() -> None:
    """Return the free pages of every arena to the system (glibc only); takes ~10–30 ms after a wave."""
    if LIBC is not None:
        LIBC.malloc_trim(0)


class Trimmer:
    """Calls trim in a worker thread once closes (of sockets, of uploads) have stopped for QUIET_S, and at the latest
    DEADLINE_S after the first close since the last trim. Used from the event loop.

    The deadline is what lets a trim follow an attack while students stay connected: their own closes and
    reconnects (a class's tabs, a couple a second) never leave QUIET_S of quiet, and the trim that used to run at
    once on a close when the last was over 30 s old came at the first close of the attack's end, before its
    sockets' memory was freed, and the next not before 30 s later (benchmarks/soak.py --attacker, 15 s after the
    attack: 220 MB one run, 144 MB the next, by when the trim fell). With the students' closes the deadline sets the
    rhythm while an attacker's departed sockets close (over ~10 s): at 5 s the trim after the last of them came
    up to 5 s late (15 s after the attack 209–212 MB in two runs of three, 134.5 in the third), at 2 s the RSS
    follows the closes down and is 133–137 MB by a second after the last (three runs each, 2026-12-06). A trim
    with nothing to give back takes ~1 ms, one after the bulk of an attack's closes 10–25 ms."""

    def __init__(self) -> None:
        self.timer: asyncio.TimerHandle | None = None
        self.first: float | None = None  # the loop's time of the first close since the last trim

    def closed(self) -> None:
        """Something that may have held a lot of memory has ended."""
        if LIBC is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not serving (a test of the upload queue's counts)
            return
        now = loop.time()
        if self.first is None:
            self.first = now
        if self.timer is not None:
            self.timer.cancel()
        self.timer = loop.call_at(min(now + QUIET_S, self.first + DEADLINE_S), self.start, loop)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run trim in the loop's default executor."""
        self.timer, self.first = None, None
        loop.run_in_executor(None, trim)


TRIMMER = Trimmer()
