"""Level curves of a function sampled on a grid of the plane, as line segments (marching squares).

The grid is the one the pages paint: row-major size×size over the square box², row 0 at the top (largest second
coordinate), column 0 at the left. Each cell whose corners are not all on one side of the level gets one or two
segments between the points where its edges cross the level, found by linear interpolation along the edge.
"""

from __future__ import annotations

import numpy as np

# A cell's corners in order around it, as (row offset, column offset), and its edges as pairs of corners.
CORNERS = ((0, 0), (0, 1), (1, 1), (1, 0))
EDGES = ((0, 1), (1, 2), (2, 3), (3, 0))


def cell_segments(values: np.ndarray, points: np.ndarray, level: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """The segments of one cell: values (4,) at its corners points (4, 2) in order around it.

    Four crossings (a saddle) are paired by the value at the cell's centre, the mean of its corners."""
    above = values > level
    crossings = []
    for a, c in EDGES:
        if above[a] != above[c]:
            t = (level - values[a]) / (values[c] - values[a])
            crossings.append(points[a] + t * (points[c] - points[a]))
    if len(crossings) == 2:
        return [(crossings[0], crossings[1])]
    centre_above = values.mean() > level
    if centre_above == above[0]:  # corner 0's region reaches the centre: cut off corners 1 and 3
        return [(crossings[0], crossings[1]), (crossings[2], crossings[3])]
    return [(crossings[3], crossings[0]), (crossings[1], crossings[2])]


def contour(values: np.ndarray, box: tuple[float, float], level: float = 0.0) -> np.ndarray:
    """Segments (m, 2, 2) of the curve where the grid values (size, size) equal level, in plane coordinates."""
    size = values.shape[0]
    lo, hi = box
    step = (hi - lo) / (size - 1)
    above = values > level
    corners = np.stack([above[r : size - 1 + r, c : size - 1 + c] for r, c in CORNERS])
    mixed = np.argwhere(corners.any(axis=0) & ~corners.all(axis=0))
    segments = []
    for row, col in mixed:
        cell = np.array([values[row + r, col + c] for r, c in CORNERS])
        where = np.array([[lo + (col + c) * step, hi - (row + r) * step] for r, c in CORNERS])
        segments.extend(cell_segments(cell, where, level))
    return np.array(segments, dtype=np.float64).reshape(-1, 2, 2)
