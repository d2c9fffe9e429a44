"""The SMO solver against scikit-learn's SVC (libsvm), the optimality conditions it stops on, the XOR lift, and the
errors that name the bad value.

SVC reports dual_coef_ = αᵢyᵢ for its support vectors and intercept_ = b, with decision_function positive for the
second class (label 1), the convention of app/kernels/svm.py.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.svm import SVC

from app.kernels import svm as svm_module
from app.kernels.kernels import KERNELS, Kernel
from app.kernels.svm import SVM, SVMError, fit

SHAPES = ("xor", "blobs", "circles", "moons")


def dataset(shape: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n noisy points (n, 2) in about [−2, 2]² of a teacher's shape, and their labels (n,) of 0/1."""
    if shape == "xor":
        x = rng.uniform(-2, 2, size=(n, 2))
        labels = x[:, 0] * x[:, 1] + 0.3 * rng.normal(size=n) > 0
    elif shape == "blobs":
        labels = rng.integers(0, 2, size=n).astype(bool)
        x = rng.normal(scale=0.7, size=(n, 2)) + np.where(labels, 1.0, -1.0)[:, None]
    elif shape == "circles":
        labels = rng.integers(0, 2, size=n).astype(bool)
        angle = rng.uniform(0, 2 * np.pi, size=n)
        radius = np.where(labels, 0.8, 1.8) + 0.25 * rng.normal(size=n)
        x = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1)
    else:
        labels = rng.integers(0, 2, size=n).astype(bool)
        angle = rng.uniform(0, np.pi, size=n)
        upper = np.stack([np.cos(angle), np.sin(angle)], 1)
        x = np.where(labels[:, None], upper * [1, -1] + [1, 0.5], upper) + 0.15 * rng.normal(size=(n, 2))
    labels[:2] = [False, True]  # both classes, whatever the draw
    return x, labels.astype(int)


def problem(kernel_name: str, seed: int) -> tuple[np.ndarray, np.ndarray, Kernel, float]:
    """A random training problem for one kernel: points, labels, a kernel and C drawn from the page's ranges."""
    rng = np.random.default_rng(1000 * KERNELS.index(kernel_name) + seed)
    points, labels = dataset(SHAPES[seed % len(SHAPES)], int(rng.integers(20, 200)), rng)
    kernel = Kernel(
        kernel_name,
        gamma=float(10 ** rng.uniform(-0.7, 0.5)),
        degree=int(rng.integers(1, 5)),
        coef0=float(rng.uniform(0, 2)),
    )
    return points, labels, kernel, float(10 ** rng.uniform(-1, 1.5))


def svc(points: np.ndarray, labels: np.ndarray, kernel: Kernel, C: float, tol: float) -> SVC:
    """scikit-learn's SVC with the same problem and tolerance."""
    return SVC(C=C, kernel=kernel.name, gamma=kernel.gamma, degree=kernel.degree, coef0=kernel.coef0, tol=tol).fit(
        points, labels
    )


def dual_objective(alpha: np.ndarray, y: np.ndarray, gram: np.ndarray) -> float:
    """W(α) = Σα − ½ Σᵢⱼ αᵢαⱼyᵢyⱼKᵢⱼ."""
    weights = alpha * y
    return float(alpha.sum() - 0.5 * weights @ gram @ weights)


def grid_over(points: np.ndarray, side: int = 50) -> np.ndarray:
    """side² points (side², 2) covering the points' bounding box."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    xs, ys = np.meshgrid(np.linspace(lo[0], hi[0], side), np.linspace(lo[1], hi[1], side))
    return np.stack([xs.ravel(), ys.ravel()], 1)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("kernel_name", KERNELS)
def test_the_solver_finds_scikit_learns_svm(kernel_name: str, seed: int) -> None:
    points, labels, kernel, C = problem(kernel_name, seed)
    ours = fit(points, labels, kernel, C)
    theirs = svc(points, labels, kernel, C, tol=1e-3)
    assert ours.converged
    their_alpha = np.zeros(labels.size)
    their_alpha[theirs.support_] = np.abs(theirs.dual_coef_[0])
    their_objective = dual_objective(their_alpha, ours.y, kernel(points, points))
    assert ours.dual_objective == pytest.approx(their_objective, rel=1e-3)
    grid = grid_over(points)
    same_support = set(ours.support.tolist()) == set(theirs.support_.tolist())
    same_sign_on_points = np.sign(ours.decision(points)) == np.sign(theirs.decision_function(points))
    same_sign_on_grid = np.sign(ours.decision(grid)) == np.sign(theirs.decision_function(grid))
    assert same_support or (same_sign_on_points.mean() >= 0.99 and same_sign_on_grid.mean() >= 0.99)
    scale = max(1.0, float(np.abs(theirs.decision_function(points)).max()))
    np.testing.assert_allclose(ours.decision(points), theirs.decision_function(points), atol=0.02 * scale)
    np.testing.assert_allclose(ours.decision(grid), theirs.decision_function(grid), atol=0.02 * scale)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kernel_name", ["poly", "rbf"])
def test_with_a_tight_tolerance_the_dual_coefficients_and_b_are_libsvms(kernel_name: str, seed: int) -> None:
    points, labels, kernel, C = problem(kernel_name, seed)
    ours, theirs = fit(points, labels, kernel, C, tol=1e-8), svc(points, labels, kernel, C, tol=1e-8)
    assert ours.support.tolist() == sorted(theirs.support_.tolist())
    their_alpha = np.zeros(labels.size)
    their_alpha[theirs.support_] = np.abs(theirs.dual_coef_[0])
    np.testing.assert_allclose(ours.alpha, their_alpha, atol=1e-4 * C)
    np.testing.assert_allclose(
        ours.alpha[theirs.support_] * ours.y[theirs.support_], theirs.dual_coef_[0], atol=1e-4 * C
    )
    assert ours.b == pytest.approx(float(theirs.intercept_[0]), abs=1e-4)


@pytest.mark.parametrize("seed", range(4))
def test_with_a_linear_kernel_the_weight_vector_and_b_are_libsvms(seed: int) -> None:
    """With more points than dimensions α need not be unique, but w = Σᵢ αᵢyᵢxᵢ and b are."""
    points, labels, kernel, C = problem("linear", seed)
    ours, theirs = fit(points, labels, kernel, C, tol=1e-8), svc(points, labels, kernel, C, tol=1e-8)
    np.testing.assert_allclose((ours.alpha * ours.y) @ points, theirs.coef_[0], rtol=1e-4, atol=1e-5)
    assert ours.b == pytest.approx(float(theirs.intercept_[0]), abs=1e-4)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kernel_name", KERNELS)
def test_the_answer_meets_the_optimality_conditions_to_the_tolerance(kernel_name: str, seed: int) -> None:
    """0 ≤ α ≤ C, Σαy = 0, and yf(x) ≥ 1 − tol off the support, = 1 ± tol on the margin, ≤ 1 + tol at C."""
    points, labels, kernel, C = problem(kernel_name, seed)
    tol = 1e-3
    model = fit(points, labels, kernel, C, tol=tol)
    alpha, y = model.alpha, model.y
    assert alpha.shape == labels.shape and (alpha >= 0).all() and (alpha <= C).all()
    assert abs(alpha @ y) <= 1e-9 * C * alpha.size
    np.testing.assert_array_equal(model.support, np.flatnonzero(alpha > 0))
    margin = y * model.decision(points)
    free = (alpha > 0) & (alpha < C)
    assert (margin[alpha == 0] >= 1 - tol).all()
    assert (margin[alpha == C] <= 1 + tol).all()
    assert (np.abs(margin[free] - 1) <= tol).all()
    assert model.dual_objective == pytest.approx(dual_objective(alpha, y, kernel(points, points)), rel=1e-12)


@st.composite
def small_problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, Kernel, float]:
    """2–12 points on a coarse integer grid (so duplicates, ties and collinear points come often), both classes,
    a positive semidefinite kernel (coef0 ≥ 0) and C over four decades."""
    n = draw(st.integers(2, 12))
    points = np.array(draw(st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3)), min_size=n, max_size=n)), float)
    labels = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    labels[:2] = [0, 1]
    kernel = Kernel(
        draw(st.sampled_from(KERNELS)),
        gamma=draw(st.floats(0.05, 3)),
        degree=draw(st.integers(1, 3)),
        coef0=draw(st.floats(0, 2)),
    )
    return points, labels, kernel, draw(st.floats(0.01, 100))


@settings(max_examples=80, deadline=None)
@given(small_problems())
def test_on_small_awkward_problems_the_optimum_is_reached_and_is_scikit_learns(
    problem: tuple[np.ndarray, np.ndarray, Kernel, float],
) -> None:
    points, labels, kernel, C = problem
    # libsvm's budget (10⁷) rather than the server's: a coarse grid under a steep polynomial can take SMO, ours and
    # libsvm's alike, over 10⁵ pair updates (one drawn problem: libsvm 124,275, this SMO 145,195)
    model = fit(points, labels, kernel, C, max_iter=10_000_000)
    alpha, y, tol = model.alpha, model.y, 1e-3
    assert model.converged and (alpha >= 0).all() and (alpha <= C).all()
    assert abs(alpha @ y) <= 1e-9 * C * alpha.size
    margin = y * model.decision(points)
    assert (margin[alpha == 0] >= 1 - tol).all() and (margin[alpha == C] <= 1 + tol).all()
    theirs = svc(points, labels, kernel, C, tol=tol)
    their_alpha = np.zeros(labels.size)
    their_alpha[theirs.support_] = np.abs(theirs.dual_coef_[0])
    their_objective = dual_objective(their_alpha, y, kernel(points, points))
    assert model.dual_objective == pytest.approx(their_objective, rel=1e-3, abs=1e-3 * C)


def test_decision_is_the_kernel_expansion_plus_b_and_positive_for_label_1() -> None:
    rng = np.random.default_rng(3)
    points, labels = dataset("blobs", 60, rng)
    model = fit(points, labels, Kernel("rbf", gamma=0.5), C=1.0)
    x = rng.normal(size=(25, 2))
    expected = Kernel("rbf", gamma=0.5)(x, points) @ (model.alpha * model.y) + model.b
    np.testing.assert_allclose(model.decision(x), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(model.y, np.where(labels == 1, 1.0, -1.0))
    assert (model.decision(points) > 0).mean() > 0.8 * (labels == 1).mean()
    assert ((model.decision(points) > 0) == (labels == 1)).mean() > 0.9


def test_a_large_grid_goes_through_in_blocks_with_the_same_values(monkeypatch: pytest.MonkeyPatch) -> None:
    points, labels, kernel, C = problem("rbf", 1)
    model = fit(points, labels, kernel, C)
    grid = grid_over(points, 31)
    whole = model.decision(grid)
    monkeypatch.setattr(svm_module, "DECISION_BLOCK", 7 * model.support.size)
    np.testing.assert_allclose(model.decision(grid), whole, rtol=1e-12, atol=1e-12)
    assert model.decision(np.zeros((0, 2))).shape == (0,)


XOR_POINTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_LABELS = np.array([0, 1, 1, 0])


def lifted(x: np.ndarray) -> np.ndarray:
    """φ(x₁, x₂) = (x₁, x₂, x₁x₂), shape (n, 3)."""
    return np.column_stack([x, x[:, 0] * x[:, 1]])


@pytest.mark.parametrize(
    ("points", "kernel"),
    [(lifted(XOR_POINTS), Kernel("linear")), (XOR_POINTS, Kernel("poly", gamma=1.0, degree=2, coef0=1.0))],
    ids=["linear-on-x1-x2-x1x2", "poly-degree-2"],
)
def test_the_xor_lift_separates_xors_four_points_with_margin(points: np.ndarray, kernel: Kernel) -> None:
    model = fit(points, XOR_LABELS, kernel, C=1000.0, tol=1e-6)
    margin = model.y * model.decision(points)
    assert model.converged and (margin >= 1 - 1e-6).all()  # every point on or outside the margin: separated
    assert model.support.size == 4  # by symmetry, all four corners hold the margin


def test_a_linear_kernel_on_the_plain_points_cannot_separate_xor() -> None:
    model = fit(XOR_POINTS, XOR_LABELS, Kernel("linear"), C=1000.0, tol=1e-6)
    assert (model.y * model.decision(XOR_POINTS) < 1 - 1e-3).any()
    assert ((model.decision(XOR_POINTS) > 0) != (XOR_LABELS == 1)).any() or np.allclose(
        model.decision(XOR_POINTS), 0, atol=1e-6
    )


def test_a_solver_out_of_iterations_says_so_and_its_alpha_is_still_feasible() -> None:
    points, labels, kernel, C = problem("rbf", 5)
    model = fit(points, labels, kernel, C, max_iter=3)
    assert not model.converged and model.iterations == 3
    assert (model.alpha >= 0).all() and (model.alpha <= C).all()
    assert abs(model.alpha @ model.y) <= 1e-9 * C * labels.size


def good() -> dict[str, Any]:
    """A problem fit accepts: two points of each class."""
    return {
        "points": np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
        "labels": np.array([0, 0, 1, 1]),
        "kernel": Kernel("rbf"),
        "C": 1.0,
    }


@pytest.mark.parametrize(
    ("change", "named", "code"),
    [
        ({"C": 0.0}, "C = 0.0", "bad_value"),
        ({"C": -2.0}, "C = -2.0", "bad_value"),
        ({"C": math.nan}, "C = nan", "bad_value"),
        ({"C": math.inf}, "C = inf", "bad_value"),
        ({"tol": 0.0}, "tol = 0.0", "bad_value"),
        ({"max_iter": 0}, "max_iter = 0", "bad_value"),
        ({"kernel": Kernel("poly", degree=11)}, "degree = 11 is above the limit of 10", "bad_value"),
        ({"kernel": Kernel("poly", degree=4), "max_degree": 3}, "degree = 4 is above the limit of 3", "bad_value"),
        ({"labels": np.array([1, 1, 1, 1])}, "every point has label 1", "bad_value"),
        ({"labels": np.array([0, 0, 0, 0])}, "every point has label 0", "bad_value"),
        ({"labels": np.array([0, 2, 1, 1])}, "label 1 is 2", "bad_value"),
        ({"labels": np.array([0, 1, 1])}, "3 labels for 4 points", "bad_shape"),
        (
            {"points": np.array([[0.0, 0.0], [1.0, np.nan], [0.0, 1.0], [1.0, 1.0]])},
            r"point 1 is \[1.0, nan\]",
            "bad_value",
        ),
        (
            {"points": np.array([[0.0, 0.0], [1.0, 0.0], [np.inf, 1.0], [1.0, 1.0]])},
            r"point 2 is \[inf, 1.0\]",
            "bad_value",
        ),
        ({"points": np.zeros(4)}, r"shape \(4,\)", "bad_shape"),
        ({"max_points": 3}, "4 points are more than the limit of 3", "too_large"),
        (
            {"points": np.array([[0.0, 0.0], [1e300, 0.0], [0.0, 1.0], [1.0, 1.0]]), "kernel": Kernel("poly")},
            r"the poly kernel overflows on these points \(largest \|coordinate\| 1e\+300\)",
            "bad_value",
        ),
    ],
)
def test_bad_input_is_refused_with_the_value_named_and_a_code(change: dict[str, Any], named: str, code: str) -> None:
    arguments = good() | change
    with pytest.raises(SVMError, match=named) as refused:
        fit(**arguments)
    assert refused.value.code == code


def test_the_good_problem_trains() -> None:
    model = fit(**good())
    assert isinstance(model, SVM) and model.converged and model.support.size >= 2
