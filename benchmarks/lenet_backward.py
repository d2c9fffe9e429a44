"""Round trips of /lenet's Backward mode: a `backward` step going up, its `backward` frame coming back.

Starts a real server (`python -m app serve`) on a free loopback port and connects with the `websockets` client
like one student's page in Backward mode: the drawing (140×140 ink bytes in a binary frame, as the page sends it)
with the stage δ has reached, stepping fc3 → fc2 → … → input and starting again, one step in flight at a time
(the page's latest-wins request). Each step is a whole round trip: upload, preprocessing, the float64 forward and
backward pass, the frame with δ for every stage reached, download. With --drill every step also drills into a
conv1 weight (its window-by-window terms and a float64 finite difference: two more forward passes).

Prints one JSON line per mode: median, 99th percentile and mean round trip in ms, the server's own time, and the
bytes per step in each direction (all stages together, and per stage).

    python benchmarks/lenet_backward.py [--steps 400]

The page steps when a person presses a key; this script steps back to back, so the server's per-socket message
rate limit is raised for its own server process. On a shared machine the figures include whatever else runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from websockets.sync.client import connect

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.services.lenet_backward import BACKWARD_STAGES  # noqa: E402
from app.wire.frames import unpack_frame  # noqa: E402
from benchmarks.lenet_roundtrip import RAISED_RATE, browser_frame, canvases, free_port, start_server  # noqa: E402

WARM_UP = 16
DRILL = {"parameter": "conv1.w", "index": [0, 0, 2, 2]}


def percentile(values: list[float], q: float) -> float:
    """The q-th quantile (0..1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(port: int, steps: int, drill: bool) -> dict:
    """Send `steps` backward steps one at a time, cycling through the stages on finished drawings."""
    drawing = canvases()[-1]  # a whole 7
    times, server_ms, up, down = [], [], [], []
    per_stage: dict[str, list[int]] = defaultdict(list)
    with connect(f"ws://127.0.0.1:{port}/ws/lenet", max_size=None, compression=None) as ws:
        ws.send(json.dumps({"type": "hello", "version": 1}))
        json.loads(ws.recv())
        for i in range(steps + WARM_UP):
            stage = BACKWARD_STAGES[i % len(BACKWARD_STAGES)]
            header = {"type": "backward", "preprocess": "mnist", "label": None, "stage": stage, "seq": i}
            if drill:
                header["weight"] = DRILL
            frame = browser_frame(header, drawing)
            started = time.perf_counter()
            ws.send(frame)
            answer = ws.recv()
            elapsed = time.perf_counter() - started
            reply, _ = unpack_frame(answer)
            if reply.get("seq") != i or reply.get("type") != "backward":
                raise SystemExit(f"answer to step {i} was {reply}")
            if i >= WARM_UP:
                times.append(elapsed * 1e3)
                server_ms.append(reply["server_ms"])
                up.append(len(frame))
                down.append(len(answer))
                per_stage[stage].append(len(answer))
    return {
        "steps": steps,
        "median_ms": round(statistics.median(times), 3),
        "p99_ms": round(percentile(times, 0.99), 3),
        "mean_ms": round(statistics.fmean(times), 3),
        "server_median_ms": round(statistics.median(server_ms), 3),
        "bytes_up_per_step": round(statistics.fmean(up)),
        "bytes_down_per_step": round(statistics.fmean(down)),
        "bytes_down_by_stage": {stage: round(statistics.fmean(sizes)) for stage, sizes in per_stage.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="measured steps per mode (default: %(default)s)")
    args = parser.parse_args()
    port = free_port()
    server = start_server(port, RAISED_RATE)
    try:
        result = {"backward": measure(port, args.steps, False), "backward_drill": measure(port, args.steps, True)}
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
