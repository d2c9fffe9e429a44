"""The input plane the neuron and XOR pages draw on: a grid of points over a square, and lines clipped to it.

Grids are row-major with row 0 at the top (largest second coordinate), column 0 at the left (smallest first
coordinate), so the browser paints them as they come.
"""

from __future__ import annotations

import numpy as np

INPUT_BOX = (-0.5, 1.5)  # x₁ and x₂ range of the input plane: the four XOR points with a margin
HIDDEN_BOX = (-0.1, 1.1)  # z₁ and z₂ range of the hidden space: a sigmoid's outputs (0, 1), with a margin

Point = tuple[float, float]


def grid_points(size: int, box: tuple[float, float]) -> np.ndarray:
    """(size², 2) points (u, v) of a size×size grid over box², rows from v = hi down to v = lo."""
    lo, hi = box
    axis = np.linspace(lo, hi, size)
    v, u = np.meshgrid(axis[::-1], axis, indexing="ij")
    return np.stack([u.ravel(), v.ravel()], axis=1)


def line_in_box(w1: float, w2: float, b: float, box: tuple[float, float]) -> list[Point] | None:
    """The two ends of the line b + w1·u + w2·v = 0 inside box², or None when it misses the box (or w = 0)."""
    lo, hi = box
    ends: list[Point] = []
    for edge in (lo, hi):
        if w2 != 0:
            ends.append((edge, -(b + w1 * edge) / w2))
        if w1 != 0:
            ends.append((-(b + w2 * edge) / w1, edge))
    inside = {(round(u, 12) + 0.0, round(v, 12) + 0.0) for u, v in ends if lo <= u <= hi and lo <= v <= hi}
    if len(inside) < 2:
        return None
    pairs = [(p, q) for p in inside for q in inside]
    p, q = max(pairs, key=lambda pq: (pq[0][0] - pq[1][0]) ** 2 + (pq[0][1] - pq[1][1]) ** 2)
    return sorted([p, q])
