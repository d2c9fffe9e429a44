"""Feature maps, the plane the linear SVM finds in φ-space, its 3-D view and its preimage back in the plane."""

from __future__ import annotations

import numpy as np
import pytest

from app.kernels.contours import contour
from app.kernels.datasets import make_dataset
from app.kernels.features import (
    FEATURES,
    coordinate_names,
    exponents,
    fit_lifted,
    lift,
    plane_polygon,
    view,
)
from app.kernels.kernels import Kernel

XOR, XOR_LABELS = make_dataset("xor", 4, 0.0, seed=0)


def test_each_map_lifts_as_its_formula() -> None:
    x = np.array([[2.0, 3.0], [-1.0, 0.5]])
    np.testing.assert_array_equal(lift("identity", x), x)
    np.testing.assert_array_equal(lift("product", x), [[2, 3, 6], [-1, 0.5, -0.5]])
    np.testing.assert_array_equal(lift("radius", x), [[2, 3, 13], [-1, 0.5, 1.25]])
    np.testing.assert_array_equal(lift("poly", x, 2), [[2, 3, 4, 6, 9], [-1, 0.5, 1, -0.5, 0.25]])
    assert coordinate_names("poly", 3) == ["x₁", "x₂", "x₁²", "x₁x₂", "x₂²", "x₁³", "x₁²x₂", "x₁x₂²", "x₂³"]


@pytest.mark.parametrize("degree", [1, 2, 3, 6])
def test_the_polynomial_map_has_every_monomial_once(degree: int) -> None:
    powers = exponents(degree)
    assert len(powers) == len(set(powers)) == degree * (degree + 3) // 2
    assert lift("poly", XOR, degree).shape == (4, len(powers)) == (4, len(coordinate_names("poly", degree)))


def test_the_inner_product_of_the_degree_2_map_is_a_polynomial_kernel_in_disguise() -> None:
    """⟨φ(x), φ(x′)⟩ with φ scaled as (√2x₁, √2x₂, x₁², √2x₁x₂, x₂²) is (⟨x, x′⟩ + 1)² − 1: the kernel trick."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((5, 2)), rng.standard_normal((4, 2))
    scale = np.sqrt([2, 2, 1, 2, 1])
    explicit = (lift("poly", a, 2) * scale) @ (lift("poly", b, 2) * scale).T
    np.testing.assert_allclose(explicit, Kernel("poly", gamma=1.0, degree=2, coef0=1.0)(a, b) - 1, atol=1e-12)


def test_no_plane_separates_xor_in_the_plane_but_one_does_after_the_product_lift() -> None:
    flat = fit_lifted("identity", XOR, XOR_LABELS, C=100.0)
    assert np.any(np.sign(flat.decision(XOR)) != 2 * XOR_LABELS - 1)
    lifted = fit_lifted("product", XOR, XOR_LABELS, C=100.0)
    f = lifted.decision(XOR)
    np.testing.assert_array_equal(np.sign(f), 2 * XOR_LABELS - 1)
    assert np.all((2 * XOR_LABELS - 1) * f >= 1 - 1e-3)  # every point on or beyond the margin f = ±1


def test_the_radius_lift_separates_two_circles() -> None:
    points, labels = make_dataset("circles", 60, 0.05, seed=3)
    assert np.mean(np.sign(fit_lifted("identity", points, labels, C=1.0).decision(points)) == 2 * labels - 1) < 0.9
    separator = fit_lifted("radius", points, labels, C=10.0)
    np.testing.assert_array_equal(np.sign(separator.decision(points)), 2 * labels - 1)


@pytest.mark.parametrize("name", FEATURES)
def test_the_separator_is_the_svm_on_lifted_points_and_its_view_is_the_same_function(name: str) -> None:
    points, labels = make_dataset("moons", 40, 0.1, seed=2)
    separator = fit_lifted(name, points, labels, C=1.0, degree=3)
    lifted = lift(name, points, 3)
    np.testing.assert_allclose(separator.decision(points), separator.svm.decision(lifted), atol=1e-9)
    picture = view(separator, points)
    assert picture.points.shape == (40, 3) and len(picture.axes) == 3
    np.testing.assert_allclose(picture.points @ picture.normal + picture.b, separator.decision(points), atol=1e-9)


def test_the_plane_polygon_lies_on_the_plane_inside_the_box_in_order() -> None:
    normal, b = np.array([1.0, 2.0, -1.0]), 0.3
    lo, hi = np.array([-1.0, -1.0, -2.0]), np.array([1.0, 1.0, 2.0])
    polygon = plane_polygon(normal, b, lo, hi)
    assert 3 <= len(polygon) <= 6
    np.testing.assert_allclose(polygon @ normal + b, 0, atol=1e-12)
    assert np.all(polygon >= lo - 1e-12) and np.all(polygon <= hi + 1e-12)
    centre = polygon.mean(axis=0)
    turns = [
        np.cross(p - centre, q - centre) @ normal for p, q in zip(polygon, np.roll(polygon, -1, axis=0), strict=True)
    ]
    assert all(t > 0 for t in turns) or all(t < 0 for t in turns)  # convex, its corners in order around it
    assert plane_polygon(normal, 100.0, lo, hi).shape == (0, 3)  # misses the box
    assert plane_polygon(np.zeros(3), 0.0, lo, hi).shape == (0, 3)


def test_a_horizontal_plane_cuts_the_box_in_its_square() -> None:
    polygon = plane_polygon(np.array([0.0, 0.0, 1.0]), -0.5, np.zeros(3), np.ones(3))
    assert sorted(map(tuple, polygon[:, :2].round(12))) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    np.testing.assert_allclose(polygon[:, 2], 0.5)


def test_contours_of_a_line_and_a_circle_lie_on_them() -> None:
    size, box = 41, (-2.0, 2.0)
    axis = np.linspace(*box, size)
    v, u = np.meshgrid(axis[::-1], axis, indexing="ij")  # the pages' grids: row 0 at the top
    segments = contour(u + 2 * v - 0.5, box)
    ends = segments.reshape(-1, 2)
    np.testing.assert_allclose(ends[:, 0] + 2 * ends[:, 1] - 0.5, 0, atol=1e-12)
    assert segments.shape[1:] == (2, 2) and len(segments) >= size
    ring = contour(u**2 + v**2 - 1.0, box)
    radius = np.hypot(*ring.reshape(-1, 2).T)
    assert np.abs(radius - 1).max() < 0.02  # linear interpolation of a curve on a 0.1 grid
    assert contour(u**2 + v**2 + 1.0, box).shape == (0, 2, 2)


def test_a_saddle_cell_gets_two_segments() -> None:
    values = np.array([[1.0, -1.0], [-1.0, 1.0]])
    assert contour(values, (0.0, 1.0)).shape == (2, 2, 2)
