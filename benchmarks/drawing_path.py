"""The server CPU of one drawing's answer split into its parts, in one process: no sockets, no threads.

Each step of a `draw` on /ws/lenet runs on the drawings of benchmarks/lenet_roundtrip.py (140×140 ink bytes, the
strokes of four digits growing point by point, in the binary frame the page sends) and is timed call by call:

    parse     the frame as the server reads it (app/server/ws.py parse → app/wire/frames.py read_frame)
    validate  the typed Draw message (app/server/routes/lenet.py MESSAGES)
    key       the answer cache's key of the canvas and options (app/services/answer_cache.py key_of)
    prepare   MNIST-style preprocessing to LeNet's 28×28 input (app/services/lenet.py prepare)
    forward   one traced forward pass of the shared LeNet-5 (app/services/lenet.py read)
    pack      the prediction frame with every stage's maps (app/services/lenet.py prediction_frame)
    draw      the whole LeNetSession.draw on a cache miss (key, prepare, forward, release, pack)

Prints the median µs per drawing of each step (a table, or one JSON object with --json).

    python benchmarks/drawing_path.py [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.models.lenet import load_lenet5  # noqa: E402
from app.server.routes.lenet import MESSAGES  # noqa: E402
from app.server.ws import parse  # noqa: E402
from app.services.answer_cache import cache_of, key_of  # noqa: E402
from app.services.lenet import LeNetSession, prediction_frame, prepare, read  # noqa: E402
from app.settings import Settings  # noqa: E402
from benchmarks.lenet_roundtrip import browser_frame, canvases  # noqa: E402


def median_us(step: Callable[[Any], object], inputs: Sequence[Any], rounds: int, before: Callable[[], object]) -> float:
    """The median µs of step(x) over every input, `rounds` times over (after one untimed warm-up round);
    `before` runs untimed ahead of each call."""
    times = []
    for round_ in range(rounds + 1):
        for x in inputs:
            before()
            started = time.perf_counter_ns()
            step(x)
            if round_:
                times.append(time.perf_counter_ns() - started)
    return statistics.median(times) / 1e3


def measure(rounds: int) -> dict[str, float]:
    """The median µs per drawing of each step of a draw's answer."""
    model = load_lenet5()[0]
    session = LeNetSession(model)
    settings = Settings()
    drawings = canvases()
    header = {"type": "draw", "preprocess": "mnist", "explain": False, "target": None, "seq": 1}
    frames = [{"type": "websocket.receive", "bytes": browser_frame(header, canvas)} for canvas in drawings]
    parsed = [parse(frame, settings) for frame in frames]
    messages = [MESSAGES.validate_python(obj) for obj in parsed]
    prepared = [prepare(message.canvas) for message in messages]
    readings = [read(session.model, p.image) for p in prepared]
    session.release()
    answer = {"seq": 1, **session.state, "unit": None, "server_ms": 0.5}
    cache = cache_of(model)

    def clear() -> None:
        cache.answers.clear()

    def forward(image: Any) -> object:
        return read(session.model, image)

    steps: dict[str, tuple[Callable[[Any], object], Sequence[Any]]] = {
        "parse": (lambda frame: parse(frame, settings), frames),
        "validate": (MESSAGES.validate_python, parsed),
        "key": (lambda m: key_of(m.canvas, m.preprocess, m.explain, m.target, None), messages),
        "prepare": (lambda m: prepare(m.canvas, m.preprocess), messages),
        "forward": (forward, [p.image for p in prepared]),
        "pack": (lambda pair: prediction_frame(*pair, answer), list(zip(prepared, readings, strict=True))),
        "draw": (lambda m: session.draw(m.canvas, m.preprocess, m.explain, m.target, m.seq), messages),
    }
    return {name: round(median_us(step, inputs, rounds, clear), 1) for name, (step, inputs) in steps.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the drawings (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()
    result = measure(args.rounds)
    if args.json:
        print(json.dumps({"drawings": len(canvases()), "rounds": args.rounds, "median_us": result}))
        return
    print(f"{'step':<10}{'µs per drawing':>16}")
    for name, us in result.items():
        print(f"{name:<10}{us:>16.1f}")


if __name__ == "__main__":
    main()
