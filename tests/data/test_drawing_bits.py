"""Drawing preprocessing (app.data.drawing) gives bit for bit what its straightforward first version gave, kept
below as the reference: every stage of preprocess_drawing, raw_downscale and the services' prepare, on canvases of
every kind (the page's ink bytes while a digit grows, float, RGB, RGBA, light and dark backgrounds, grey
backgrounds, strips, single pixels, empty canvases, bool and int16)."""

import functools
import math

import numpy as np
import pytest

from app.data.drawing import preprocess_drawing, raw_downscale
from app.services.lenet import prepare

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def reference_preprocess(canvas: np.ndarray) -> dict:
    """Every stage of the drawing's preprocessing, computed as the first version did."""
    ink = reference_ink(canvas)
    strokes = ink > 0.05
    rows, cols = np.flatnonzero(strokes.any(axis=1)), np.flatnonzero(strokes.any(axis=0))
    if rows.size == 0:
        return {"ink": ink, "image": None}
    box = int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1
    crop = ink[box[0] : box[2], box[1] : box[3]]
    h, w = crop.shape
    longer = max(h, w)
    scale = 20 / longer
    scaled = reference_resample(crop, (math.ceil(h * 20 / longer), math.ceil(w * 20 / longer)), (scale, scale))
    scaled = scaled / scaled.max()
    cy, cx = reference_center_of_mass(scaled)
    top = min(max(round(13.5 - cy), 0), 28 - scaled.shape[0])
    left = min(max(round(13.5 - cx), 0), 28 - scaled.shape[1])
    image = np.zeros((28, 28), dtype=np.float32)
    image[top : top + scaled.shape[0], left : left + scaled.shape[1]] = scaled
    offset, center = (top, left), reference_center_of_mass(image)
    return {"ink": ink, "crop": crop, "scaled": scaled, "box": box, "offset": offset, "image": image, "com": center}


def reference_ink(canvas: np.ndarray) -> np.ndarray:
    """The canvas's ink map: float32 in [0, 1], grey by luma, RGBA on its backdrop, background removed."""
    pixels = np.asarray(canvas)
    full = 255 if pixels.dtype.kind in "iu" else 1
    pixels = np.divide(pixels, full, dtype=np.float32)
    grey = pixels
    if pixels.ndim == 3:
        grey = pixels[..., :3] @ LUMA
        if pixels.shape[2] == 4:
            alpha = pixels[..., 3]
            backdrop = 1.0 if (alpha * grey).sum() < 0.5 * alpha.sum() else 0.0
            grey = alpha * grey + (1 - alpha) * backdrop
    background = float(np.median(np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])))
    if background > 0.5:
        grey, background = 1 - grey, 1 - background
    return np.clip((grey - background) / (1 - background), 0, 1)


def reference_center_of_mass(image: np.ndarray) -> tuple[float, float]:
    h, w = image.shape
    total = image.sum()
    return float(image.sum(axis=1) @ np.arange(h) / total), float(image.sum(axis=0) @ np.arange(w) / total)


def reference_resample(image: np.ndarray, shape: tuple[int, int], scale: tuple[float, float] | None = None):
    (h, w), (out_h, out_w) = image.shape, shape
    scale_y, scale_x = scale if scale is not None else (out_h / h, out_w / w)
    if out_h * w <= h * out_w:
        return reference_resample_axis(reference_resample_axis(image, 0, out_h, scale_y), 1, out_w, scale_x)
    return reference_resample_axis(reference_resample_axis(image, 1, out_w, scale_x), 0, out_h, scale_y)


def reference_resample_axis(image: np.ndarray, axis: int, n_out: int, scale: float) -> np.ndarray:
    pixels = np.moveaxis(image, axis, 0)
    n_in = pixels.shape[0]
    running = np.zeros((n_in + 1, *pixels.shape[1:]), dtype=np.float64)
    np.cumsum(pixels, axis=0, dtype=np.float64, out=running[1:])
    edges = np.minimum(np.arange(n_out + 1) / scale, n_in)
    index = np.minimum(edges.astype(np.intp), n_in - 1)
    covered = (edges - index).reshape(-1, *[1] * (pixels.ndim - 1))
    integral = running[index] + covered * pixels[index]
    out = (np.diff(integral, axis=0) * scale).astype(np.float32)
    return np.moveaxis(out, 0, axis)


def growing_strokes(rng: np.random.Generator, side: int, points: int) -> list[np.ndarray]:
    """The page's ink bytes after each point of a random pen path: anti-aliased discs of a random pen."""
    y, x = np.mgrid[:side, :side] + 0.5
    pen = rng.uniform(1, side / 8)
    path = np.cumsum(rng.normal(0, side / 12, (points, 2)), axis=0) + rng.uniform(0, side, 2)
    ink, frames = np.zeros((side, side), np.float32), []
    for py, px in path:
        ink = np.maximum(ink, np.clip(pen / 2 + 0.5 - np.hypot(x - px, y - py), 0, 1))
        frames.append((ink * 255).round().astype(np.uint8))
    return frames


@functools.cache
def canvases() -> list[np.ndarray]:
    """Canvases of every kind preprocess_drawing reads."""
    rng = np.random.default_rng(12)
    found: list[np.ndarray] = []
    for side in (140, 97, 400):
        found += growing_strokes(rng, side, 25)
    drawn = found[10::6]
    for canvas in drawn:
        floats = canvas / np.float64(255)
        found += [
            floats,
            1 - floats,  # dark on light
            0.3 + 0.5 * floats,  # a grey background
            255 - canvas,
            np.stack([canvas, canvas // 2, 255 - canvas], axis=2),
            np.stack([canvas, canvas, canvas, rng.integers(0, 256, canvas.shape, dtype=np.uint8)], axis=2),
            np.dstack([np.zeros_like(canvas)] * 3 + [canvas]),  # transparent paper
            canvas.astype(np.int16),
            canvas > 128,
            rng.uniform(0, 1, canvas.shape).astype(np.float32) * (canvas > 0),
            np.where(canvas > 0, floats, -0.0),  # zeros with their sign bit set
        ]
    strip = np.zeros((1, 300), np.uint8)
    strip[0, 40:90] = 255
    dot = np.full((5, 7), 0.0)
    dot[2, 3] = 1.0
    found += [strip, strip.T, dot, np.ones((1, 1)), np.zeros((140, 140), np.uint8), np.full((30, 30), 0.04)]
    found += [rng.uniform(0, 1, (h, w)) for h, w in rng.integers(1, 120, (20, 2))]
    return found


def same(a: object, b: object) -> bool:
    """Equal to the bit: arrays by dtype, shape and bytes; tuples of numbers by type and value."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and a.tobytes() == b.tobytes()
        )
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("index", range(len(canvases())))
def test_every_stage_is_bit_for_bit_the_reference(index):
    canvas = canvases()[index]
    stages, expected = preprocess_drawing(canvas), reference_preprocess(canvas)
    assert same(stages.ink, expected["ink"])
    if expected["image"] is None:
        assert stages.image is None and prepare(canvas).empty
        return
    for name in ("crop", "scaled", "box", "offset", "image"):
        assert same(getattr(stages, name), expected[name]), name
    assert same(stages.center_of_mass, expected["com"])
    raw = np.minimum(reference_resample(expected["ink"], (28, 28)), 1)
    assert same(raw_downscale(canvas), raw)
    assert same(prepare(canvas).image, expected["image"]) and same(prepare(canvas, "raw").image, raw)
