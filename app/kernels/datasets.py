"""Two-class point sets a teacher reaches for when kernels come up: XOR, two circles, two moons, a spiral, blobs.

Every set is drawn from a seeded NumPy generator, so the same (name, size, noise, seed) gives the same points on
every server. Labels are 0 and 1 (1 is the positive class of the SVM). Points lie inside the set's square `BOXES`
(noise that would carry one outside is clipped to it), so a page can draw every set on a fixed plane and a click
inside the plane is always a valid point.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, get_args

import numpy as np

DatasetName = Literal["xor", "circles", "moons", "spiral", "blobs"]
DATASETS: tuple[DatasetName, ...] = get_args(DatasetName)

# XOR's four corners in the slides' order (x₁, x₂) and their targets, as on the XOR page (app/models/xor.py).
XOR_POINTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_LABELS = np.array([0, 1, 1, 0])

# The square [lo, hi]² each set is drawn on: XOR's corners with the XOR page's margin, the rest around the origin.
BOXES: dict[DatasetName, tuple[float, float]] = {
    "xor": (-0.5, 1.5),
    "circles": (-2.0, 2.0),
    "moons": (-2.0, 2.0),
    "spiral": (-2.0, 2.0),
    "blobs": (-2.0, 2.0),
}

# What each set is drawn with when no size or noise is asked: XOR is its four points exactly.
DEFAULT_SIZE: dict[DatasetName, int] = {"xor": 4, "circles": 80, "moons": 80, "spiral": 100, "blobs": 60}
DEFAULT_NOISE: dict[DatasetName, float] = {"xor": 0.0, "circles": 0.1, "moons": 0.1, "spiral": 0.05, "blobs": 0.3}

Points = tuple[np.ndarray, np.ndarray]  # (n, 2) float64 points, (n,) int64 labels in {0, 1}


def halves(size: int) -> tuple[int, int]:
    """How many points of class 0 and of class 1 a set of size points has (class 0 gets the odd one)."""
    return size - size // 2, size // 2


def xor(size: int, noise: float, rng: np.random.Generator) -> Points:
    """XOR: the four corners cycled to size points, each moved by Gaussian noise of standard deviation noise."""
    index = np.arange(size) % 4
    return XOR_POINTS[index] + noise * rng.standard_normal((size, 2)), XOR_LABELS[index]


def circles(size: int, noise: float, rng: np.random.Generator) -> Points:
    """Two circles around the origin: class 0 on radius 1.5, class 1 on radius 0.75 (scikit-learn's make_circles)."""
    outer, inner = halves(size)
    angles = np.concatenate(
        [np.linspace(0, 2 * np.pi, outer, endpoint=False), np.linspace(0, 2 * np.pi, inner, endpoint=False)]
    )
    radius = np.concatenate([np.full(outer, 1.5), np.full(inner, 0.75)])
    points = np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1)
    return points + noise * rng.standard_normal((size, 2)), np.repeat([0, 1], [outer, inner])


def moons(size: int, noise: float, rng: np.random.Generator) -> Points:
    """Two interleaved half circles (scikit-learn's make_moons), centred on the origin."""
    upper, lower = halves(size)
    top, bottom = np.linspace(0, np.pi, upper), np.linspace(0, np.pi, lower)
    points = np.concatenate(
        [np.stack([np.cos(top), np.sin(top)], axis=1), np.stack([1 - np.cos(bottom), 0.5 - np.sin(bottom)], axis=1)]
    )
    points = (points - [0.5, 0.25]) * 1.2
    return points + noise * rng.standard_normal((size, 2)), np.repeat([0, 1], [upper, lower])


def spiral(size: int, noise: float, rng: np.random.Generator) -> Points:
    """Two arms winding one and a half turns out from the origin, the second the first turned by half a turn."""
    first, second = halves(size)
    arms = []
    for count, turn in ((first, 0.0), (second, np.pi)):
        t = np.linspace(0.15, 1.0, count)
        angle = 3 * np.pi * t + turn
        arms.append(np.stack([1.6 * t * np.cos(angle), 1.6 * t * np.sin(angle)], axis=1))
    points = np.concatenate(arms)
    return points + noise * rng.standard_normal((size, 2)), np.repeat([0, 1], [first, second])


def blobs(size: int, noise: float, rng: np.random.Generator) -> Points:
    """Two Gaussian blobs around (−0.8, −0.8) and (0.8, 0.8) with standard deviation noise: a line separates them
    while noise stays small."""
    lower, upper = halves(size)
    centres = np.repeat([[-0.8, -0.8], [0.8, 0.8]], [lower, upper], axis=0)
    return centres + noise * rng.standard_normal((size, 2)), np.repeat([0, 1], [lower, upper])


MAKERS: dict[DatasetName, Callable[[int, float, np.random.Generator], Points]] = {
    "xor": xor,
    "circles": circles,
    "moons": moons,
    "spiral": spiral,
    "blobs": blobs,
}


def make_dataset(name: DatasetName, size: int, noise: float, seed: int) -> Points:
    """Points (size, 2) float64 and labels (size,) int64 of the named set, clipped to its box; size ≥ 2 so both
    classes are present, noise ≥ 0 (the standard deviation of the Gaussian jitter)."""
    if name not in MAKERS:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)}, got {name!r}")
    if size < 2:
        raise ValueError(f"size must be at least 2 so both classes have a point, got {size}")
    if not noise >= 0:
        raise ValueError(f"noise must be at least 0, got {noise}")
    points, labels = MAKERS[name](size, noise, np.random.default_rng(seed))
    lo, hi = BOXES[name]
    return np.clip(points, lo, hi).astype(np.float64), labels.astype(np.int64)
