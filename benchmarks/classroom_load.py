"""Classroom load: one room, one teacher, N students drawing on /lenet while the teacher's view is broadcast.

Issue 7, "Figures". Starts a real server (`python -m app serve`, optionally `--workers N` on Redis; with
`--redis spawn` it also starts its own `redis-server` on a free loopback port, without persistence, and stops
it after), opens a room (POST /api/rooms), joins it as the teacher (/ws/room with the key) and as N students,
each of them like a real student tab on /lenet: a /ws/room connection joined as a student and a /ws/lenet
connection (hello, describe). Then, for the duration:

- every student sends R drawings a second on /ws/lenet as the page does (a binary `draw` frame built like the
  page's encodeFrame: a 140×140 u8 canvas of a digit, with `seq`), each student with its own random phase;
  every drawing is moved by a few pixels (a different shift per student and drawing), so no two are the same
  bytes, as in a real class, and the server's answer cache (keyed on the bytes) does not stand in for the compute;
- the teacher sends V views a second (`view` with `state.n`, a sequence number), which every student's room
  socket must receive.

What it measures and prints (a summary table, and one JSON object with --json):

- drawings sent and what became of each: answered (a `prediction` frame with its seq), replaced (no answer,
  but a newer drawing of the same connection was answered: the server's latest-wins inbox dropped it for the
  newer one — at most one drawing waits per connection), lost (no answer and no newer answer after the
  drain), and two violations that must stay 0: an answer to a drawing older than one already answered, and an
  answer to a drawing already counted replaced (the server queued instead of replacing);
- prediction round trip p50/p90/p99/max: from the send of an answered drawing to its answer;
- broadcast latency: per view, from the teacher's send to the last of the N students' receipt (p50/p99/max
  over the views every student received), the per-receipt p99, and views some student never received (the
  student outbox is latest wins too: a student who fell behind gets the newer view instead);
- dropped connections (closed by the server during the run) and error replies, by socket and code;
- server memory: RSS summed over the server process and its children (the workers) from /proc, sampled
  every few seconds, printed at start, middle and end of the load; it counts as flat when the second half of
  the load adds at most 5 MB or 5% (the first seconds warm up: allocator arenas, buffers, thread stacks; a leak
  keeps growing);
- CPU use of the server (its process tree), of redis-server when spawned, and of the load generator (each of
  its processes), as % of one core, plus the generator's own health: how late its sends were against their
  schedule and how late its event loop woke up. The machine has 2 cores: the server and the generator compete;
  if the generator's event loop lags, its latency figures include that lag — use --processes 2. The generator
  turns its own garbage collector off during the load (as timeit does), so its pauses are not counted as the
  server's; the CPU other programs took from the machine meanwhile is printed too (a busy neighbour, such as a
  browser test suite, makes every latency worse: compare runs only when it is near 0).

- the class step (issue 16; `--no-class-step` leaves it out): after the load, every student sends one tagged
  drawing to the room's gallery on its room socket, then the teacher asks for a class step on them (POST
  /api/rooms/{code}/batch): the POST's time (aim ≤ 1 s for 300 drawings) and, from the ask, when each student's
  room socket got the `class_step` event (aim: every student within 2 s).

Modes: `target` (default 2 drawings/s per student) checks the issue's targets: every drawing answered, no
dropped connection, round trip p50 ≤ 10 ms and p99 ≤ 50 ms, every view reaching all N with p99 ≤ 100 ms,
memory flat; `beyond` (default 10 drawings/s) checks that the server stays up, keeps at most one pending
drawing per connection and answers what it answers within 500 ms (it reports the answered share).

`capacity` (issue 18, "The figures") finds the largest drawings/s one server answers with round trip p99 ≤ 50 ms,
none lost and no violation (answered or replaced by a newer one, no error reply, no drop): one server start and
one class for all steps; every student draws at 0.5, 1, 2, 3, 4, 6, 8 ... drawings/s (the ladder stops at 80% of
the server's per-socket message rate, rate_per_s), a step of --duration seconds (default 10) each with the
teacher's views as in the other modes, the drain and a second's pause between steps, until the first step that
misses; then one step halfway between the last that met the aim and that one. Each step prints the drawings
sent and answered a second, replaced, lost, violations, round trip p50/p99/max, the CPU of the server, of the
generator and of other programs, and the generator's loop lag (a lagging generator measures itself too: use
--processes 2); then the capacity (answered/s at the highest rate that met the aim) and the server's CPU ms per
answered drawing there (the teacher's views included, CPU counted until the step's drain), split into its parts
(engine, preprocessing, encoding, answering, websocket, rooms, other) by py-spy's samples of the server during the
step (benchmarks/cpu_parts.py; `pip install py-spy`, else the split is left out). No class step by default. The
generator shares the machine: on 2 cores, its CPU is part of what limits the figure.

`seven` (issue 18, "Everyone draw a 7 now") has all N students draw a full 7 at once as /lenet does: a pointer
event every 1/60 s adds the stroke's next point (lenet_roundtrip's 7, 50 points), each event and the pen-up call
the page's throttled draw (lenet.js: at most one every 40 ms, the last call kept; the drawing is read when the
throttle fires), and the socket sends one drawing at a time, holding only the newest while one is in flight
(static/js/lib/socket.js request(), as --client page). What counts is each stroke's pen-up (one event after its
last point) to its final prediction, the answer to the first drawing with the whole stroke (0 when it came before
the pen-up): p50/p90/p99/max over students and waves, wave by wave, checked against p99 ≤ 150 ms, and every
stroke's final prediction must come. --waves strokes each (default 3), --wave-every seconds apart (default 5),
each student starting within --spread seconds (default 0.5) of the wave; no class step by default.

    python benchmarks/classroom_load.py                                  # SQLite rooms, 1 worker, 300 × 2/s
    python benchmarks/classroom_load.py --mode beyond                    # 300 × 10/s
    python benchmarks/classroom_load.py --mode capacity                  # the largest drawings/s at p99 ≤ 50 ms
    python benchmarks/classroom_load.py --mode seven                     # 300 students draw a 7 at once, 3 times
    python benchmarks/classroom_load.py --workers 2 --redis spawn        # 2 workers, rooms on a spawned Redis
    python benchmarks/classroom_load.py --students 50 --duration 10      # a quick look

Loopback only, bounded in time (the duration, or the steps, plus connecting and a few seconds of drain). The
server runs with its own settings (its environment's, else the defaults), except those too low for N students
from one loopback address, which this script raises and names on the `run` line (each student holds two
websockets and all join at once: max_connections_per_address, max_connections, http_max_concurrency,
room_joins_per_minute, room_max_drawings_per_address), and those given with --set NAME=VALUE
(BACKPROP_LAB_NAME), which are kept as given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import math
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from cpu_parts import Sampler
from lenet_roundtrip import browser_frame, canvases, digit_paths, free_port, start_server
from soak import header, log_errors, rss_mb
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.settings import Settings

logger = logging.getLogger("classroom_load")
Ready = Callable[[dict | None], Awaitable[dict | None]]  # a share's meeting point: its report in, the answer out

OPEN_AT_ONCE = 32  # connections opened concurrently while the class joins
ANSWER_TIMEOUT_S = 30.0  # a handshake or join answer slower than this fails the connection
LAG_TICK_S = 0.05  # the generator's event-loop lag probe
ROUND_TRIP_P50_MS, ROUND_TRIP_P99_MS, BROADCAST_P99_MS, BEYOND_MAX_MS = 10.0, 50.0, 100.0, 500.0
CLASS_STEP_POST_MS, CLASS_STEP_SEEN_MS = 1000.0, 2000.0  # issue 16: computed within 1 s, seen by all within 2 s
CLASS_STEP_WAIT_S = 30.0  # how long students wait for the class step's event before giving up
FLAT_MB, FLAT_GROWTH = 5.0, 0.05  # flat: the second half of the load adds at most 5 MB or 5% (after warm-up)
MODES: dict[str, float | None] = {"target": 2.0, "beyond": 10.0, "capacity": None, "seven": None}  # drawings/s each
CAPACITY_RATES = (0.5, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)  # the ladder of drawings/s per student
CAPACITY_GOAL = 1500.0  # issue 18: drawings/s one process answers with round trip p99 <= 50 ms
STEP_GAP_S = 1.0  # between one capacity step's drain and the next step's start
RATE_MARGIN = 0.8  # capacity steps stay at or below this share of the server's per-socket message rate
POINTER_HZ = 60.0  # --mode seven: pointer events a second while a pen moves (one point each)
PAGE_SEND_EVERY_S = 0.040  # static/js/pages/lenet/lenet.js SEND_EVERY_MS: the page's draws are throttled to this
SEVEN_P99_MS = 150.0  # issue 18: from pen-up to the final prediction, p99 over the class
SHIFT = 12  # drawings are moved by up to this many pixels each way (the digits' margins are wider: no ink wraps)
HTTP_SPARE = 64  # HTTP requests beside the class's websockets (the room's REST calls, /healthz)


# ---- what the load generator saw ----


@dataclass
class Tally:
    """What one generator process saw: plain data, so it crosses a process boundary as a dict."""

    students: int = 0
    sent: int = 0
    answered: int = 0
    replaced: int = 0
    lost: int = 0
    held_in_client: int = 0  # --client page: drawings the page replaced before sending (one in flight)
    older_than_answered: int = 0  # violation: an answer to a drawing older than one already answered
    answered_after_replaced: int = 0  # violation: an answer to a drawing counted replaced (a queue, not an inbox)
    empty_answers: int = 0
    round_trip_ms: list[float] = field(default_factory=list)
    round_trip_sent: list[float] = field(default_factory=list)  # when each answered drawing was sent (monotonic)
    server_ms: list[float] = field(default_factory=list)  # the server's own time for each answer (its header)
    send_late_ms: list[float] = field(default_factory=list)
    loop_lag_ms: list[float] = field(default_factory=list)
    views: list[tuple[int, float]] = field(default_factory=list)  # (view number, receipt time), all students
    errors: Counter = field(default_factory=Counter)  # "socket:code" -> error replies
    dropped: Counter = field(default_factory=Counter)  # "socket:close code" -> connections the server closed
    failures: Counter = field(default_factory=Counter)  # connections that could not be opened or joined
    cpu_s: float = 0.0  # this process's CPU time during the load
    class_step_drawings: int = 0  # --class-step: tagged drawings the gallery took (a `submitted` came back)
    class_step_at: list[float] = field(default_factory=list)  # --class-step: when each student got `class_step`
    pen_up_to_final: list[tuple[int, float]] = field(default_factory=list)  # --mode seven: (wave, ms) per stroke
    finals_missing: int = 0  # --mode seven: strokes whose final prediction never came


def frame_header(message: str | bytes) -> dict:
    """A message's JSON (text) or binary frame header; an unreadable one is reported as such."""
    try:
        return header(message)
    except (ValueError, UnicodeDecodeError):
        return {"type": "unreadable"}


async def open_socket(url: str, first: list[str]) -> ClientConnection:
    """A websocket past the hello, with the given messages sent and each of their first answers read."""
    ws = await connect(
        url, proxy=None, compression=None, max_size=None, open_timeout=ANSWER_TIMEOUT_S, ping_interval=None
    )
    for message in [json.dumps({"type": "hello", "version": 1}), *first]:
        await ws.send(message)
        reply = frame_header(await asyncio.wait_for(ws.recv(), ANSWER_TIMEOUT_S))
        if reply.get("type") == "error":
            await ws.close()
            raise ConnectionError(f"{reply.get('code')}: {reply.get('message')}")
    return ws


class Student:
    """One student tab on /lenet in a room: a room socket that follows the teacher and a lenet socket that draws."""

    def __init__(self, index: int, tally: Tally, drawings: list[np.ndarray], args: argparse.Namespace) -> None:
        self.index, self.tally, self.drawings, self.args = index, tally, drawings, args
        self.rng = random.Random(args.seed * 100_003 + index)
        self.room: ClientConnection | None = None
        self.lenet: ClientConnection | None = None
        self.seq = 0  # the connection's last drawing number: it only grows, across capacity steps and waves too
        self.sent_at: dict[int, float] = {}  # seq -> send time, until answered, replaced or lost
        self.newest_answered = 0
        self.wave = 0  # --mode seven: the stroke being drawn (1, 2, ...)
        self.pen_up = 0.0  # --mode seven: when this wave's pen is lifted (monotonic)
        self.final_from: int | None = None  # --mode seven: the first drawing with the whole stroke, until answered
        self.held: tuple[int, np.ndarray, int, bool] | None = None  # --client page: (seq, canvas, shift, final)
        self.closing = False
        self.submitted = asyncio.Event()  # --class-step: the gallery took this student's tagged drawing
        self.stepped = asyncio.Event()  # --class-step: the class step's event arrived

    async def open(self, base: str, code: str) -> None:
        """Join the room as a student and open /lenet's socket as the page does (hello, describe)."""
        join = json.dumps({"type": "join", "code": code, "name": f"s{self.index}"})
        self.room = await open_socket(f"{base}/ws/room", [join])
        self.lenet = await open_socket(f"{base}/ws/lenet", [json.dumps({"type": "describe"})])

    async def follow(self) -> None:
        """Read the room socket: note every view's number and receipt time, count errors, notice a drop."""
        try:
            async for message in self.room:
                received = time.monotonic()
                event = frame_header(message)
                if event.get("type") == "view":
                    self.tally.views.append((event["state"]["n"], received))
                elif event.get("type") == "submitted":
                    self.submitted.set()
                elif event.get("type") == "class_step" and event.get("step") is not None:
                    self.tally.class_step_at.append(received)
                    self.stepped.set()
                elif event.get("type") == "error":
                    self.tally.errors[f"room:{event.get('code')}"] += 1
        except ConnectionClosed:
            pass
        self.dropped("room", self.room)

    async def read_answers(self) -> None:
        """Read the lenet socket: match each prediction to its drawing, count errors, notice a drop."""
        try:
            async for message in self.lenet:
                reply = frame_header(message)
                if reply.get("type") == "error":
                    self.tally.errors[f"lenet:{reply.get('code')}"] += 1
                elif "seq" in reply:
                    await self.answered(reply)
        except ConnectionClosed:
            pass
        self.dropped("lenet", self.lenet)

    async def answered(self, reply: dict) -> None:
        """A prediction arrived: its round trip; the drawings older than it were replaced by the server."""
        now, seq = time.monotonic(), reply["seq"]
        sent = self.sent_at.pop(seq, None)
        if sent is None:
            self.tally.answered_after_replaced += 1
            return
        self.tally.answered += 1
        self.tally.empty_answers += bool(reply.get("empty"))
        self.tally.round_trip_ms.append((now - sent) * 1e3)
        self.tally.round_trip_sent.append(sent)
        self.tally.server_ms.append(reply.get("server_ms", 0.0))
        if seq < self.newest_answered:
            self.tally.older_than_answered += 1
        self.newest_answered = max(self.newest_answered, seq)
        if self.final_from is not None and seq >= self.final_from:
            self.tally.pen_up_to_final.append((self.wave, max(0.0, now - self.pen_up) * 1e3))
            self.final_from = None
        for older in [s for s in self.sent_at if s < seq]:
            del self.sent_at[older]
            self.tally.replaced += 1
        if self.held is not None and not self.closing:
            held, self.held = self.held, None
            await self.send(*held)

    def dropped(self, name: str, ws: ClientConnection) -> None:
        """Count a connection the server closed before the load generator did."""
        if not self.closing:
            self.tally.dropped[f"{name}:{ws.close_code if ws.close_code is not None else 1006}"] += 1

    async def draw(self, start: float, stop: float, rate: float) -> None:
        """Send drawings at the rate, from a random phase, until stop; late sends are noted, never skipped."""
        interval = 1 / rate
        phase, number = self.rng.uniform(0, interval), 0
        while (due := start + phase + number * interval) < stop and not self.closing:
            await self.wait_until(due)
            number += 1
            canvas = self.drawings[(self.index * 7 + self.seq + 1) % len(self.drawings)]
            await self.request(canvas, self.index + 97 * self.seq)

    async def draw_sevens(self, start: float, sevens: list[np.ndarray]) -> None:
        """--mode seven: in each wave, from a random moment within the spread, draw a 7 as the page sends it: a
        drawing at each throttled send, with the points drawn so far (page_sends), then lift the pen."""
        sends = page_sends(len(sevens))
        for wave in range(self.args.waves):
            begin = start + wave * self.args.wave_every + self.rng.uniform(0, self.args.spread)
            await asyncio.sleep(max(0.0, begin - time.monotonic()))
            if self.final_from is not None:  # the last wave's final prediction never came
                self.tally.finals_missing += 1
            self.wave, self.pen_up, self.final_from = wave + 1, begin + len(sevens) / POINTER_HZ, None
            for n, (offset, points) in enumerate(sends, 1):
                if self.closing:
                    return
                await self.wait_until(begin + offset)
                if points == len(sevens) and self.final_from is None:
                    self.final_from = self.seq + 1
                await self.request(sevens[points - 1], self.index + 97 * wave, final=n == len(sends))

    async def wait_until(self, due: float) -> None:
        """Sleep until a send is due; how late it is, is noted."""
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self.tally.send_late_ms.append(max(0.0, -delay) * 1e3)

    async def request(self, canvas: np.ndarray, shift: int, final: bool = False) -> None:
        """A drawing (moved by the shift-th shift) with the next number, sent now; the page (--client page, --mode
        seven) holds it back instead while one is in flight, keeping only the newest (static/js/lib/socket.js
        request()). A held drawing's frame is built only if it is sent: the generator's time goes to sending.
        `final`: the drawing sent at pen-up, flagged and sent at once as lenet.js does (socket.js request() with
        now), the one held back dropped."""
        self.seq += 1
        if self.args.client == "page" and self.sent_at:
            self.tally.held_in_client += self.held is not None
            self.held = None if final else (self.seq, canvas, shift, final)
            if not final:
                return
        await self.send(self.seq, canvas, shift, final)

    async def send(self, seq: int, canvas: np.ndarray, shift: int, final: bool = False) -> None:
        """Send one drawing in the page's frame, its clock started once the frame is built."""
        fields = {"type": "draw", "preprocess": "mnist", "explain": False, "target": None, "seq": seq}
        if final:
            fields["final"] = True
        frame = browser_frame(fields, shifted(canvas, shift))
        self.sent_at[seq] = time.monotonic()
        self.tally.sent += 1
        try:
            await self.lenet.send(frame)
        except ConnectionClosed:
            self.sent_at.pop(seq, None)
            self.tally.sent -= 1

    async def submit_tagged(self) -> None:
        """--class-step: send one drawing to the room's gallery, tagged with a digit, and wait for it to be taken."""
        canvas = self.drawings[(self.index * 7) % len(self.drawings)]
        frame = browser_frame({"type": "submit", "preprocess": "mnist", "tag": self.index % 10}, canvas)
        try:
            await self.room.send(frame)
            await asyncio.wait_for(self.submitted.wait(), ANSWER_TIMEOUT_S)
        except (ConnectionClosed, TimeoutError):
            return

    def settle(self) -> None:
        """After the drain: drawings with neither an answer nor a newer answered one are lost."""
        self.tally.lost += len(self.sent_at)
        self.sent_at.clear()
        self.tally.held_in_client += self.held is not None
        self.held = None
        self.tally.finals_missing += self.final_from is not None
        self.final_from = None

    async def close(self) -> None:
        """Leave: close both sockets (not counted as drops)."""
        self.closing = True
        for ws in (self.room, self.lenet):
            if ws is not None:
                await ws.close()


def shifted(canvas: np.ndarray, number: int) -> np.ndarray:
    """The drawing moved by the number-th of (2·SHIFT + 1)² shifts: the same digit in other bytes, so that students'
    drawings differ as real ones do and the server's answer cache (app/services/answer_cache.py, keyed on the bytes)
    does not answer for the compute."""
    side = 2 * SHIFT + 1
    dy, dx = divmod(number % side**2, side)
    return np.roll(canvas, (dy - SHIFT, dx - SHIFT), axis=(0, 1))


def page_sends(points: int) -> list[tuple[float, int]]:
    """When the page sends a drawing while a stroke of `points` pointer events is drawn at POINTER_HZ (seconds from
    pen-down), and how many points each carries: lenet.js calls a throttled sendDraw on every pointer event and on
    pen-up (throttle.js: at most once per PAGE_SEND_EVERY_S, the trailing call kept), and sendDraw reads the pad as
    it is when it fires. Pen-up comes one event after the last point, at points / POINTER_HZ."""
    calls = [k / POINTER_HZ for k in range(points + 1)]  # pen-down, the moves, pen-up
    fired: list[float] = []
    last, timer = -math.inf, None
    for call in calls:
        if timer is not None and timer < call:
            fired.append(timer)
            last, timer = timer, None
        if timer is None:
            timer = max(call, last + PAGE_SEND_EVERY_S)
    fired.append(timer)
    return [(at, min(points, math.floor(at * POINTER_HZ + 1e-9) + 1)) for at in fired]  # events up to `at` included


def seven_canvases() -> list[np.ndarray]:
    """The 7 of lenet_roundtrip's digits after each of its pen points: 140×140 ink bytes."""
    return canvases()[-len(digit_paths()[-1]) :]


async def lag_probe(tally: Tally, stop: float) -> None:
    """How late this process's event loop wakes up: a busy generator inflates every latency it measures."""
    while (now := time.monotonic()) < stop:
        await asyncio.sleep(LAG_TICK_S)
        tally.loop_lag_ms.append(max(0.0, time.monotonic() - now - LAG_TICK_S) * 1e3)


async def open_students(
    indices: list[int], base: str, code: str, tally: Tally, args: argparse.Namespace
) -> list[Student]:
    """Connect and join the students, a few at a time; the ones that fail are counted, not retried."""
    drawings = [c for c in canvases() if (c > 127).mean() > 0.03]  # strokes long enough to be read as a digit
    gate = asyncio.Semaphore(OPEN_AT_ONCE)

    async def one(index: int) -> Student | None:
        """One student connected and joined, or None (counted) when that failed."""
        student = Student(index, tally, drawings, args)
        async with gate:
            try:
                await student.open(base, code)
            except (OSError, ConnectionClosed, TimeoutError, ConnectionError) as exc:
                tally.failures[type(exc).__name__] += 1
                await student.close()
                return None
        return student

    students = [s for s in await asyncio.gather(*[one(i) for i in indices]) if s is not None]
    tally.students = len(students)
    return students


async def run_students(indices: list[int], base: str, code: str, args: argparse.Namespace, ready: Ready) -> dict:
    """One generator process's share of the class: connect, report ready, then run each load the parent starts
    (one; a capacity step each) and report its tally (capacity), drain, leave; its Tally as a dict."""
    tally = Tally()
    students = await open_students(indices, base, code, tally, args)
    readers = [asyncio.create_task(task) for s in students for task in (s.follow(), s.read_answers())]
    gc.collect()
    gc.freeze()  # the measuring instrument must not pause: no collection walks the class's sockets during the load
    gc.disable()
    go = await ready(None)
    while go is not None:
        step = Tally(students=tally.students) if args.mode == "capacity" else tally
        for student in students:
            student.tally = step
        await load(students, step, args, go)
        gc.collect()  # between loads, while nothing is measured
        go = await ready(dict(vars(step)) if step is not tally else None)
    for student in students:
        student.tally = tally
    gc.enable()
    gc.unfreeze()
    if args.class_step:
        await class_step_share(students, tally, ready)
    await asyncio.gather(*[s.close() for s in students], return_exceptions=True)
    await asyncio.gather(*readers, return_exceptions=True)
    return dict(vars(tally))


async def load(students: list[Student], tally: Tally, args: argparse.Namespace, go: dict) -> None:
    """One load from go's start: every student draws at go's rate for go's seconds (or a 7 in each wave), then the
    drain; what was not answered by then is settled."""
    start, stop = go["start"], go["start"] + go["seconds"]
    sevens = seven_canvases() if args.mode == "seven" else []
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    cpu = time.process_time()
    probe = asyncio.create_task(lag_probe(tally, stop))
    if sevens:
        await asyncio.gather(*[s.draw_sevens(start, sevens) for s in students])
    else:
        await asyncio.gather(*[s.draw(start, stop, go["rate"]) for s in students])
    tally.cpu_s = time.process_time() - cpu
    await probe
    drain_until = time.monotonic() + args.drain
    while time.monotonic() < drain_until and any(s.sent_at or s.held for s in students):
        await asyncio.sleep(0.05)
    for student in students:
        student.settle()


async def class_step_share(students: list[Student], tally: Tally, ready: Ready) -> None:
    """--class-step, after the load: every student sends one tagged drawing to the gallery; once every share has,
    the teacher runs a class step on them (POST /api/rooms/{code}/batch), and each student waits for its event."""
    await asyncio.gather(*[s.submit_tagged() for s in students])
    tally.class_step_drawings = sum(s.submitted.is_set() for s in students)
    await ready(None)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*[s.stepped.wait() for s in students]), CLASS_STEP_WAIT_S)


def generator_process(pipe, indices: list[int], base: str, code: str, args: argparse.Namespace) -> None:
    """A second (third, ...) generator process: its students, run when the parent says, its tally sent back."""

    async def ready(report: dict | None) -> dict | None:
        """Tell the parent this share reached the next meeting point (with its report); the parent's answer."""
        pipe.send(report)
        return await asyncio.to_thread(pipe.recv)

    pipe.send(asyncio.run(run_students(indices, base, code, args, ready)))


class Meeting:
    """The parent's side of the shares' meeting points: every share reports (its own share through report(), the
    others through their pipes), then all get the same answer."""

    def __init__(self, pipes: list) -> None:
        self.pipes = pipes
        self.reports: asyncio.Queue[dict | None] = asyncio.Queue()
        self.answers: asyncio.Queue[dict | None] = asyncio.Queue()

    async def report(self, report: dict | None) -> dict | None:
        """The parent's own share's `ready`: report, then wait for the answer."""
        self.reports.put_nowait(report)
        return await self.answers.get()

    async def gather(self) -> list[dict | None]:
        """Every share's report at the next meeting point, the parent's own first."""
        return [await self.reports.get()] + [await asyncio.to_thread(pipe.recv) for pipe in self.pipes]

    def answer(self, answer: dict | None) -> None:
        """The same answer to every share."""
        self.answers.put_nowait(answer)
        for pipe in self.pipes:
            pipe.send(answer)


# ---- the teacher ----


@dataclass
class Teacher:
    """The teacher's room socket: sends numbered views; notes when each was sent."""

    ws: ClientConnection
    sent: dict[int, float] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    closing: bool = False

    async def listen(self) -> None:
        """Read the teacher's events (student counts, ...): count errors, notice a drop."""
        try:
            async for message in self.ws:
                event = frame_header(message)
                if event.get("type") == "error":
                    self.errors[f"teacher:{event.get('code')}"] += 1
        except ConnectionClosed:
            pass
        if not self.closing:
            self.dropped[f"teacher:{self.ws.close_code}"] += 1

    async def broadcast(self, start: float, stop: float, rate: float, view_bytes: int) -> None:
        """Views at the rate: the LeNet page with the digit the teacher draws (strokes padding it to view_bytes);
        their numbers go on from the last load's."""
        strokes = [
            [round(70 + 40 * np.cos(t), 1), round(70 + 40 * np.sin(t), 1)]
            for t in np.linspace(0, 2 * np.pi, max(1, view_bytes // 14))
        ]
        number = first = len(self.sent)
        while rate > 0 and (due := start + (number - first) / rate) < stop:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            number += 1
            view = {
                "type": "view",
                "page": "/lenet",
                "query": "?preprocess=mnist",
                "anchor": "",
                "state": {"n": number, "strokes": strokes},
            }
            text = json.dumps(view)
            self.sent[number] = time.monotonic()
            await self.ws.send(text)


# ---- the server, Redis, /proc ----


def spawn_redis() -> tuple[subprocess.Popen, str]:
    """A throwaway redis-server on a free loopback port, no persistence; its process and URL."""
    port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return redis, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.1)
    redis.kill()
    raise SystemExit("redis-server did not answer PING within 10 s")


def process_tree(root: int) -> list[int]:
    """The process and all its descendants (uvicorn's workers), from /proc."""
    children = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children[int(fields[1])].append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children[pid])
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of these processes so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU seconds all cores of the machine spent busy so far (/proc/stat): minus the server's, Redis's and the
    generator's, what other programs on the machine took during the load."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def tree_rss_mb(root: int) -> float:
    """RSS summed over the process and its descendants (shared pages counted once per process)."""
    total = 0.0
    for pid in process_tree(root):
        try:
            total += rss_mb(pid)
        except OSError:
            continue
    return round(total, 1)


def post_json(url: str) -> dict:
    """POST without a body; the JSON answer."""
    with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=10) as response:
        return json.loads(response.read())


def post_class_step(http: str, room: dict) -> dict:
    """The teacher's class step on the room's tagged drawings: when it was asked for (monotonic), how long the POST
    took, its HTTP status and how many drawings it ran on."""
    request = urllib.request.Request(
        f"{http}/api/rooms/{room['code']}/batch",
        data=json.dumps({"lr": 0.05}).encode(),
        headers={"X-Teacher-Key": room["key"], "Content-Type": "application/json"},
        method="POST",
    )
    asked = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, answer = response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        status, answer = refused.code, {}
    took = time.monotonic() - asked
    return {
        "asked": asked,
        "post_ms": round(1e3 * took, 1),
        "status": status,
        "drawings": len(answer.get("submissions", [])),
    }


def get_json(url: str) -> dict:
    """GET; the JSON answer."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


async def sample_server(root: int, every: float, stop: float, samples: list[tuple[float, float, float]]) -> None:
    """The server's RSS and its CPU use since the previous sample (% of one core), every few seconds until stop
    (and once at stop)."""
    started = last = time.monotonic()
    cpu = cpu_seconds(process_tree(root))
    while True:
        now, used = time.monotonic(), cpu_seconds(process_tree(root))
        share = 100 * (used - cpu) / (now - last) if now > last else 0.0
        samples.append((round(now - started, 1), tree_rss_mb(root), round(share, 1)))
        last, cpu = now, used
        if time.monotonic() >= stop:
            return
        await asyncio.sleep(min(every, max(0.0, stop - time.monotonic())))


# ---- the run ----


async def run(args: argparse.Namespace, server: subprocess.Popen, base: str) -> dict:
    """Open the room and the class, run the load (or the capacity steps), gather what every process saw."""
    room = await asyncio.to_thread(post_json, f"http{base.removeprefix('ws')}/api/rooms")
    code = room["code"]
    join = json.dumps({"type": "join", "code": code, "key": room["key"]})
    teacher = Teacher(await open_socket(f"{base}/ws/room", [join]))
    listening = asyncio.create_task(teacher.listen())
    rss_idle = tree_rss_mb(server.pid)
    shares = [list(range(args.students))[p :: args.processes] for p in range(args.processes)]
    context = multiprocessing.get_context("fork")
    pipes, children = [], []
    for share in shares[1:]:
        mine, theirs = context.Pipe()
        child = context.Process(target=generator_process, args=(theirs, share, base, code, args), daemon=True)
        child.start()
        pipes.append(mine)
        children.append(child)
    # The shares meet the parent: connected (answered with each load's start, its seconds and rate), after each
    # load (with its tally in capacity mode; answered with the next load, or None), then, with --class-step, their
    # tagged drawings sent (answered with the time the teacher's class step was asked for).
    connect_began = time.monotonic()
    meeting = Meeting(pipes)
    own = asyncio.create_task(run_students(shares[0], base, code, args, meeting.report))
    await meeting.gather()  # every share connected
    connect_s = time.monotonic() - connect_began
    info = await asyncio.to_thread(get_json, f"http{base.removeprefix('ws')}/api/rooms/{code}")
    if args.mode == "capacity":
        measured = {"steps": await capacity_steps(args, meeting, teacher, server.pid)}
    else:
        measured = await one_load(args, meeting, teacher, server.pid)
    meeting.answer(None)  # no more loads
    class_step = None
    if args.class_step:
        await meeting.gather()  # every share's tagged drawings sent
        class_step = await asyncio.to_thread(post_class_step, f"http{base.removeprefix('ws')}", room)
        meeting.answer({"asked": class_step["asked"]})
    tallies = [await own] + [await asyncio.to_thread(pipe.recv) for pipe in pipes]
    for child in children:
        child.join(10)
    teacher.closing = True
    await teacher.ws.close()
    await listening
    alive = server.poll() is None and await asyncio.to_thread(healthy, base)
    return {
        "room": code,
        "students_in_room": info["students"],
        "connect_s": round(connect_s, 1),
        "rss_idle_mb": rss_idle,
        "tallies": tallies,
        "teacher": teacher,
        "server_alive": alive,
        "class_step": class_step,
        **measured,
    }


async def one_load(args: argparse.Namespace, meeting: Meeting, teacher: Teacher, server: int) -> dict:
    """The load of the target, beyond and seven modes, the server's RSS and CPU sampled meanwhile: its start, the
    samples and the CPU seconds the server, Redis and the whole machine used."""
    start = time.monotonic() + 1.0
    stop = start + args.duration
    meeting.answer({"start": start, "seconds": args.duration, "rate": args.rate})
    await asyncio.sleep(start - time.monotonic())
    server_cpu, machine = cpu_seconds(process_tree(server)), machine_busy_s()
    redis_cpu = cpu_seconds([args.redis_process.pid]) if args.redis_process else 0.0
    samples: list[tuple[float, float, float]] = []
    sampler = asyncio.create_task(sample_server(server, args.sample_every, stop, samples))
    await teacher.broadcast(start, stop, args.views, args.view_bytes)
    await sampler
    cpu = {
        "server": cpu_seconds(process_tree(server)) - server_cpu,
        "machine": machine_busy_s() - machine,
        "redis": (cpu_seconds([args.redis_process.pid]) - redis_cpu) if args.redis_process else None,
    }
    await meeting.gather()  # every share drained
    return {"start": start, "rss_samples": samples, "cpu_s": cpu}


async def capacity_steps(args: argparse.Namespace, meeting: Meeting, teacher: Teacher, server: int) -> list[dict]:
    """--mode capacity: a step at each rate of the ladder until one misses the aim, then one halfway between the
    last that met it and that one; each step's figures."""
    steps: list[dict] = []
    for rate in args.ladder:
        steps.append(await capacity_step(args, meeting, teacher, server, rate))
        if not steps[-1]["met"]:
            break
    met = [step for step in steps if step["met"]]
    if met and not steps[-1]["met"]:
        between = (met[-1]["rate_per_student"] + steps[-1]["rate_per_student"]) / 2
        steps.append(await capacity_step(args, meeting, teacher, server, between))
    return steps


async def capacity_step(args: argparse.Namespace, meeting: Meeting, teacher: Teacher, server: int, rate: float) -> dict:
    """One capacity step: every student draws at the rate for args.duration seconds, the teacher's views as in the
    other modes, then the drain; its figures, the server's CPU over the load (and per answered drawing, the drain
    included) and whether it met the aim."""
    start = time.monotonic() + STEP_GAP_S
    stop = start + args.duration
    meeting.answer({"start": start, "seconds": args.duration, "rate": rate})
    await asyncio.sleep(start - time.monotonic())
    sampler = Sampler(server, args.duration, Path(tempfile.mkdtemp(prefix="classroom-load-")) / f"{rate:g}.txt")
    server_cpu, machine = cpu_seconds(process_tree(server)), machine_busy_s()
    redis_cpu = cpu_seconds([args.redis_process.pid]) if args.redis_process else 0.0
    await teacher.broadcast(start, stop, args.views, args.view_bytes)
    await asyncio.sleep(max(0.0, stop - time.monotonic()))
    load_cpu, machine = cpu_seconds(process_tree(server)) - server_cpu, machine_busy_s() - machine
    redis_cpu = cpu_seconds([args.redis_process.pid]) - redis_cpu if args.redis_process else 0.0
    reports = [report for report in await meeting.gather() if report is not None]
    drained_cpu = cpu_seconds(process_tree(server)) - server_cpu
    tally = merge(reports)
    generator = [report["cpu_s"] for report in reports]
    rt = quantiles(tally["round_trip_ms"])
    violations = tally["older_than_answered"] + tally["answered_after_replaced"]
    step = {
        "rate_per_student": rate,
        "sent_per_s": round(tally["sent"] / args.duration, 1),
        "answered_per_s": round(tally["answered"] / args.duration, 1),
        "sent": tally["sent"],
        "answered": tally["answered"],
        "replaced": tally["replaced"],
        "lost": tally["lost"],
        "violations": violations,
        "round_trip_ms": rt,
        "server_cpu_percent": round(100 * load_cpu / args.duration, 1),
        "server_cpu_ms_per_answered": round(1e3 * drained_cpu / tally["answered"], 3) if tally["answered"] else None,
        "server_cpu_shares": {part: round(share, 3) for part, share in sampler.shares().items()},
        "generator_cpu_percent": [round(100 * cpu / args.duration, 1) for cpu in generator],
        "generator_loop_lag_p99_ms": quantiles(tally["loop_lag_ms"]).get("p99"),
        "other_programs_percent": round(100 * (machine - load_cpu - redis_cpu - sum(generator)) / args.duration, 1),
        "dropped": dict(tally.get("dropped", {})),
        "errors": dict(tally.get("errors", {})),
    }
    step["met"] = (
        tally["sent"] > 0
        and rt.get("p99", 1e9) <= ROUND_TRIP_P99_MS
        and tally["lost"] == 0
        and violations == 0
        and not step["dropped"]
        and not step["errors"]
    )
    logger.info(
        "step %g/s per student: %s/s answered of %s/s sent, p99 %s ms, server %s%% -> %s",
        rate,
        step["answered_per_s"],
        step["sent_per_s"],
        rt.get("p99"),
        step["server_cpu_percent"],
        "met" if step["met"] else "missed",
    )
    return step


def healthy(base: str) -> bool:
    """Whether /healthz still answers."""
    try:
        with urllib.request.urlopen(f"http{base.removeprefix('ws')}/healthz", timeout=5):
            return True
    except OSError:
        return False


# ---- the figures ----


def quantiles(values: list[float], qs: tuple[float, ...] = (0.5, 0.9, 0.99)) -> dict[str, float | int]:
    """Count, the given percentiles (nearest rank) and the maximum of a list of milliseconds."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    picked = {f"p{round(q * 100)}": round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1) for q in qs}
    return {"n": len(ordered), **picked, "max": round(ordered[-1], 1)}


def merge(tallies: list[dict]) -> dict:
    """The generator processes' tallies as one."""
    merged: dict = {}
    for tally in tallies:
        for name, value in tally.items():
            if isinstance(value, list):
                merged.setdefault(name, []).extend(value)
            elif isinstance(value, dict):
                merged.setdefault(name, Counter()).update(value)
            else:
                merged[name] = merged.get(name, 0) + value
    return merged


def by_window(at: list[float], values: list[float], start: float, width: float) -> list[dict]:
    """Quantiles of the values in each window of `width` seconds of the load (by when each was sent): warm-up
    and stalls show up here, where the whole run's percentiles hide when they happened."""
    windows: dict[int, list[float]] = defaultdict(list)
    for when, value in zip(at, values, strict=True):
        windows[int((when - start) // width)].append(value)
    return [{"from_s": round(i * width, 1), **quantiles(windows[i], (0.5, 0.99))} for i in sorted(windows)]


def broadcasts(
    sent: dict[int, float], receipts: list[tuple[int, float]], students: int, start: float, width: float
) -> dict:
    """Per view: did every student get it, and how long until the last one did; per receipt latencies."""
    received: dict[int, list[float]] = defaultdict(list)
    for number, at in receipts:
        received[number].append(at)
    to_all, to_all_sent, each, partial = [], [], [], 0
    for number, at in sent.items():
        times = received.get(number, [])
        each.extend((t - at) * 1e3 for t in times)
        if len(times) >= students:
            to_all.append((max(times) - at) * 1e3)
            to_all_sent.append(at)
        else:
            partial += 1
    return {
        "views_sent": len(sent),
        "views_reaching_all": len(to_all),
        "views_missed_by_someone": partial,
        "receipts": len(each),
        "receipts_expected": len(sent) * students,
        "to_all_ms": quantiles(to_all),
        "per_receipt_ms": quantiles(each),
        "to_all_by_window": by_window(to_all_sent, to_all, start, width),
    }


def figures(args: argparse.Namespace, result: dict, log: Path) -> dict:
    """Everything measured, as one JSON-able dict."""
    tally = merge(result["tallies"])
    teacher: Teacher = result["teacher"]
    samples = result["rss_samples"]
    rss = {
        "idle_before_class": result["rss_idle_mb"],
        "start": samples[0][1],
        "middle": samples[len(samples) // 2][1],
        "end": samples[-1][1],
        "max": max(mb for _, mb, _ in samples),
        "samples": samples,
    }
    rss["growth_mb"] = round(rss["end"] - rss["start"], 1)
    rss["second_half_growth_mb"] = round(rss["end"] - rss["middle"], 1)
    window, width = args.duration, args.duration / args.windows
    cpu = result["cpu_s"]
    generator = [round(100 * t["cpu_s"] / window, 1) for t in result["tallies"]]  # the first: with the teacher
    others = cpu["machine"] - cpu["server"] - (cpu["redis"] or 0) - sum(t["cpu_s"] for t in result["tallies"])
    sent = tally["sent"]
    return {
        **described(args, result, tally),
        "drawings": {
            "sent": sent,
            "answered": tally["answered"],
            "replaced": tally["replaced"],
            "lost": tally["lost"],
            "answered_share": round(tally["answered"] / sent, 4) if sent else None,
            "empty_answers": tally["empty_answers"],
            "held_in_client": tally["held_in_client"],
            "older_than_answered": tally["older_than_answered"],
            "answered_after_replaced": tally["answered_after_replaced"],
            "answered_per_s": round(tally["answered"] / window, 1),
        },
        "round_trip_ms": quantiles(tally["round_trip_ms"]),
        "server_compute_ms": quantiles(tally["server_ms"]),
        "round_trip_by_window": by_window(tally["round_trip_sent"], tally["round_trip_ms"], result["start"], width),
        "broadcast": broadcasts(teacher.sent, tally["views"], tally["students"], result["start"], width),
        "dropped": dict(tally["dropped"] + teacher.dropped),
        "errors": dict(tally["errors"] + teacher.errors),
        "connect_failures": dict(tally["failures"]),
        "server_rss_mb": rss,
        "cpu_percent_of_one_core": {
            "server": round(100 * cpu["server"] / window, 1),
            "redis": None if cpu["redis"] is None else round(100 * cpu["redis"] / window, 1),
            "generator_processes": generator,
            "machine_busy": round(100 * cpu["machine"] / window, 1),
            "other_programs": round(100 * others / window, 1),
            "cores": os.cpu_count(),
        },
        "generator": {"send_late_ms": quantiles(tally["send_late_ms"]), "loop_lag_ms": quantiles(tally["loop_lag_ms"])},
        "seven": seven_figures(tally, args) if args.mode == "seven" else None,
        **ending(result, tally, log),
    }


def described(args: argparse.Namespace, result: dict, tally: dict) -> dict:
    """What was run: the mode, the class, the server's shape and the settings this script raised for the class."""
    return {
        "mode": args.mode,
        "students": args.students,
        "students_connected": tally["students"],
        "students_in_room": result["students_in_room"],
        "rate_per_student": args.rate,
        "client": args.client,
        "duration_s": args.duration,
        "views_per_s": args.views,
        "workers": args.workers,
        "rooms": "redis" if args.redis_url else dict(item.split("=", 1) for item in args.set).get("rooms", "sqlite"),
        "generator_processes": args.processes,
        "settings_raised": args.raised,
        "settings_given": args.set,
        "waves": args.waves,
        "wave_every_s": args.wave_every,
        "spread_s": args.spread,
        "connect_s": result["connect_s"],
    }


def ending(result: dict, tally: dict, log: Path) -> dict:
    """How the run ended: the server alive, the class step, the server log's errors."""
    return {
        "server_alive_after": result["server_alive"],
        "class_step": class_step_figures(result["class_step"], tally),
        "server_log": str(log),
        "server_log_errors": len(errors := log_errors(log)),
        "server_log_error_lines": sorted(set(errors))[:10],
    }


def seven_figures(tally: dict, args: argparse.Namespace) -> dict:
    """--mode seven: from each stroke's pen-up to its final prediction, over the class and wave by wave."""
    waves: dict[int, list[float]] = defaultdict(list)
    for wave, ms in tally["pen_up_to_final"]:
        waves[wave].append(ms)
    return {
        "strokes": tally["students"] * args.waves,
        "finals": len(tally["pen_up_to_final"]),
        "finals_missing": tally["finals_missing"],
        "pen_up_to_final_ms": quantiles([ms for _, ms in tally["pen_up_to_final"]]),
        "by_wave": [{"wave": wave, **quantiles(waves[wave], (0.5, 0.99))} for wave in sorted(waves)],
        "sends_per_stroke": len(page_sends(len(digit_paths()[-1]))),
    }


def capacity_figures(args: argparse.Namespace, result: dict, log: Path) -> dict:
    """--mode capacity: every step's figures, the capacity (the step that met the aim at the highest rate) and the
    server's CPU per answered drawing there."""
    tally = merge(result["tallies"])
    steps = result["steps"]
    met = [step for step in steps if step["met"]]
    best = max(met, key=lambda step: step["rate_per_student"]) if met else None
    teacher: Teacher = result["teacher"]
    return {
        **described(args, result, tally),
        "ladder": args.ladder,
        "steps": steps,
        "capacity": None
        if best is None
        else {
            "answered_per_s": best["answered_per_s"],
            "rate_per_student": best["rate_per_student"],
            "round_trip_p99_ms": best["round_trip_ms"].get("p99"),
            "server_cpu_ms_per_answered": best["server_cpu_ms_per_answered"],
            "server_cpu_shares": best["server_cpu_shares"],
            "top_of_ladder": all(step["met"] for step in steps),
        },
        "dropped": dict(sum((Counter(s["dropped"]) for s in steps), tally["dropped"] + teacher.dropped)),
        "errors": dict(sum((Counter(s["errors"]) for s in steps), tally["errors"] + teacher.errors)),
        "connect_failures": dict(tally["failures"]),
        **ending(result, tally, log),
    }


def class_step_figures(step: dict | None, tally: dict) -> dict | None:
    """--class-step: the drawings sent and stepped on, the POST's time, and from the ask to each student's event."""
    if step is None:
        return None
    receipts = [1e3 * (at - step["asked"]) for at in tally["class_step_at"]]
    return {
        "drawings_sent": tally["class_step_drawings"],
        "drawings_in_step": step["drawings"],
        "status": step["status"],
        "post_ms": step["post_ms"],
        "students_reached": len(receipts),
        "to_each_student_ms": quantiles(receipts),
        "to_all_ms": round(max(receipts), 1) if len(receipts) == tally["students"] and receipts else None,
    }


def checks(f: dict) -> list[tuple[str, bool]]:
    """The issue's targets for this mode, each with whether it was met."""
    common = [
        ("no dropped connection", not f["dropped"] and not f["connect_failures"]),
        ("server up after the run", f["server_alive_after"]),
        ("no errors in the server log", not f["server_log_errors"]),
    ]
    if (step := f["class_step"]) is not None:
        common += [
            (
                f"class step answered within {CLASS_STEP_POST_MS:g} ms",
                step["status"] == 200 and step["post_ms"] <= CLASS_STEP_POST_MS,
            ),
            (
                f"class step seen by every student within {CLASS_STEP_SEEN_MS:g} ms",
                step["to_all_ms"] is not None and step["to_all_ms"] <= CLASS_STEP_SEEN_MS,
            ),
        ]
    if f["mode"] == "capacity":
        capacity = f["capacity"]
        return common + [
            (f"a step answered with round trip p99 <= {ROUND_TRIP_P99_MS:g} ms, none lost", capacity is not None),
            (
                f"capacity >= {CAPACITY_GOAL:g} drawings/s (issue 18)",
                capacity is not None and capacity["answered_per_s"] >= CAPACITY_GOAL,
            ),
        ]
    d, rt, bc, rss = f["drawings"], f["round_trip_ms"], f["broadcast"], f["server_rss_mb"]
    if f["mode"] == "seven":
        seven = f["seven"]
        return common + [
            (
                "no answer older than an answered or replaced one",
                d["older_than_answered"] + d["answered_after_replaced"] == 0,
            ),
            ("no drawing lost", d["lost"] == 0),
            (
                "every stroke's final prediction came",
                seven["finals"] == seven["strokes"] and not seven["finals_missing"],
            ),
            (
                f"pen-up -> final prediction p99 <= {SEVEN_P99_MS:g} ms",
                seven["pen_up_to_final_ms"].get("p99", 1e9) <= SEVEN_P99_MS,
            ),
        ]
    if f["mode"] == "beyond":
        return common + [
            (
                "at most one pending drawing per connection (no answer older than an answered or replaced one)",
                d["older_than_answered"] == 0 and d["answered_after_replaced"] == 0,
            ),
            (f"answered drawings within {BEYOND_MAX_MS:g} ms (max)", rt.get("max", 0) <= BEYOND_MAX_MS),
        ]
    flat = rss["end"] - rss["middle"] <= max(FLAT_MB, FLAT_GROWTH * rss["middle"])
    return common + [
        ("every drawing answered", d["answered"] == d["sent"] and d["sent"] > 0),
        (f"round trip p50 <= {ROUND_TRIP_P50_MS:g} ms", rt.get("p50", 1e9) <= ROUND_TRIP_P50_MS),
        (f"round trip p99 <= {ROUND_TRIP_P99_MS:g} ms", rt.get("p99", 1e9) <= ROUND_TRIP_P99_MS),
        ("every view reached every student", bc["views_missed_by_someone"] == 0),
        (f"view to all students p99 <= {BROADCAST_P99_MS:g} ms", bc["to_all_ms"].get("p99", 1e9) <= BROADCAST_P99_MS),
        (f"server memory flat (second half adds <= {FLAT_MB:g} MB or {100 * FLAT_GROWTH:g}%)", flat),
    ]


def windows(rows: list[dict]) -> str:
    """Per-window quantiles on one line: `0s: 8.1/40/90 | 10s: ...`."""
    return " | ".join(f"{w['from_s']:g}s: {w.get('p50', '-')}/{w.get('p99', '-')}/{w.get('max', '-')}" for w in rows)


def table(f: dict) -> str:
    """The summary table."""
    d, rt, bc, rss, cpu, gen = (
        f["drawings"],
        f["round_trip_ms"],
        f["broadcast"],
        f["server_rss_mb"],
        f["cpu_percent_of_one_core"],
        f["generator"],
    )
    rows = [
        ("run", run_line(f)),
        (
            "connected / in room",
            f"{f['students_connected']} / {f['students_in_room']} students (joined in {f['connect_s']} s)",
        ),
        *seven_rows(f["seven"]),
        ("drawings sent", d["sent"]),
        (
            "answered",
            f"{d['answered']} ({100 * (d['answered_share'] or 0):.2f}%, {d['answered_per_s']}/s; "
            f"{d['empty_answers']} read as empty)",
        ),
        ("replaced by a newer (latest wins)", d["replaced"]),
        ("replaced in the page before sending", d["held_in_client"] if f["client"] == "page" else "-"),
        ("lost (no answer, none newer)", d["lost"]),
        ("violations (older / after replaced)", f"{d['older_than_answered']} / {d['answered_after_replaced']}"),
        ("round trip ms p50/p90/p99/max", ms(rt)),
        ("server's own time ms p50/p90/p99/max", ms(f["server_compute_ms"])),
        ("round trip p50/p99/max by window", windows(f["round_trip_by_window"])),
        (
            "views reaching all students",
            f"{bc['views_reaching_all']} / {bc['views_sent']} ({bc['receipts']} of {bc['receipts_expected']} receipts)",
        ),
        ("view -> last student ms p50/p90/p99/max", ms(bc["to_all_ms"])),
        ("view -> last student p50/p99/max by window", windows(bc["to_all_by_window"])),
        ("view -> each receipt ms p50/p90/p99/max", ms(bc["per_receipt_ms"])),
        ("dropped connections", f["dropped"] or "none"),
        ("error replies", f["errors"] or "none"),
        ("connect failures", f["connect_failures"] or "none"),
        (
            "server RSS MB idle/start/mid/end/max",
            f"{rss['idle_before_class']} / {rss['start']} / {rss['middle']} / "
            f"{rss['end']} / {rss['max']} (growth {rss['growth_mb']:+}, "
            f"second half {rss['second_half_growth_mb']:+})",
        ),
        (
            "CPU % of a core: server / redis / generator",
            f"{cpu['server']} / {'-' if cpu['redis'] is None else cpu['redis']} / "
            f"{' + '.join(map(str, cpu['generator_processes']))}",
        ),
        ("server CPU % of a core every sample", " ".join(f"{share:g}" for _, _, share in rss["samples"][1:])),
        (
            "CPU % machine busy / other programs",
            f"{cpu['machine_busy']} / {cpu['other_programs']} (of {100 * cpu['cores']} for {cpu['cores']} cores)",
        ),
        ("generator send lateness ms p50/p90/p99/max", ms(gen["send_late_ms"])),
        ("generator loop lag ms p50/p90/p99/max", ms(gen["loop_lag_ms"])),
        *class_step_rows(f["class_step"]),
        (
            "server up after / error lines in its log",
            f"{f['server_alive_after']} / {f['server_log_errors']} ({f['server_log']})",
        ),
    ]
    return aligned(rows, checks(f))


def ms(q: dict) -> str:
    """Quantiles as `p50 / p90 / p99 / max` (a dash for one not there)."""
    return " / ".join(str(q.get(k, "-")) for k in ("p50", "p90", "p99", "max"))


def aligned(rows: list[tuple[str, object]], verdicts: list[tuple[str, bool]]) -> str:
    """Rows of names and values, the values aligned, then an OK or MISS line per check."""
    width = max(len(name) for name, _ in rows)
    lines = [f"{name.ljust(width)}  {value}" for name, value in rows]
    return "\n".join(lines + [("OK    " if ok else "MISS  ") + name for name, ok in verdicts])


def run_line(f: dict) -> str:
    """What was run, on one line: the mode and its load, the server's shape, the settings raised for the class."""
    if f["mode"] == "capacity":
        load = (
            f"{f['students']} students, steps of {f['duration_s']:g} s at up to "
            f"{', '.join(f'{rate:g}' for rate in f['ladder'])} drawings/s each ({f['client']} client)"
        )
    elif f["mode"] == "seven":
        load = (
            f"{f['students']} students draw a 7 at once like the page ({POINTER_HZ:g} pointer events/s, a draw at most "
            f"every {1e3 * PAGE_SEND_EVERY_S:g} ms, one in flight), {f['waves']} waves {f['wave_every_s']:g} s apart, "
            f"starts spread over {f['spread_s']:g} s"
        )
    else:
        load = (
            f"{f['students']} students × {f['rate_per_student']:g} drawings/s ({f['client']} client), "
            f"{f['duration_s']:g} s"
        )
    raised = ", ".join(f"{name}={value}" for name, value in f["settings_raised"].items())
    settings = f"raised for {f['students']} students from one address: {raised}" if raised else "the server's own"
    given = f"; --set {' '.join(f['settings_given'])}" if f["settings_given"] else ""
    return (
        f"{f['mode']}: {load}, {f['views_per_s']:g} views/s; {f['workers']} worker(s), {f['rooms']} rooms, "
        f"{f['generator_processes']} generator process(es); server settings: {settings}{given}"
    )


def class_step_rows(step: dict | None) -> list[tuple[str, object]]:
    """The class step after the load: drawings sent and stepped on, the POST's time, the time to each student."""
    return [
        (
            "class step: drawings sent / in the step",
            "-" if step is None else f"{step['drawings_sent']} / {step['drawings_in_step']}",
        ),
        (
            "class step: POST ms / to all students ms",
            "-" if step is None else f"{step['post_ms']} / {step['to_all_ms']} ({step['students_reached']} reached)",
        ),
        ("class step -> each student ms p50/p90/p99/max", "-" if step is None else ms(step["to_each_student_ms"])),
    ]


def seven_rows(seven: dict | None) -> list[tuple[str, object]]:
    """--mode seven: the strokes, their final predictions and the time from pen-up to each (none in other modes)."""
    if seven is None:
        return []
    waves = " | ".join(
        f"{w['wave']}: {w.get('p50', '-')}/{w.get('p99', '-')}/{w.get('max', '-')}" for w in seven["by_wave"]
    )
    return [
        (
            "strokes / final predictions / missing",
            f"{seven['strokes']} / {seven['finals']} / {seven['finals_missing']}",
        ),
        (
            "drawings sent per stroke by the page",
            f"up to {seven['sends_per_stroke']} (fewer: held while one is in flight)",
        ),
        ("pen-up -> final prediction ms p50/p90/p99/max", ms(seven["pen_up_to_final_ms"])),
        ("pen-up -> final p50/p99/max by wave", waves),
    ]


def capacity_table(f: dict) -> str:
    """--mode capacity: a line per step, the capacity, the run's health and the checks."""
    rows: list[tuple[str, object]] = [
        ("run", run_line(f)),
        (
            "connected / in room",
            f"{f['students_connected']} / {f['students_in_room']} students (joined in {f['connect_s']} s)",
        ),
        (
            "step: per student -> sent/s answered/s",
            "replaced lost violations | round trip ms p50/p99/max | CPU % server, generator, others | loop lag p99",
        ),
    ]
    for step in f["steps"]:
        rt = step["round_trip_ms"]
        rows.append(
            (
                f"{'met ' if step['met'] else 'MISS'} {step['rate_per_student']:g}/s -> "
                f"{step['sent_per_s']:g} {step['answered_per_s']:g}",
                f"{step['replaced']} {step['lost']} {step['violations']} | "
                f"{rt.get('p50', '-')} / {rt.get('p99', '-')} / {rt.get('max', '-')} | {step['server_cpu_percent']}, "
                f"{' + '.join(map(str, step['generator_cpu_percent']))}, {step['other_programs_percent']} | "
                f"{step['generator_loop_lag_p99_ms']} ms",
            )
        )
    capacity = f["capacity"]
    rows += [
        (
            "capacity (answered/s, p99 <= 50 ms)",
            "none: the first step missed"
            if capacity is None
            else f"{capacity['answered_per_s']:g} drawings/s ({f['students']} × {capacity['rate_per_student']:g}/s, "
            f"p99 {capacity['round_trip_p99_ms']} ms)"
            + (" — the top of the ladder: it may answer more" if capacity["top_of_ladder"] else ""),
        ),
        (
            "server CPU ms per answered drawing there",
            "-" if capacity is None else f"{capacity['server_cpu_ms_per_answered']} (the teacher's views included)",
        ),
        ("of which, by py-spy's samples (ms)", cpu_parts(capacity)),
        ("dropped connections", f["dropped"] or "none"),
        ("error replies", f["errors"] or "none"),
        ("connect failures", f["connect_failures"] or "none"),
        *class_step_rows(f["class_step"]),
        (
            "server up after / error lines in its log",
            f"{f['server_alive_after']} / {f['server_log_errors']} ({f['server_log']})",
        ),
    ]
    return aligned(rows, checks(f))


def cpu_parts(capacity: dict | None) -> str:
    """The capacity step's server CPU per answered drawing split by its parts' shares of py-spy's samples."""
    if capacity is None or not capacity["server_cpu_shares"] or capacity["server_cpu_ms_per_answered"] is None:
        return "- (no capacity, or no py-spy)"
    total = capacity["server_cpu_ms_per_answered"]
    return " · ".join(f"{part} {share * total:.3f}" for part, share in capacity["server_cpu_shares"].items())


# ---- the command line ----


def parse_arguments() -> argparse.Namespace:
    """The options, with the rate, the duration, the client and the class step defaulting from the mode, and the
    server settings the class needs."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog="What is measured and the issue's targets: the module docstring."
    )
    parser.add_argument(
        "--mode",
        choices=tuple(MODES),
        default="target",
        help="target: the issue's targets at 2 drawings/s; beyond: 10 drawings/s, the server must "
        "stay up and answer what it answers within 500 ms; capacity: steps the rate up (0.5, 1, 2, 3, 4, 6 ... "
        "drawings/s per student) to the largest drawings/s answered with round trip p99 <= 50 ms; seven: every "
        "student draws a 7 at once like the page, timed from pen-up to the final prediction (default: %(default)s)",
    )
    parser.add_argument("--students", type=int, default=300, help="students in the room (default: %(default)s)")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="drawings a second per student in target and beyond modes (default: 2 in target mode, 10 in beyond mode)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help="seconds of load (default: 60), of each step in capacity mode (default: 10); seven mode's waves set it",
    )
    parser.add_argument("--waves", type=int, default=3, help="seven mode: strokes each student draws (default: 3)")
    parser.add_argument(
        "--wave-every", type=float, default=5.0, help="seven mode: seconds between waves (default: %(default)s)"
    )
    parser.add_argument(
        "--spread",
        type=float,
        default=0.5,
        help="seven mode: the students start each 7 within this many seconds of each other (default: %(default)s)",
    )
    parser.add_argument(
        "--views",
        type=float,
        default=4.0,
        help="teacher views broadcast a second; 0: none (capacity mode's CPU per drawing then leaves them out) "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--view-bytes",
        type=int,
        default=1000,
        help="rough size of each view's state (the teacher's digit strokes) (default: %(default)s)",
    )
    parser.add_argument(
        "--client",
        choices=("open", "page"),
        default=None,
        help="open: every drawing is sent when due, the server's latest-wins inbox does the rest; "
        "page: like static/js/lib/socket.js, one drawing in flight per socket and only the "
        "newest held back meanwhile (default: open; seven mode is always page)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (`serve --workers`) (default: %(default)s)"
    )
    parser.add_argument(
        "--redis",
        default="none",
        metavar="none|spawn|URL",
        help="rooms in the server's process (none; only with 1 worker), on a redis-server this "
        "script starts on a free loopback port and stops after (spawn), or on the Redis at URL "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="load generator processes the students are split over (the teacher stays in the first) "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--drain",
        type=float,
        default=3.0,
        help="seconds to wait for the last answers after the load (default: %(default)s)",
    )
    parser.add_argument(
        "--windows",
        type=int,
        default=6,
        help="the load is also reported in this many equal time windows (default: %(default)s)",
    )
    parser.add_argument(
        "--sample-every",
        type=float,
        default=5.0,
        help="seconds between samples of the server's RSS and CPU (default: %(default)s)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a server setting for this run, e.g. --set max_connections=2000 (BACKPROP_LAB_NAME); "
        "repeatable (default: the server's, except those too low for the class from one address, which are raised)",
    )
    parser.add_argument(
        "--class-step",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="after the load, every student sends a tagged drawing and the teacher runs a class step on them, timed "
        "to every student (default: on in target and beyond modes)",
    )
    parser.add_argument("--log-level", default="warning", help="the server's log level (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seeds each student's phase (default: %(default)s)")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure as JSON to this file")
    args = parser.parse_args()
    if args.rate is not None and MODES[args.mode] is None:
        parser.error(f"--rate is for target and beyond modes: {args.mode} mode sets its own")
    args.rate = args.rate if args.rate is not None else MODES[args.mode]
    if args.mode == "seven" and args.client == "open":
        parser.error("seven mode draws like the page: --client page only")
    args.client = args.client or ("page" if args.mode == "seven" else "open")
    if args.mode == "seven":
        args.duration = args.waves * args.wave_every
    args.duration = args.duration or (10.0 if args.mode == "capacity" else 60.0)
    args.class_step = args.class_step if args.class_step is not None else args.mode in ("target", "beyond")
    if args.workers > 1 and args.redis == "none":
        parser.error("--workers above 1 needs shared rooms: --redis spawn or --redis URL")
    if not 1 <= args.processes <= args.students:
        parser.error("--processes must be between 1 and --students")
    try:
        args.raised, settings = class_settings(args)
    except ValueError as invalid:  # a --set name or value the server would refuse
        parser.error(str(invalid))
    args.ladder = [rate for rate in CAPACITY_RATES if rate <= RATE_MARGIN * settings.rate_per_s]
    if args.mode == "seven" and settings.rate_per_s < 1 / PAGE_SEND_EVERY_S:
        parser.error(f"seven mode sends up to {1 / PAGE_SEND_EVERY_S:g} drawings/s per socket: rate_per_s is lower")
    return args


def class_settings(args: argparse.Namespace) -> tuple[dict[str, str], Settings]:
    """The server settings the class needs where the server's own (its environment's, else its defaults) are too
    low for N students from one loopback address, each holding a room and a lenet socket and all joining at once
    (the --set ones are kept as given); those raised, and every setting the server will run with."""
    given = dict(item.split("=", 1) for item in args.set)
    sockets = 2 * args.students + 1  # a room and a lenet socket per student, the teacher's room socket
    needs = {
        "max_connections_per_address": sockets,
        "max_connections": sockets,
        "http_max_concurrency": sockets + HTTP_SPARE,
        "room_joins_per_minute": args.students + 1,
        "room_max_drawings_per_address": args.students,  # one tagged drawing each for the class step
    }
    own = Settings(**given)
    raised = {name: str(need) for name, need in needs.items() if name not in given and getattr(own, name) < need}
    return raised, Settings(**given, **raised)


def main() -> None:
    """Start Redis (if asked) and the server, run the class, stop them, print the figures."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    args = parse_arguments()
    sets = {name: value for name, value in (item.split("=", 1) for item in args.set)}
    env = {Settings.env_var(name): value for name, value in {**args.raised, **sets}.items()}
    args.redis_process, args.redis_url = None, ""
    if args.redis == "spawn":
        args.redis_process, args.redis_url = spawn_redis()
    elif args.redis != "none":
        args.redis_url = args.redis
    if args.redis_url:
        env["BACKPROP_LAB_REDIS_URL"] = args.redis_url
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="classroom-load-")) / "server.log"
    server = None
    try:
        server = start_server(port, env, log=log, log_level=args.log_level, arguments=["--workers", str(args.workers)])
        logger.info("server pid %d on port %d (log %s); %d students joining", server.pid, port, log, args.students)
        result = asyncio.run(run(args, server, f"ws://127.0.0.1:{port}"))
    finally:
        for process in (server, args.redis_process):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
    found = capacity_figures(args, result, log) if args.mode == "capacity" else figures(args, result, log)
    if args.json:
        args.json.write_text(json.dumps(found, indent=1, default=str) + "\n")
    print(capacity_table(found) if args.mode == "capacity" else table(found))


if __name__ == "__main__":
    main()
