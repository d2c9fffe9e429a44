"""benchmarks/cpu_parts.py: py-spy's sampled stacks put in the part of their innermost frame that has one."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from cpu_parts import NAMES, part_of, shares  # noqa: E402

ROOT = "Server.run (uvicorn/server.py:86);Runner.run (asyncio/runners.py:118)"
DRAW = f"{ROOT};Together.flush (app/server/together.py:67);draw_together (app/services/lenet_together.py:50)"
SAMPLES = {  # a sampled stack below the server's loop -> its part
    f"{DRAW};read_many (app/services/lenet.py:168);Conv2D.forward (app/nn/layers.py:90);_sum (numpy/_methods.py:49)": (
        "engine"
    ),
    f"{DRAW};prepare_many (app/services/lenet.py:114);preprocess_drawings (app/data/drawing.py:264)": "preprocessing",
    f"{DRAW};prediction_frames (app/services/lenet.py:189);pack_frames (app/wire/frames.py:90);rint (numpy/x.py:1)": (
        "encoding"
    ),
    f"{DRAW};prediction_frames (app/services/lenet.py:189)": "encoding",
    f"{DRAW};key_of (app/services/answer_cache.py:70)": "answering",
    f"{DRAW}": "answering",
    f"{ROOT};validate (app/server/ws.py:519);read_frame (app/wire/frames.py:142)": "websocket",
    f"{ROOT};RoomSession.feed (app/rooms/session.py:190);Link.send (app/server/ws.py:244)": "websocket",
    f"{ROOT};RoomSession.feed (app/rooms/session.py:178)": "rooms",
    f"{ROOT}": "websocket",
    "Thread.run (threading.py:982);_worker (concurrent/futures/thread.py:81)": "other",
}


def test_each_stack_goes_to_the_part_of_its_innermost_frame_that_has_one() -> None:
    for stack, part in SAMPLES.items():
        assert part_of(stack.split(";")) == part, stack


def test_the_shares_count_the_samples_of_each_part() -> None:
    raw = "\n".join(f"{stack} {count}" for stack, count in zip(SAMPLES, range(1, len(SAMPLES) + 1), strict=True))
    total = sum(range(1, len(SAMPLES) + 1))
    found = shares(raw + "\nnot a sample line\n")
    assert list(found) == list(NAMES)
    assert found["engine"] == 1 / total
    assert found["encoding"] == (3 + 4) / total
    assert found["websocket"] == (7 + 8 + 10) / total
    assert found["other"] == 11 / total
    assert abs(sum(found.values()) - 1) < 1e-12


def test_no_samples_no_shares() -> None:
    assert shares("") == {}
