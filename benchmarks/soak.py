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

Loopback only, bounded in time: it stops by itself after the duration plus at most a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

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


def header(message: str | bytes) -> dict:
    """The JSON of a text message, or the header of a binary frame (its arrays are not decoded)."""
    if isinstance(message, str):
        return json.loads(message)
    (length,) = struct.unpack_from("<I", message)
    return json.loads(message[4 : 4 + length])


class Page:
    """One client's page: the requests it sends and how to tell its answer is complete."""

    def __init__(self, kind: str, rng: random.Random, drawings: list[np.ndarray]) -> None:
        self.kind, self.rng, self.drawings = kind, rng, drawings
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
    ws = await connect(url, proxy=None, compression=None, max_size=None, open_timeout=ANSWER_TIMEOUT_S)
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
    return True


async def student(
    index: int, url: str, stats: Stats, deadline: float, think: float, seed: int, drawings: list[np.ndarray], keep: list
) -> None:
    """One simulated student: sessions on one page, reconnecting after each disconnect, until the deadline."""
    rng = random.Random(seed * 1000 + index)
    kind = PAGES[index % len(PAGES)]
    page = Page(kind, rng, drawings)
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


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    """The process's resident memory (or its peak, VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


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
    print(json.dumps(asyncio.run(soak(parser.parse_args()))))


if __name__ == "__main__":
    main()
