"""Gram matrices: scikit-learn's formulas for each kernel, and a Kernel refuses parameters that make no kernel."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics.pairwise import linear_kernel, polynomial_kernel, rbf_kernel

from app.kernels.kernels import KERNELS, Kernel
from app.kernels.svm import SVMError


@pytest.mark.parametrize("seed", range(4))
def test_gram_matrices_are_scikit_learns(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(7, 3)), rng.normal(size=(5, 3))
    gamma, degree, coef0 = float(rng.uniform(0.1, 2)), int(rng.integers(1, 5)), float(rng.uniform(-1, 2))
    expected = {
        "linear": linear_kernel(a, b),
        "poly": polynomial_kernel(a, b, degree=degree, gamma=gamma, coef0=coef0),
        "rbf": rbf_kernel(a, b, gamma=gamma),
    }
    for name in KERNELS:
        gram = Kernel(name, gamma=gamma, degree=degree, coef0=coef0)(a, b)
        assert gram.shape == (7, 5) and gram.dtype == np.float64
        np.testing.assert_allclose(gram, expected[name], rtol=1e-12, atol=1e-12)


def test_rbf_of_a_point_with_itself_is_exactly_one_and_symmetric_gram_matrices_are_symmetric() -> None:
    x = np.random.default_rng(5).normal(size=(30, 2)) * 100
    for name in KERNELS:
        gram = Kernel(name, gamma=0.5, degree=2)(x, x)
        np.testing.assert_allclose(gram, gram.T, rtol=1e-12)
    np.testing.assert_array_equal(np.diag(Kernel("rbf", gamma=0.5)(x, x)), 1.0)


def test_the_kernel_trick_poly_degree_2_is_an_inner_product_of_lifted_points() -> None:
    """(⟨x, x′⟩ + 1)² = ⟨φ(x), φ(x′)⟩ with φ(x) = (1, √2x₁, √2x₂, x₁², x₂², √2x₁x₂)."""
    x = np.random.default_rng(6).normal(size=(9, 2))
    r2 = math.sqrt(2)
    phi = np.stack([np.ones(9), r2 * x[:, 0], r2 * x[:, 1], x[:, 0] ** 2, x[:, 1] ** 2, r2 * x[:, 0] * x[:, 1]], 1)
    np.testing.assert_allclose(Kernel("poly", gamma=1, degree=2, coef0=1)(x, x), phi @ phi.T, rtol=1e-12)


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"name": "sigmoid"}, "'sigmoid'"),
        ({"name": "rbf", "gamma": 0.0}, "gamma = 0.0"),
        ({"name": "rbf", "gamma": -1.0}, "gamma = -1.0"),
        ({"name": "poly", "gamma": math.nan}, "gamma = nan"),
        ({"name": "rbf", "gamma": math.inf}, "gamma = inf"),
        ({"name": "poly", "degree": 0}, "degree = 0"),
        ({"name": "poly", "degree": 2.5}, "degree = 2.5"),
        ({"name": "poly", "degree": True}, "degree = True"),
        ({"name": "poly", "coef0": math.nan}, "coef0 = nan"),
    ],
)
def test_a_kernel_refuses_parameters_naming_them(arguments: dict, named: str) -> None:
    with pytest.raises(SVMError, match=named.replace(".", r"\.")):
        Kernel(**arguments)
