"""Plain drawings of many connections answered together: the answer cache's misses read by LeNet-5 in one forward
pass and every frame packed in one quantization, so a class drawing at once costs the server about half as much
per drawing at 4 together, under half at 16 (benchmarks/drawing_path.py; app/server/together.py gathers them from
the event loop's rounds).

Each frame is the one LeNetSession.draw makes for the same drawing, up to the float rounding of batched arithmetic.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.services.answer_cache import cache_of, key_of
from app.services.lenet import LeNetSession, Prepared, Reading, prediction_frames, prepare_many, read_many
from app.wire.lenet import Preprocessing


@dataclass(frozen=True)
class PlainDrawing:
    """A drawing answered with no explanation and no zoomed unit, on its connection's session."""

    session: LeNetSession
    canvas: np.ndarray  # what the page sent; checked already (app/wire/limits.py check_canvas)
    mode: Preprocessing
    seq: int
    target: int | None = None  # part of the answer cache's key, as in LeNetSession.draw


def draw_together(drawings: Sequence[PlainDrawing]) -> list[bytes]:
    """The prediction frame of each drawing: a session taught weights of its own answers alone, the others read
    on the shared weights (from the answer cache, or in one forward pass for all that miss it)."""
    started = time.perf_counter()
    answers: list[tuple[Prepared, Reading | None] | None] = [None] * len(drawings)
    frames: list[bytes | None] = [None] * len(drawings)
    shared: dict[int, list[int]] = {}  # id of a shared model -> the drawings read on it
    for index, drawing in enumerate(drawings):
        if drawing.session.taught_steps:
            frames[index] = drawing.session.draw(drawing.canvas, drawing.mode, False, drawing.target, drawing.seq)
        else:
            shared.setdefault(id(drawing.session.shared), []).append(index)
    for indices in shared.values():
        for index, answer in zip(indices, read_on_shared([drawings[i] for i in indices]), strict=True):
            answers[index] = answer
    packed = iter(
        prediction_frames(
            [
                (*answer, drawing.session.header(drawing.seq, None, started))
                for drawing, answer in zip(drawings, answers, strict=True)
                if answer is not None
            ]
        )
    )
    return [frame if frame is not None else next(packed) for frame in frames]


def read_on_shared(drawings: Sequence[PlainDrawing]) -> list[tuple[Prepared, Reading | None]]:
    """What each frame shows, for drawings on the same shared weights: kept answers from the shared model's
    AnswerCache, the rest prepared together and read in one pass (by the first drawing's session's copy of the
    layers, released after), then kept as LeNetSession.draw keeps them (with no unit's computation)."""
    session = drawings[0].session
    cache = cache_of(session.shared)
    keys = [key_of(d.canvas, d.mode, False, d.target, None) for d in drawings]
    kept = [cache.get(key) for key in keys]  # (prepared, reading, None) or None
    missing = [index for index, found in enumerate(kept) if found is None]
    prepared = prepare_many([drawings[i].canvas for i in missing], [drawings[i].mode for i in missing])
    images = [p.image for p in prepared if p.image is not None]
    try:
        readings = iter(read_many(session.model, np.stack(images)) if images else [])
    finally:
        session.release()
    for index, p in zip(missing, prepared, strict=True):
        kept[index] = (p, None if p.image is None else next(readings), None)
        cache.put(keys[index], kept[index])
    return [(found[0], found[1]) for found in kept if found is not None]  # every one found or read by now
