"""The server CPU of one drawing's answer split into its parts, in one process: no sockets, no threads.

Each drawing of benchmarks/lenet_roundtrip.py (140×140 ink bytes, the strokes of four digits growing point by
point, in the binary frame the page sends) goes through the steps of a `draw` on /ws/lenet one after the other,
as the server runs them, each step timed:

    parse     the frame as the server reads it (app/server/ws.py parse → app/wire/frames.py read_frame)
    validate  the typed Draw message (app/server/routes/lenet.py MESSAGES)
    key       the answer cache's key of the canvas and options (app/services/answer_cache.py key_of)
    prepare   MNIST-style preprocessing to LeNet's 28×28 input (app/services/lenet.py prepare)
    forward   one traced forward pass of the shared LeNet-5 (app/services/lenet.py read)
    release   dropping the pass's layer caches (LeNetSession.release)
    pack      the prediction frame with every stage's maps (app/services/lenet.py prediction_frame)
    sum       the steps together
    draw      then, apart, the whole LeNetSession.draw on a cache miss (key to pack, with the cache's look-ups)
    together×N  the drawings answered N at a time (app/services/lenet_together.py draw_together, as the event
              loop answers those arriving in one round), per drawing, on cache misses

Prints the median µs per drawing of each (a table, or one JSON object with --json). The websocket, the thread
hop and the room broadcasts are not here: benchmarks/classroom_load.py measures the whole server.

    python benchmarks/drawing_path.py [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.models.lenet import load_lenet5  # noqa: E402
from app.server.routes.lenet import MESSAGES  # noqa: E402
from app.server.ws import parse  # noqa: E402
from app.services.answer_cache import cache_of, key_of  # noqa: E402
from app.services.lenet import LeNetSession, prediction_frame, prepare, read  # noqa: E402
from app.services.lenet_together import PlainDrawing, draw_together  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.wire.lenet import Draw  # noqa: E402
from benchmarks.lenet_roundtrip import browser_frame, canvases  # noqa: E402

STEPS = ("parse", "validate", "key", "prepare", "forward", "release", "pack")
TOGETHER = (1, 4, 16)  # drawings answered together, as the event loop gathers them (app/server/together.py)


def timed_steps(frame: dict, session: LeNetSession, settings: Settings) -> list[int]:
    """The ns each step of one drawing's answer took, the steps run one after the other as the server runs them
    (each step measured alone, over and over, runs warmer and faster than inside the sequence)."""
    marks = [time.perf_counter_ns()]
    obj = parse(frame, settings)
    marks.append(time.perf_counter_ns())
    message = MESSAGES.validate_python(obj)
    marks.append(time.perf_counter_ns())
    key_of(message.canvas, message.preprocess, message.explain, message.target, None)
    marks.append(time.perf_counter_ns())
    prepared = prepare(message.canvas, message.preprocess)
    marks.append(time.perf_counter_ns())
    reading = read(session.model, prepared.image)
    marks.append(time.perf_counter_ns())
    session.release()
    marks.append(time.perf_counter_ns())
    prediction_frame(prepared, reading, {"seq": message.seq, **session.state, "unit": None, "server_ms": 0.5})
    marks.append(time.perf_counter_ns())
    return [end - start for start, end in itertools.pairwise(marks)]


def timed_draw(message: Draw, session: LeNetSession) -> int:
    """The ns of the whole LeNetSession.draw of a message on a cache miss."""
    cache_of(session.shared).answers.clear()
    started = time.perf_counter_ns()
    session.draw(message.canvas, message.preprocess, message.explain, message.target, message.seq)
    return time.perf_counter_ns() - started


def timed_together(messages: list[Draw], sessions: list[LeNetSession]) -> float:
    """The ns per drawing of answering messages together (app/services/lenet_together.py), on cache misses."""
    cache_of(sessions[0].shared).answers.clear()
    drawings = [PlainDrawing(s, m.canvas, m.preprocess, m.seq) for s, m in zip(sessions, messages, strict=False)]
    started = time.perf_counter_ns()
    draw_together(drawings)
    return (time.perf_counter_ns() - started) / len(drawings)


def measure(rounds: int) -> dict[str, float]:
    """The median µs per drawing of each step of a draw's answer, their sum, the whole draw on a cache miss, and
    draws answered together in groups of TOGETHER, over the drawings `rounds` times (after one untimed round)."""
    session, settings = LeNetSession(load_lenet5()[0]), Settings()
    header = {"type": "draw", "preprocess": "mnist", "explain": False, "target": None, "seq": 1}
    frames = [{"type": "websocket.receive", "bytes": browser_frame(header, canvas)} for canvas in canvases()]
    messages = [MESSAGES.validate_python(parse(frame, settings)) for frame in frames]
    sessions = [LeNetSession(session.shared) for _ in range(max(TOGETHER))]
    steps, draws = [], []
    together: dict[int, list[float]] = {size: [] for size in TOGETHER}
    for round_ in range(rounds + 1):  # the steps over all the drawings, then the draws, then the groups
        times = [timed_steps(frame, session, settings) for frame in frames]
        draw = [timed_draw(message, session) for message in messages]
        groups = {
            size: [timed_together(messages[i : i + size], sessions) for i in range(0, len(messages) - size + 1, size)]
            for size in TOGETHER
        }
        if round_:
            steps += times
            draws += draw
            for size, group in groups.items():
                together[size] += group
    result = {name: statistics.median(times) / 1e3 for name, times in zip(STEPS, zip(*steps, strict=True), strict=True)}
    result |= {"sum": statistics.median(map(sum, steps)) / 1e3, "draw": statistics.median(draws) / 1e3}
    result |= {f"together×{size}": statistics.median(group) / 1e3 for size, group in together.items()}
    return {name: round(us, 1) for name, us in result.items()}


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
