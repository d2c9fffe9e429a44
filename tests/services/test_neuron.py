"""The artificial neuron over the input plane (app.services.neuron) and the plane's helpers (app.services.plane)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.nn import ACTIVATIONS
from app.services.neuron import neuron_surface
from app.services.plane import INPUT_BOX, grid_points, line_in_box
from app.wire.frames import unpack_frame

GRID = 41
ZERO_CELL, ONE_CELL = 10, 30  # on a 41-cell grid over [−0.5, 1.5], x = 0 and x = 1 fall on these cells


def surface(w1: float, w2: float, b: float, g: str) -> tuple[dict, np.ndarray]:
    header, arrays = unpack_frame(neuron_surface(w1, w2, b, g, GRID))
    return header, arrays["h"]


@pytest.mark.parametrize("g", list(ACTIVATIONS))
def test_grid_is_g_of_b_plus_w_dot_x_at_every_point(g: str) -> None:
    header, h = surface(1.5, -2.0, 0.25, g)
    lo, hi = INPUT_BOX
    axis = np.linspace(lo, hi, GRID)
    x2, x1 = np.meshgrid(axis[::-1], axis, indexing="ij")
    a = 0.25 + 1.5 * x1 - 2.0 * x2
    off_the_line = np.abs(a) > 1e-9  # where a rounds to either side of 0 the step may go either way
    np.testing.assert_allclose(h[off_the_line], ACTIVATIONS[g].forward(a)[off_the_line], rtol=1e-6, atol=1e-6)
    assert header["g"] == g and header["size"] == GRID


def test_grid_rows_run_from_the_top_of_the_plane() -> None:
    points = grid_points(GRID, INPUT_BOX)
    assert points[0].tolist() == [-0.5, 1.5]  # top left
    assert points[GRID - 1].tolist() == [1.5, 1.5]  # top right
    assert points[-1].tolist() == [1.5, -0.5]  # bottom right
    _, h = surface(0.0, 3.0, -1.0, "identity")
    assert h[0, 0] == pytest.approx(3.5) and h[-1, 0] == pytest.approx(-2.5)


def test_the_xor_corners_sit_on_grid_cells() -> None:
    header, h = surface(4.0, 4.0, -6.0, "sigmoid")
    by_corner = {(p["x1"], p["x2"]): p for p in header["points"]}
    assert by_corner[(0.0, 0.0)]["h"] == pytest.approx(h[ONE_CELL, ZERO_CELL], rel=1e-6)
    assert by_corner[(1.0, 1.0)]["h"] == pytest.approx(h[ZERO_CELL, ONE_CELL], rel=1e-6)
    assert by_corner[(1.0, 1.0)]["a"] == 2.0
    assert [p["y"] for p in header["points"]] == [0.0, 1.0, 1.0, 0.0]


def test_moving_b_shifts_the_line_without_turning_it() -> None:
    before, _ = surface(1.0, 2.0, -0.5, "sigmoid")
    after, _ = surface(1.0, 2.0, -1.5, "sigmoid")
    assert after["line"] != before["line"]
    assert after["angle_deg"] == before["angle_deg"] == pytest.approx(math.degrees(math.atan2(2, 1)))
    assert after["offset"] - before["offset"] == pytest.approx(1.0 / math.sqrt(5))
    for header in (before, after):
        for u, v in header["line"]:
            assert header["b"] + header["w1"] * u + header["w2"] * v == pytest.approx(0, abs=1e-9)


def test_moving_a_weight_turns_the_line() -> None:
    before, _ = surface(1.0, 2.0, -0.5, "tanh")
    after, _ = surface(2.0, 1.0, -0.5, "tanh")
    assert after["angle_deg"] != before["angle_deg"]


@pytest.mark.parametrize(
    "g, bounds, level",
    [
        ("sigmoid", (0.0, 1.0), 0.5),
        ("tanh", (-1.0, 1.0), 0.0),
        ("relu", (0.0, None), 0.0),
        ("step", (0.0, 1.0), 0.0),
        ("identity", (None, None), 0.0),
    ],
)
def test_the_range_of_h_follows_g(g: str, bounds: tuple, level: float) -> None:
    header, h = surface(2.0, -1.0, 0.5, g)
    assert tuple(header["range"]) == bounds
    assert header["level"] == level
    lo, hi = header["scale"]
    assert lo <= h.min() + 1e-6 and h.max() <= hi + 1e-6
    if bounds[1] is None:
        assert hi == pytest.approx(h.max(), rel=1e-6)


def test_zero_weights_give_a_flat_output_and_no_line() -> None:
    header, h = surface(0.0, 0.0, 1.0, "sigmoid")
    assert header["line"] is None and header["angle_deg"] is None and header["offset"] is None
    assert np.ptp(h) == 0


@pytest.mark.parametrize(
    "w1, w2, b, ends",
    [
        (1.0, 0.0, -0.5, [(0.5, -0.5), (0.5, 1.5)]),  # vertical x₁ = 0.5
        (0.0, 1.0, -1.0, [(-0.5, 1.0), (1.5, 1.0)]),  # horizontal x₂ = 1
        (1.0, 1.0, -1.0, [(-0.5, 1.5), (1.5, -0.5)]),  # the anti-diagonal through both corners
        (1.0, 1.0, -10.0, None),  # misses the box
        (0.0, 0.0, 1.0, None),
    ],
)
def test_line_in_box(w1: float, w2: float, b: float, ends: list | None) -> None:
    assert line_in_box(w1, w2, b, INPUT_BOX) == ends
