"""Soak: a class of simulated students on one real server for a long while, with a little misbehaviour mixed in.

Starts `python -m app serve` on a free loopback port (default settings, log level info) and connects N clients
(default 100) with the `websockets` asyncio client for a duration (default 30 minutes). Each client is one page:
a third draw on /lenet (binary draw frames as the page's encodeFrame builds them, in strokes that grow point by
point, sometimes with the gradients, rarely a "teach this digit"), a third ask /conv for walkthrough plans and
read every chunk, a third step, derive, and run-then-pause the XOR network. One request is in flight per client,
as the pages' latest-wins requests do, with a pause between them. 5% of the messages are malformed (not JSON,
missing or extra fields, NaN, a canvas too large, binary garbage) and must each be answered with a typed error;
about 1% of the time a client closes its socket (half of them abruptly, TCP only, often right after a request)
and reconnects. At the end the clients stay connected and the server is shut down as on Ctrl+C.

Prints one JSON line: requests sent and answered, replies that were errors (by code, malformed traffic apart),
closes by code, the errors and tracebacks in the server's log (must be 0), the server's RSS at start, after a
quarter of the run and at the end, the p50/p99 round trips by request kind, and the shutdown's duration and
close codes.

    python benchmarks/soak.py [--clients 100] [--minutes 30] [--think 0.5] [--seed 0]

With --attacker the students (each from a loopback address of its own, 127.0.1.1 and up, as on a school network;
all from 127.0.0.1 with --one-address, as a class behind one NAT address) run through three phases of
--phase-seconds each (default 30): before, during and after an attack by one client from its own loopback address
(127.0.0.2), in a process of its own so its work does not slow the students' client. It does the worst it can
within the server's limits: as many websockets as the per-address cap allows, most drawing the largest canvas at
the message rate limit (each with the gradients and a unit's computation, a "teach" of the most steps one time in
ten, each canvas different so no answer can be cached), some sending the largest convolution walkthroughs the
limits allow, some asking for them and never reading (dropped by the send timeout, they come back: waves of stuck
clients), and its share of 3 MB PNG uploads (1024×1024, every pixel different) to POST /api/predict, again and
again. It prints the students' p50/p99 in each phase, the server's RSS at the end of each phase and its peak during
the attack, its RSS and open files each second after the attack (the attacker's departed sockets closing, the
memory given back), and what the attacker got (answers, errors by code, closes by code, upload statuses:
"unfinished" for those still in flight when it stopped).

    python benchmarks/soak.py --attacker [--clients 100] [--phase-seconds 30] [--attacker-sockets N] [--one-address]

Loopback only, bounded in time: it stops by itself after the duration plus at most a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import multiprocessing
import random
import signal
import struct
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from lenet_roundtrip import browser_frame, canvases, free_port, start_server
from PIL import Image
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.settings import Settings

ANSWER_TIMEOUT_S = 30.0  # an answer slower than this counts as unanswered
MALFORMED_SHARE = 0.05
DISCONNECT_SHARE = 0.01
PAGES = ("lenet", "conv", "xor")
MALFORMED: list[str | bytes] = [
    "{not json",
    '{"type": "draw"}',
    '{"type": "xor_step", "model": "network", "extra": 1}',
    '{"type": "xor_config", "model": "network", "lr": NaN, "mode": "batch", "steps_per_frame": 10}',
    json.dumps({"type": "draw", "canvas": [[0] * 500]}),
    json.dumps({"type": "conv_plan", "input": [[[1, 2], [3]]], "kernels": [[[[1]]]], "bias": [0]}),
    json.dumps({"type": "nope"}),
    b"\x05\x00\x00\x00junk",
    b"\xff\xff\xff\xff",
]


@dataclass
class Stats:
    """What all clients saw."""

    sent: int = 0
    answered: int = 0
    unanswered: int = 0
    malformed_sent: int = 0
    malformed_answered: int = 0
    connections: int = 0
    disconnects: Counter = field(default_factory=Counter)
    error_replies: Counter = field(default_factory=Counter)  # errors answering valid requests (should be none)
    malformed_codes: Counter = field(default_factory=Counter)
    closes: Counter = field(default_factory=Counter)  # connections the server closed, by code
    client_failures: Counter = field(default_factory=Counter)  # anything else that went wrong on a client
    latency_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    phase: str = "all"  # with --attacker: before, during or after the attack
    phase_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    phase_kind_ms: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))


def header(message: str | bytes) -> dict:
    """The JSON of a text message, or the header of a binary frame (its arrays are not decoded)."""
    if isinstance(message, str):
        return json.loads(message)
    (length,) = struct.unpack_from("<I", message)
    return json.loads(message[4 : 4 + length])


class Page:
    """One client's page: the requests it sends and how to tell its answer is complete."""

    def __init__(self, kind: str, rng: random.Random, drawings: list[np.ndarray], host: str = "127.0.0.1") -> None:
        self.kind, self.rng, self.drawings, self.host = kind, rng, drawings, host
        self.stroke, self.seq = 0, 0

    def opening(self) -> list[str]:
        """What the page asks right after the welcome."""
        return [json.dumps({"type": "describe"})] if self.kind == "lenet" else []

    def request(self) -> tuple[str, list[str | bytes]]:
        """The next request kind and its messages."""
        return getattr(self, self.kind)()

    def lenet(self) -> tuple[str, list[str | bytes]]:
        """A drawing update: the next point of the stroke; sometimes explained; rarely taught."""
        self.stroke = (self.stroke + 1) % len(self.drawings)
        canvas = self.drawings[self.stroke]
        if self.rng.random() < 0.01:
            fields = {"type": "teach", "label": self.rng.randrange(10), "steps": 2, "lr": 0.01}
            return "teach", [browser_frame(fields, canvas)]
        self.seq += 1
        explain = self.rng.random() < 0.2
        fields = {"type": "draw", "preprocess": "mnist", "explain": explain, "target": None, "seq": self.seq}
        return ("draw_explain" if explain else "draw"), [browser_frame(fields, canvas)]

    def conv(self) -> tuple[str, list[str | bytes]]:
        """A small walkthrough (sometimes with pooling after it), or a preset digit."""
        if self.rng.random() < 0.1:
            asset = {"type": "conv_asset", "name": "mnist_digit", "index": self.rng.randrange(10)}
            return "conv_asset", [json.dumps(asset)]
        size, kernel = self.rng.randint(6, 12), self.rng.choice([2, 3, 5])  # ≥ 2×2 outputs for the pooling
        numbers = np.random.default_rng(self.rng.randrange(2**32))
        plan = {
            "type": "conv_plan",
            "input": np.round(numbers.normal(size=(1, size, size)), 2).tolist(),
            "kernels": np.round(numbers.normal(size=(2, 1, kernel, kernel)), 2).tolist(),
            "bias": [0.1, -0.1],
            "padding": self.rng.choice([0, 1, "valid"]),
            "stage2": {"kind": self.rng.choice(["none", "max", "avg"]), "k": 2, "s": 2, "p": 0},
        }
        return "conv_plan", [json.dumps(plan)]

    def xor(self) -> tuple[str, list[str | bytes]]:
        """A training step, a derivation, or a short run stopped by a pause."""
        roll = self.rng.random()
        if roll < 0.2:
            return "xor_derive", [json.dumps({"type": "xor_derive", "example": self.rng.randrange(4)})]
        if roll < 0.3:
            return "xor_run_pause", [json.dumps({"type": "xor_run", "model": "network"})]
        return "xor_step", [json.dumps({"type": "xor_step", "model": self.rng.choice(["network", "neuron"])})]


async def answer(ws: ClientConnection, kind: str) -> dict:
    """Read the complete answer to one request (all frames of a plan, the paused state after a run); an error
    reply is returned as it is."""
    first = header(await ws.recv())
    if first.get("type") == "error":
        return first
    if kind == "conv_plan":
        for _ in range(first["chunks"]):
            header(await ws.recv())
    elif kind == "teach":
        header(await ws.recv())  # the model frame after the taught message
    elif kind == "xor_run_pause":
        await ws.send(json.dumps({"type": "xor_pause", "model": "network"}))
        while header(await ws.recv()).get("running"):
            pass
    return first


async def session(url: str, page: Page, stats: Stats, deadline: float, think: float, keep: list) -> None:
    """One connection until the deadline (then kept open for the shutdown) or a random disconnect."""
    ws = await connect(
        url, proxy=None, compression=None, max_size=None, open_timeout=ANSWER_TIMEOUT_S, local_addr=(page.host, 0)
    )
    stats.connections += 1
    try:
        if await converse(ws, page, stats, deadline, think):
            keep.append(ws)
    except (ConnectionClosed, TimeoutError):
        ws.transport.abort()
        raise


async def converse(ws: ClientConnection, page: Page, stats: Stats, deadline: float, think: float) -> bool:
    """Hello, the page's opening, then requests until the deadline (True) or a random disconnect (False)."""
    rng = page.rng
    await ws.send(json.dumps({"type": "hello", "version": 1}))
    await asyncio.wait_for(ws.recv(), ANSWER_TIMEOUT_S)
    for message in page.opening():
        await ws.send(message)
        await asyncio.wait_for(ws.recv(), ANSWER_TIMEOUT_S)
    while time.monotonic() < deadline:
        await asyncio.sleep(rng.expovariate(1 / think))
        if rng.random() < DISCONNECT_SHARE:
            if rng.random() < 0.5:
                if rng.random() < 0.5:
                    await ws.send(page.request()[1][0])  # leave with a request in flight
                ws.transport.abort()
                stats.disconnects["abrupt"] += 1
            else:
                await ws.close()
                stats.disconnects["clean"] += 1
            return False
        if rng.random() < MALFORMED_SHARE:
            await ws.send(rng.choice(MALFORMED))
            stats.malformed_sent += 1
            reply = header(await asyncio.wait_for(ws.recv(), ANSWER_TIMEOUT_S))
            stats.malformed_codes[reply.get("code", "not an error")] += 1
            stats.malformed_answered += reply.get("type") == "error"
            continue
        kind, messages = page.request()
        started = time.perf_counter()
        for message in messages:
            await ws.send(message)
        stats.sent += 1
        try:
            reply = await asyncio.wait_for(answer(ws, kind), ANSWER_TIMEOUT_S)
        except TimeoutError:
            stats.unanswered += 1
            ws.transport.abort()
            return False
        if reply.get("type") == "error":
            stats.error_replies[reply["code"]] += 1
            continue
        stats.answered += 1
        stats.latency_ms[kind].append((time.perf_counter() - started) * 1e3)
        stats.phase_ms[stats.phase].append(stats.latency_ms[kind][-1])
        stats.phase_kind_ms[(stats.phase, kind)].append(stats.latency_ms[kind][-1])
    return True


async def student(
    index: int,
    url: str,
    stats: Stats,
    deadline: float,
    think: float,
    seed: int,
    drawings: list[np.ndarray],
    keep: list,
    host: str = "127.0.0.1",
) -> None:
    """One simulated student (connecting from `host`): sessions on one page, reconnecting after each disconnect,
    until the deadline."""
    rng = random.Random(seed * 1000 + index)
    kind = PAGES[index % len(PAGES)]
    page = Page(kind, rng, drawings, host)
    await asyncio.sleep(rng.uniform(0, 5))  # not all at the same instant
    while time.monotonic() < deadline:
        try:
            await session(f"{url}/ws/{kind}", page, stats, deadline, think, keep)
        except ConnectionClosed as closed:
            stats.closes[str(closed.rcvd.code if closed.rcvd else 1006)] += 1
        except TimeoutError:
            stats.unanswered += 1
        except Exception as exc:  # noqa: BLE001 — counted and reported: the soak goes on
            stats.client_failures[type(exc).__name__] += 1
            await asyncio.sleep(1)


ATTACKER_HOST = "127.0.0.2"  # a loopback address of its own: the server tells the attacker from the students
STUDENT_HOST = "127.0.0.1"  # with --one-address every student's (a class behind one NAT address)


@dataclass
class Attack:
    """What the attacker got."""

    sent: int = 0
    answers: int = 0
    errors: Counter = field(default_factory=Counter)  # error replies by code
    closes: Counter = field(default_factory=Counter)  # its sockets closed, by code
    refused: Counter = field(default_factory=Counter)  # connections that failed to open, by exception
    uploads: Counter = field(default_factory=Counter)  # POST /api/predict answers by status
    stalled_waves: int = 0


def largest_canvas(settings: Settings, rng: np.random.Generator) -> np.ndarray:
    """A drawing on the largest canvas the server takes: a thick random scribble of ink bytes."""
    side = settings.lenet_max_canvas
    canvas = np.zeros((side, side), np.uint8)
    y, x = (rng.uniform(0.2, 0.8, size=(2, 12)) * side).astype(int)
    for a, b in zip(x, y, strict=True):
        canvas[max(b - 20, 0) : b + 20, max(a - 20, 0) : a + 20] = 255
    return canvas


def largest_plan(settings: Settings, rng: np.random.Generator) -> str:
    """A convolution walkthrough near the server's limits: the largest input with every channel and filter, 3×3
    kernels at stride 2 (F·C·k²·OH·OW = 147,456 products of the 200,000 allowed), values with many digits."""
    size, channels = settings.conv_max_size, settings.conv_max_channels
    plan = {
        "type": "conv_plan",
        "input": rng.uniform(-999, 999, size=(channels, size, size)).round(6).tolist(),
        "kernels": rng.uniform(-9, 9, size=(settings.conv_max_filters, channels, 3, 3)).round(6).tolist(),
        "bias": [0.5] * settings.conv_max_filters,
        "stride": 2,
        "padding": 1,
        "stage2": {"kind": "conv", "k": 3, "s": 1, "p": 1},
    }
    return json.dumps(plan)


def largest_png(settings: Settings) -> bytes:
    """A PNG of the most pixels an upload may have, every pixel random (so it barely compresses), under the body
    limit: the heaviest decode and preprocessing POST /api/predict allows."""
    side = int(settings.lenet_max_png_pixels**0.5)
    pixels = np.random.default_rng(1).integers(0, 256, size=(side, side, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG", compress_level=1)
    return out.getvalue()[: settings.lenet_max_upload_bytes]


async def attacker_connect(url: str, stats: Attack, **options) -> ClientConnection | None:
    """A websocket from the attacker's address, greeted; None when the server refused it."""
    try:
        ws = await connect(
            url, proxy=None, compression=None, max_size=None, local_addr=(ATTACKER_HOST, 0), open_timeout=30, **options
        )
        await ws.send(json.dumps({"type": "hello", "version": 1}))
        await asyncio.wait_for(ws.recv(), 30)
    except ConnectionClosed as closed:
        stats.closes[str(closed.rcvd.code if closed.rcvd else 1006)] += 1
        return None
    except (OSError, TimeoutError) as exc:
        stats.refused[type(exc).__name__] += 1
        return None
    return ws


async def drain(ws: ClientConnection, stats: Attack) -> None:
    """Read every reply of a flooding socket, counting answers and errors."""
    async for message in ws:
        reply = header(message)
        if reply.get("type") == "error":
            stats.errors[reply.get("code", "?")] += 1
        else:
            stats.answers += 1


async def flood(url: str, messages, stats: Attack, stop: float, rate: float) -> None:
    """One socket sending what `messages()` makes at just under the message rate limit, replies read aside;
    reconnects when closed."""
    while time.monotonic() < stop:
        ws = await attacker_connect(url, stats)
        if ws is None:
            await asyncio.sleep(1)
            continue
        reader = asyncio.create_task(drain(ws, stats))
        try:
            while time.monotonic() < stop and not reader.done():
                await ws.send(messages())
                stats.sent += 1
                await asyncio.sleep(1 / rate)
        except ConnectionClosed:
            pass
        finally:
            ws.transport.abort()
            try:
                await reader
            except ConnectionClosed as closed:
                stats.closes[str(closed.rcvd.code if closed.rcvd else 1006)] += 1


async def stall(url: str, plan: str, stats: Attack, stop: float) -> None:
    """A socket that asks for long streams and never reads them, in waves: the server's sends time out and it
    is closed; then it comes back."""
    while time.monotonic() < stop:
        ws = await attacker_connect(url, stats, max_queue=1)
        if ws is None:
            await asyncio.sleep(1)
            continue
        stats.stalled_waves += 1
        try:
            for _ in range(4):
                await ws.send(plan)
                stats.sent += 1
            await asyncio.wait_for(ws.wait_closed(), max(stop - time.monotonic(), 0.1))
        except (ConnectionClosed, TimeoutError):
            pass
        finally:
            ws.transport.abort()


async def upload(port: int, body: bytes, stats: Attack, stop: float) -> None:
    """The largest PNG to POST /api/predict over and over, from the attacker's address."""
    head = (
        f"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: image/png\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    while time.monotonic() < stop:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(ATTACKER_HOST, 0))
            writer.write(head + body)
            await writer.drain()
            status = (await asyncio.wait_for(reader.readline(), 60)).split()[1].decode()
            writer.close()
        except (OSError, IndexError, TimeoutError) as exc:
            status = type(exc).__name__
        except asyncio.CancelledError:  # still sending or waiting when the attack stopped
            stats.uploads["unfinished"] += 1
            raise
        stats.uploads[status] += 1
        if status == "503":
            await asyncio.sleep(0.2)


async def attack(port: int, seconds: float, sockets: int) -> dict:
    """Every kind of load at once, from one address, for `seconds`: the attacker's counts."""
    settings, rng, stats = Settings(), np.random.default_rng(7), Attack()
    stop = time.monotonic() + seconds
    url = f"ws://127.0.0.1:{port}"
    canvas, counter = largest_canvas(settings, rng), iter(range(10**9))
    plan = largest_plan(settings, rng)

    def drawing() -> bytes:
        """The next heavy drawing update: each canvas differs from the last by one pixel; one in ten a teach."""
        n = next(counter)
        canvas.flat[(n * 7919) % canvas.size] ^= 0xFF
        if n % 10 == 0:
            fields = {"type": "teach", "label": n % 10, "steps": settings.lenet_teach_max_steps, "lr": 0.1}
        else:
            unit = {"stage": "conv2", "channel": n % 16, "row": 4, "col": 4}
            fields = {"type": "draw", "preprocess": "mnist", "explain": True, "target": n % 10, "seq": n, "unit": unit}
        return browser_frame(fields, canvas)

    rate = settings.rate_per_s * 0.95
    stalled, planners = max(sockets // 10, 1), max(sockets // 10, 1)
    drawers = max(sockets - stalled - planners, 1)
    tasks = [flood(f"{url}/ws/lenet", drawing, stats, stop, rate) for _ in range(drawers)]
    tasks += [flood(f"{url}/ws/conv", lambda: plan, stats, stop, rate) for _ in range(planners)]
    tasks += [stall(f"{url}/ws/conv", plan, stats, stop) for _ in range(stalled)]
    body = largest_png(settings)
    tasks += [upload(port, body, stats, stop) for _ in range(settings.max_queued_per_address)]
    running = [asyncio.ensure_future(task) for task in tasks]
    await asyncio.wait(running, timeout=seconds)
    for task in running:  # the attack stops at once: sockets aborted, uploads dropped mid-body
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)
    return {
        "sockets": {"drawing": drawers, "conv_plans": planners, "stalled": stalled},
        "upload_bytes": len(body),
        "messages_sent": stats.sent,
        "answers": stats.answers,
        "error_replies": dict(stats.errors),
        "closed_by_server": dict(stats.closes),
        "refused": dict(stats.refused),
        "uploads_by_status": dict(stats.uploads),
        "stalled_waves": stats.stalled_waves,
    }


def attacker_process(port: int, seconds: float, sockets: int, results: multiprocessing.Queue) -> None:
    """The attack in a process of its own."""
    results.put(asyncio.run(attack(port, seconds, sockets)))


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    """The process's resident memory (or its peak, VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def open_files(pid: int) -> int:
    """How many files the process has open: its sockets, as the attacker's departed ones close, and a few more."""
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 and p99 of a list of milliseconds, with the count."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)  # noqa: E731
    return {"n": len(ordered), "p50": pick(0.5), "p99": pick(0.99)}


def log_errors(log: Path) -> list[str]:
    """Error lines and tracebacks in the server's log."""
    return [
        line
        for line in log.read_text().splitlines()
        if line.startswith(("ERROR", "CRITICAL")) or "Traceback" in line or "Exception in" in line
    ]


async def watch_close(ws: ClientConnection) -> int:
    """The close code a connected client sees when the server shuts down."""
    try:
        while True:
            await ws.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else 1006


async def soak(args: argparse.Namespace) -> dict:
    """Run the load, then shut the server down with the clients connected; the figures."""
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="soak-")) / "server.log"
    server = start_server(port, log=log, log_level="info")
    stats, keep = Stats(), []
    rss = {"start": rss_mb(server.pid)}
    try:
        duration = args.minutes * 60
        deadline = time.monotonic() + duration
        drawings = canvases()
        url = f"ws://127.0.0.1:{port}"
        load = asyncio.gather(
            *[student(i, url, stats, deadline, args.think, args.seed, drawings, keep) for i in range(args.clients)]
        )
        await asyncio.sleep(duration / 4)
        rss["quarter"] = rss_mb(server.pid)
        await asyncio.wait_for(load, duration * 3 / 4 + ANSWER_TIMEOUT_S + 30)
        rss["end"], rss["peak"] = rss_mb(server.pid), rss_mb(server.pid, "VmHWM")
        watchers = [asyncio.create_task(watch_close(ws)) for ws in keep]
        stopping = time.monotonic()
        server.send_signal(signal.SIGINT)
        await asyncio.to_thread(server.wait, 30)
        shutdown_s = round(time.monotonic() - stopping, 2)
        codes = Counter(await asyncio.wait_for(asyncio.gather(*watchers), 30))
    finally:
        if server.poll() is None:
            server.kill()
    errors = log_errors(log)
    latency = {kind: percentiles(values) for kind, values in sorted(stats.latency_ms.items())}
    latency["all"] = percentiles([v for values in stats.latency_ms.values() for v in values])
    return {
        "clients": args.clients,
        "minutes": args.minutes,
        "think_s": args.think,
        "requests_sent": stats.sent,
        "requests_answered": stats.answered,
        "unanswered": stats.unanswered,
        "error_replies_by_code": dict(stats.error_replies),
        "malformed_sent": stats.malformed_sent,
        "malformed_answered_with_error": stats.malformed_answered,
        "malformed_codes": dict(stats.malformed_codes),
        "connections": stats.connections,
        "disconnects": dict(stats.disconnects),
        "closed_by_server": dict(stats.closes),
        "client_failures": dict(stats.client_failures),
        "server_errors_in_log": len(errors),
        "server_error_lines": errors[:5],
        "server_log_lines": len(log.read_text().splitlines()),
        "server_rss_mb": rss,
        "latency_ms": latency,
        "shutdown": {"seconds": shutdown_s, "exit_code": server.returncode, "close_codes": dict(codes)},
    }


async def attacked(args: argparse.Namespace) -> dict:
    """Students through three phases (before, during and after an attack from a second process): their round
    trips in each phase and the server's memory."""
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="soak-attack-")) / "server.log"
    server = start_server(port, log=log, log_level="info")
    stats, keep, phase = Stats(), [], args.phase_seconds
    rss: dict[str, float] = {"start": rss_mb(server.pid)}
    after: dict[str, list[float]] = {"rss_mb": [], "open_files": []}  # a sample a second after the attack
    results: multiprocessing.Queue = multiprocessing.Queue()
    attacker = multiprocessing.Process(target=attacker_process, args=(port, phase, args.attacker_sockets, results))
    try:
        deadline = time.monotonic() + 3 * phase + 600  # the students are stopped after the third phase
        drawings = canvases()
        url = f"ws://127.0.0.1:{port}"
        hosts = [
            STUDENT_HOST if args.one_address else f"127.0.{1 + i // 250}.{1 + i % 250}" for i in range(args.clients)
        ]
        load = asyncio.gather(
            *[
                student(i, url, stats, deadline, args.think, args.seed, drawings, keep, hosts[i])
                for i in range(args.clients)
            ]
        )
        stats.phase = "before"
        await asyncio.sleep(phase)
        rss["before"] = rss_mb(server.pid)
        stats.phase = "during"
        attacker.start()
        samples = []
        while attacker.is_alive() and len(samples) < 4 * phase + 240:
            samples.append(rss_mb(server.pid))
            await asyncio.sleep(0.25)
        rss["during_peak"], rss["during_end"] = max(samples), samples[-1]
        stats.phase = "after"
        attack_figures = await asyncio.to_thread(results.get, True, 60)
        ends = time.monotonic() + phase
        while (left := ends - time.monotonic()) > 0:  # the departed attacker's sockets closing, the memory falling
            await asyncio.sleep(min(1.0, left))
            after["rss_mb"].append(rss_mb(server.pid))
            after["open_files"].append(open_files(server.pid))
        rss["after"] = after["rss_mb"][-1]
        stats.phase = "stopped"
        load.cancel()
        await asyncio.gather(load, return_exceptions=True)
    finally:
        if attacker.is_alive():
            attacker.kill()
        server.send_signal(signal.SIGINT)
        try:
            await asyncio.to_thread(server.wait, 30)
        finally:
            if server.poll() is None:
                server.kill()
    errors = log_errors(log)
    return {
        "clients": args.clients,
        "phase_seconds": phase,
        "students_ms": {name: percentiles(stats.phase_ms[name]) for name in ("before", "during", "after")},
        "students_ms_by_kind": {
            f"{name} {kind}": percentiles(values) for (name, kind), values in sorted(stats.phase_kind_ms.items())
        },
        "students_unanswered": stats.unanswered,
        "students_error_replies_by_code": dict(stats.error_replies),
        "students_closed_by_server": dict(stats.closes),
        "students_client_failures": dict(stats.client_failures),
        "server_rss_mb": rss,
        "server_after_each_second": after,
        "attacker": attack_figures,
        "server_errors_in_log": len(errors),
        "server_error_lines": errors[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100, help="simulated students (default: %(default)s)")
    parser.add_argument("--minutes", type=float, default=30.0, help="duration of the load (default: %(default)s)")
    parser.add_argument(
        "--think",
        type=float,
        default=0.5,
        help="mean pause between a client's requests, in seconds (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seeds every client's choices (default: %(default)s)")
    parser.add_argument("--attacker", action="store_true", help="before, during and after one client's attack")
    parser.add_argument(
        "--phase-seconds", type=float, default=30.0, help="with --attacker: each phase's length (default: %(default)s)"
    )
    parser.add_argument(
        "--one-address",
        action="store_true",
        help="with --attacker: every student from 127.0.0.1, as a class behind one NAT address (default: each "
        "student from an address of its own, 127.0.1.1 and up, as on a school network)",
    )
    parser.add_argument(
        "--attacker-sockets",
        type=int,
        default=Settings().max_connections_per_address,
        help="with --attacker: its websockets (default: the per-address cap, %(default)s)",
    )
    args = parser.parse_args()
    print(json.dumps(asyncio.run(attacked(args) if args.attacker else soak(args))))


if __name__ == "__main__":
    main()
