"""Kernel functions K(x, x′) and their Gram matrices, with scikit-learn's formulas so SVC can check the solver.

    linear  K(x, x′) = ⟨x, x′⟩
    poly    K(x, x′) = (γ⟨x, x′⟩ + coef0)^degree
    rbf     K(x, x′) = exp(−γ‖x − x′‖²)

Each is an inner product ⟨φ(x), φ(x′)⟩ of some feature map φ, computed without building φ (the kernel trick).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.kernels.errors import SVMError

KERNELS = ("linear", "poly", "rbf")


@dataclass(frozen=True)
class Kernel:
    """One kernel and its parameters; γ is used by poly and rbf, degree and coef0 by poly only."""

    name: str
    gamma: float = 1.0
    degree: int = 3
    coef0: float = 1.0

    def __post_init__(self) -> None:
        """Refuse a kernel that is not a kernel: an unknown name, γ ≤ 0, a degree below 1, NaN or infinity."""
        if self.name not in KERNELS:
            raise SVMError(f"kernel {self.name!r} is not one of {', '.join(KERNELS)}")
        if not (math.isfinite(self.gamma) and self.gamma > 0):
            raise SVMError(f"gamma = {self.gamma} must be a finite number above 0")
        if isinstance(self.degree, bool) or not isinstance(self.degree, int | np.integer) or self.degree < 1:
            raise SVMError(f"degree = {self.degree} must be a whole number, 1 or more")
        if not math.isfinite(self.coef0):
            raise SVMError(f"coef0 = {self.coef0} must be a finite number")

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The Gram matrix K[i, j] = K(a[i], b[j]), shape (n, m), of a (n, d) and b (m, d), in float64."""
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if self.name == "rbf":
            return np.exp(-self.gamma * squared_distances(a, b))
        with np.errstate(over="ignore", invalid="ignore"):  # huge points overflow to inf: fit refuses that matrix
            inner = a @ b.T
            return (self.gamma * inner + self.coef0) ** self.degree if self.name == "poly" else inner


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """‖a[i] − b[j]‖², shape (n, m), summed one coordinate at a time: exact 0 for equal points and accurate for close
    ones (where ‖a‖² + ‖b‖² − 2⟨a, b⟩ cancels), with no (n, m, d) temporary."""
    squared = np.zeros((a.shape[0], b.shape[0]))
    for column in range(a.shape[1]):
        squared += (a[:, column, None] - b[None, :, column]) ** 2
    return squared
