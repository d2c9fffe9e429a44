"""Round trips of /ws/lenet: a drawing going up, LeNet-5's prediction with every layer's activations coming back.

Starts a real server (`python -m app serve`) on a free loopback port, connects with the `websockets` client like
one student's page, and sends N drawing updates the way the page does while a pen moves: 140×140 ink bytes in
a binary frame, strokes of digits growing point by point. Each update waits for its answer (one in flight, as
the page's latest-wins request does), so the time measured is the whole round trip: upload, preprocessing, one
traced forward pass (plus a backward one with --explain), the binary answer, download.

Prints one JSON line: median, 99th percentile and mean round trip in ms, the server's own compute time, and the
bytes per update in each direction, for plain updates (MNIST-style preprocessing), for updates with the gradients
(explain) and for the raw downscale.

    python benchmarks/lenet_roundtrip.py [--updates 500]

The page sends at most 25 updates a second; this script sends them back to back, so the server's per-socket
message rate limit is raised for its own server process (BACKPROP_LAB_RATE_PER_S, BACKPROP_LAB_RATE_BURST).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from websockets.sync.client import connect

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.wire.frames import unpack_frame  # noqa: E402

SIDE = 140  # what the page sends
PEN = 11  # the page's default pen (22 on the 280-pixel pad), in 140-pixel units
WARM_UP = 20


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


RAISED_RATE = {"BACKPROP_LAB_RATE_PER_S": "100000", "BACKPROP_LAB_RATE_BURST": "100000"}


def start_server(
    port: int,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    log_level: str = "warning",
    arguments: Sequence[str] = (),
) -> subprocess.Popen:
    """`python -m app serve` on the loopback port with extra environment variables and serve arguments (e.g.
    --workers 2), its output to log if given; returns once /healthz answers."""
    command = [sys.executable, "-m", "app", "serve", "--port", str(port), "--log-level", log_level, *arguments]
    output = log.open("w") if log else None
    server = subprocess.Popen(
        command, cwd=REPO, env={**os.environ, **(env or {})}, stdout=output, stderr=subprocess.STDOUT if log else None
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not answer /healthz within 30 s")


def digit_paths() -> list[np.ndarray]:
    """Pen paths of a few digits on the 140-pixel pad, densely sampled: a 0, a 2, a 3 and a 7."""
    t = np.linspace(0, 2 * np.pi, 60)
    zero = np.stack([70 + 28 * np.cos(t), 70 + 42 * np.sin(t)], axis=1)
    two = np.concatenate(
        [
            np.stack([70 + 26 * np.cos(a), 50 + 24 * np.sin(a)], axis=1)
            for a in [np.linspace(np.pi * 1.1, np.pi * 2.1, 25)]
        ]
        + [np.linspace([92, 60], [45, 114], 20), np.linspace([45, 114], [100, 114], 15)]
    )
    three = np.concatenate(
        [
            np.stack([68 + 24 * np.cos(a), 48 + 21 * np.sin(a)], axis=1)
            for a in [np.linspace(-np.pi * 0.8, np.pi * 0.5, 25)]
        ]
        + [
            np.stack([68 + 28 * np.cos(a), 92 + 23 * np.sin(a)], axis=1)
            for a in [np.linspace(-np.pi * 0.5, np.pi * 0.85, 25)]
        ]
    )
    seven = np.concatenate([np.linspace([40, 30], [100, 30], 20), np.linspace([100, 30], [60, 115], 30)])
    return [zero, two, three, seven]


def canvases() -> list[np.ndarray]:
    """The drawing after each new pen point of each digit: ink bytes (0 paper, 255 ink), anti-aliased edges."""
    y, x = np.mgrid[:SIDE, :SIDE] + 0.5
    frames = []
    for path in digit_paths():
        ink = np.zeros((SIDE, SIDE), np.float32)
        for px, py in path:
            distance = np.hypot(x - px, y - py)
            ink = np.maximum(ink, np.clip(PEN / 2 + 0.5 - distance, 0, 1))
            frames.append((ink * 255).round().astype(np.uint8))
    return frames


def browser_frame(header: dict, canvas: np.ndarray) -> bytes:
    """A binary frame exactly as the page's encodeFrame (static/js/lib/frames.js) builds it: one u8 array with
    lo 0 and hi 255."""
    entry = {"name": "canvas", "shape": list(canvas.shape), "dtype": "u8", "offset": 0, "lo": [0], "hi": [255]}
    text = json.dumps({**header, "arrays": [entry]}, separators=(",", ":")).encode()
    text += b" " * (-(4 + len(text)) % 4)
    data = canvas.tobytes()
    return struct.pack("<I", len(text)) + text + data + b"\0" * (-len(data) % 4)


def measure(port: int, updates: int, explain: bool = False, preprocess: str = "mnist") -> dict:
    """Send `updates` drawings one at a time and time each answer."""
    drawings = canvases()
    times, server_ms, up, down = [], [], [], []
    with connect(f"ws://127.0.0.1:{port}/ws/lenet", max_size=None, compression=None) as ws:
        ws.send(json.dumps({"type": "hello", "version": 1}))
        json.loads(ws.recv())
        for i in range(updates + WARM_UP):
            header = {"type": "draw", "preprocess": preprocess, "explain": explain, "target": None, "seq": i}
            frame = browser_frame(header, drawings[i % len(drawings)])
            started = time.perf_counter()
            ws.send(frame)
            answer = ws.recv()
            elapsed = time.perf_counter() - started
            header, _ = unpack_frame(answer)
            if header.get("seq") != i:
                raise SystemExit(f"answer to update {i} was {header}")
            if i >= WARM_UP:
                times.append(elapsed * 1e3)
                server_ms.append(header["server_ms"])
                up.append(len(frame))
                down.append(len(answer))
    times.sort()
    return {
        "updates": updates,
        "median_ms": round(statistics.median(times), 3),
        "p99_ms": round(times[min(len(times) - 1, int(0.99 * len(times)))], 3),
        "mean_ms": round(statistics.fmean(times), 3),
        "server_median_ms": round(statistics.median(server_ms), 3),
        "bytes_up_per_update": round(statistics.fmean(up)),
        "bytes_down_per_update": round(statistics.fmean(down)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=500, help="measured updates per mode (default: %(default)s)")
    args = parser.parse_args()
    port = free_port()
    server = start_server(port, RAISED_RATE)  # the page sends at most 25 a second; this sends back to back
    try:
        result = {
            "draw": measure(port, args.updates),
            "draw_explain": measure(port, args.updates, explain=True),
            "draw_raw": measure(port, args.updates, preprocess="raw"),
        }
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
