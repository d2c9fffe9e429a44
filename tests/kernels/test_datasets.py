"""The page's point sets: seeded, sized, inside their boxes, both classes present, and shaped as their names say."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from app.kernels.datasets import BOXES, DATASETS, DEFAULT_NOISE, DEFAULT_SIZE, XOR_LABELS, XOR_POINTS, make_dataset


@pytest.mark.parametrize("name", DATASETS)
def test_every_set_has_its_size_both_classes_and_stays_in_its_box(name: str) -> None:
    for size in (2, 3, 17, 200):
        points, labels = make_dataset(name, size, 0.3, seed=1)
        assert points.shape == (size, 2) and points.dtype == np.float64
        assert labels.shape == (size,) and set(labels.tolist()) == {0, 1}
        lo, hi = BOXES[name]
        assert points.min() >= lo and points.max() <= hi


@pytest.mark.parametrize("name", DATASETS)
def test_a_seed_gives_the_same_points_and_another_seed_other_noise(name: str) -> None:
    size, noise = DEFAULT_SIZE[name], max(DEFAULT_NOISE[name], 0.1)
    first, second = make_dataset(name, size, noise, seed=7), make_dataset(name, size, noise, seed=7)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], make_dataset(name, size, noise, seed=8)[0])


def test_xor_by_default_is_the_four_corners_of_the_xor_page() -> None:
    points, labels = make_dataset("xor", 4, 0.0, seed=0)
    np.testing.assert_array_equal(points, XOR_POINTS)
    np.testing.assert_array_equal(labels, XOR_LABELS)
    np.testing.assert_array_equal(XOR_LABELS, [0, 1, 1, 0])  # the XOR page's targets (app/models/xor.py)


def test_without_noise_the_circles_lie_on_their_radii_and_the_blobs_on_their_centres() -> None:
    points, labels = make_dataset("circles", 40, 0.0, seed=0)
    radius = np.hypot(points[:, 0], points[:, 1])
    np.testing.assert_allclose(radius[labels == 0], 1.5)
    np.testing.assert_allclose(radius[labels == 1], 0.75)
    points, labels = make_dataset("blobs", 10, 0.0, seed=0)
    np.testing.assert_allclose(points[labels == 0], -0.8)
    np.testing.assert_allclose(points[labels == 1], 0.8)


def test_moons_interleave_so_no_line_separates_them() -> None:
    points, labels = make_dataset("moons", 100, 0.0, seed=0)
    lifted = np.column_stack([points, np.ones(len(points))])
    y = 2.0 * labels - 1
    w = np.linalg.lstsq(lifted, y, rcond=None)[0]  # the least-squares line, a fair try
    assert np.mean(np.sign(lifted @ w) == y) < 1.0


def test_bad_requests_name_the_value() -> None:
    with pytest.raises(ValueError, match="size must be at least 2.*got 1"):
        make_dataset("moons", 1, 0.1, seed=0)
    with pytest.raises(ValueError, match="noise must be at least 0.*got -0.5"):
        make_dataset("moons", 10, -0.5, seed=0)
    with pytest.raises(ValueError, match="dataset must be one of .*'square'"):
        make_dataset("square", 10, 0.1, seed=0)  # type: ignore[arg-type]


def test_the_page_opens_each_set_with_the_size_and_noise_of_this_module() -> None:
    """static/js/pages/kernels/kernels-controls.js mirrors DEFAULT_SIZE and DEFAULT_NOISE for its set menu."""
    source = (Path(__file__).parents[2] / "static/js/pages/kernels/kernels-controls.js").read_text()
    found = {
        name: (int(size), float(noise))
        for name, size, noise in re.findall(r"(\w+): \{ size: (\d+), noise: ([\d.]+),", source)
    }
    assert found == {name: (DEFAULT_SIZE[name], DEFAULT_NOISE[name]) for name in DATASETS}
