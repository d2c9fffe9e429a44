"""A soft-margin kernel SVM trained on its dual by SMO, with libsvm's working-set selection.

For points xᵢ with classes yᵢ ∈ {−1, +1}, a kernel K and a soft margin C, the dual problem is

    maximise  W(α) = Σᵢ αᵢ − ½ Σᵢ Σⱼ αᵢ αⱼ yᵢ yⱼ K(xᵢ, xⱼ)
    subject to  0 ≤ αᵢ ≤ C for every i,  and  Σᵢ αᵢ yᵢ = 0,

and the classifier is f(x) = Σᵢ αᵢ yᵢ K(xᵢ, x) + b, positive for class +1. The points with αᵢ > 0 are the support
vectors: f(xᵢ) = yᵢ (on the margin) when 0 < αᵢ < C, yᵢ f(xᵢ) ≤ 1 (inside it or misclassified) when αᵢ = C, and
every other point has yᵢ f(xᵢ) ≥ 1. With a positive semidefinite kernel (linear, rbf, poly with coef0 ≥ 0) W is
concave and this optimum is the one; with coef0 < 0 a poly kernel can be indefinite, and SMO, like libsvm, stops at
a point meeting these conditions that need not be libsvm's.

SMO (sequential minimal optimisation) changes two α at a time, the fewest that keep Σ αᵢ yᵢ = 0, and solves that
two-variable problem exactly. Which two is libsvm's choice (Fan, Chen and Lin, JMLR 2005, "WSS 3"): i is the most
violating point by the first-order gradient, j the partner giving the largest decrease of the second-order
model. The iterations stop when no pair violates the optimality conditions by more than `tol`, as libsvm's do,
so the solution is libsvm's (and scikit-learn's SVC's) to within that tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.kernels.errors import SVMError
from app.kernels.kernels import Kernel

__all__ = ["MAX_DEGREE", "MAX_ITER", "MAX_POINTS", "SVM", "SVMError", "fit"]

MAX_POINTS = 2000  # the Gram matrix is kept whole: 2000² float64 is 32 MB
MAX_DEGREE = 10
MAX_ITER = 100_000
DECISION_BLOCK = 1 << 20  # kernel entries (8 MB) computed at once by SVM.decision
TAU = 1e-12  # libsvm's stand-in for a curvature ≤ 0 along a pair (a kernel that is not positive definite there)


@dataclass
class SVM:
    """A trained SVM: the training points (n, d), their classes y (n,) of ±1.0, the dual coefficients α (n,) in
    [0, C], the bias b, the support vectors' indices (k,), the dual objective W(α) and how the solver went."""

    kernel: Kernel
    C: float
    points: np.ndarray
    y: np.ndarray
    alpha: np.ndarray
    b: float
    support: np.ndarray
    dual_objective: float
    iterations: int
    converged: bool

    def decision(self, x: np.ndarray) -> np.ndarray:
        """f(x) = Σᵢ αᵢ yᵢ K(xᵢ, x) + b for each row of x (m, d), shape (m,); only the support vectors contribute,
        and the rows go through in blocks so a large grid never builds a kernel matrix over DECISION_BLOCK entries."""
        x = np.asarray(x, dtype=np.float64)
        vectors = self.points[self.support]
        weights = self.alpha[self.support] * self.y[self.support]
        rows = max(1, DECISION_BLOCK // max(1, vectors.shape[0]))
        blocks = [self.kernel(x[start : start + rows], vectors) @ weights for start in range(0, x.shape[0], rows)]
        return np.concatenate(blocks) + self.b if blocks else np.zeros(0)


def fit(
    points: np.ndarray,
    labels: np.ndarray,
    kernel: Kernel,
    C: float,
    tol: float = 1e-3,
    max_iter: int = MAX_ITER,
    *,
    max_points: int = MAX_POINTS,
    max_degree: int = MAX_DEGREE,
) -> SVM:
    """Train a soft-margin SVM on points (n, d) with labels (n,) of 0/1 (label 1 is y = +1, label 0 is y = −1).

    Stops when the largest violation of the optimality conditions is below tol, or after max_iter pair updates
    (then `converged` is False and α is the best found so far, still feasible). Raises SVMError naming the value
    for C ≤ 0, NaN, one class only, more than max_points points or a degree above max_degree.
    """
    x, y = checked(points, labels, kernel, C, tol, max_iter, max_points, max_degree)
    gram = kernel(x, x)
    if not np.isfinite(gram).all():
        raise SVMError(
            f"the {kernel.name} kernel overflows on these points (largest |coordinate| {np.abs(x).max():.3g}): "
            "scale the points down or lower γ or the degree"
        )
    alpha, residual, iterations, converged = smo(gram, y, C, tol, max_iter)
    support = np.flatnonzero(alpha > 0)
    weights = alpha * y
    return SVM(
        kernel=kernel,
        C=float(C),
        points=x,
        y=y,
        alpha=alpha,
        b=bias(alpha, y, residual, C),
        support=support,
        dual_objective=float(alpha.sum() - 0.5 * weights @ gram @ weights),
        iterations=iterations,
        converged=converged,
    )


def checked(
    points: np.ndarray,
    labels: np.ndarray,
    kernel: Kernel,
    C: float,
    tol: float,
    max_iter: int,
    max_points: int,
    max_degree: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The points as float64 (n, d) and the classes y (n,) of ±1.0, after refusing anything fit cannot train on."""
    if not (math.isfinite(C) and C > 0):
        raise SVMError(f"C = {C} must be a finite number above 0")
    if not (math.isfinite(tol) and tol > 0):
        raise SVMError(f"tol = {tol} must be a finite number above 0")
    if max_iter < 1:
        raise SVMError(f"max_iter = {max_iter} must be 1 or more")
    if kernel.name == "poly" and kernel.degree > max_degree:
        raise SVMError(f"degree = {kernel.degree} is above the limit of {max_degree}")
    x = np.asarray(points, dtype=np.float64)
    labels = np.asarray(labels)
    if x.ndim != 2 or x.shape[1] < 1:
        raise SVMError(f"points must be a list of coordinate rows, got an array of shape {x.shape}", "bad_shape")
    if x.shape[0] > max_points:
        raise SVMError(f"{x.shape[0]} points are more than the limit of {max_points}", "too_large")
    if labels.shape != (x.shape[0],):
        raise SVMError(f"{labels.size} labels for {x.shape[0]} points: give one label per point", "bad_shape")
    if not np.isfinite(x).all():
        bad = int(np.flatnonzero(~np.isfinite(x).all(axis=1))[0])
        raise SVMError(f"point {bad} is {x[bad].tolist()}: every coordinate must be a finite number")
    not_binary = np.flatnonzero((labels != 0) & (labels != 1))
    if not_binary.size:
        raise SVMError(f"label {int(not_binary[0])} is {labels[not_binary[0]]}: labels must be 0 or 1")
    if np.unique(labels).size < 2:
        raise SVMError(f"every point has label {labels[0] if labels.size else 'none'}: an SVM needs both classes")
    return x, np.where(labels == 1, 1.0, -1.0)


def smo(
    gram: np.ndarray, y: np.ndarray, C: float, tol: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Minimise ½ αᵀQα − Σα (the dual, negated) with Qₛₜ = yₛyₜKₛₜ by pair updates, from gram (n, n) and y (n,);
    returns α (n,), the residuals r (n,), the iterations done and whether the stopping condition was met.

    The residual rₜ = yₜ − Σₛ αₛ yₛ Kₛₜ = yₜ − (f(xₜ) − b) is −yₜ times the objective's gradient Gₜ = (Qα)ₜ − 1.
    Moving along u (uᵢ = yᵢ, uⱼ = −yⱼ, so Σ αy stays put) by t changes the objective by −v t + ½ a t², with
    v = rᵢ − rⱼ > 0 (how much the pair violates optimality) and a = Kᵢᵢ + Kⱼⱼ − 2Kᵢⱼ (the curvature), so the
    best step is t = v / a, clipped so that both α stay in [0, C].
    """
    alpha = np.zeros(y.size)
    residual = y.copy()  # rₜ = yₜ at α = 0
    diagonal = np.diag(gram).copy()
    up, low = movable(alpha, y, C)
    for iteration in range(max_iter):
        i = int(np.argmax(np.where(up, residual, -np.inf)))  # the point most in need of a larger αᵢyᵢ
        if residual[i] - np.min(np.where(low, residual, np.inf)) < tol:  # optimal to tol: m(α) − M(α) < tol
            return alpha, residual, iteration, True
        violation = residual[i] - residual  # v for each candidate j
        curvature = np.maximum(diagonal[i] + diagonal - 2.0 * gram[i], TAU)
        gain = np.where(low & (violation > 0), violation * violation / curvature, -np.inf)
        j = int(np.argmax(gain))  # the partner with the largest decrease of the objective's second-order model
        room_i = C - alpha[i] if y[i] > 0 else alpha[i]  # how far αᵢ may move along yᵢ
        room_j = alpha[j] if y[j] > 0 else C - alpha[j]  # how far αⱼ may move along −yⱼ
        step = min(violation[j] / curvature[j], room_i, room_j)
        old_i, old_j = alpha[i], alpha[j]
        # a step that reaches a bound puts α exactly on it, so rounding does not blur the support set
        alpha[i] = (C if y[i] > 0 else 0.0) if step == room_i else old_i + y[i] * step
        alpha[j] = (0.0 if y[j] > 0 else C) if step == room_j else old_j - y[j] * step
        residual -= gram[i] * (y[i] * (alpha[i] - old_i)) + gram[j] * (y[j] * (alpha[j] - old_j))
        for t in (i, j):  # only αᵢ and αⱼ moved: only their memberships can change
            up[t], low[t] = movable(alpha[t], y[t], C)
    return alpha, residual, max_iter, False


def movable(alpha: np.ndarray, y: np.ndarray, C: float) -> tuple[np.ndarray, np.ndarray]:
    """Which αₜ (n,) can still grow αₜyₜ (libsvm's I_up) and which can shrink it (I_low), within [0, C]; for one
    αₜ and yₜ too."""
    up = ((y > 0) & (alpha < C)) | ((y < 0) & (alpha > 0))
    low = ((y > 0) & (alpha > 0)) | ((y < 0) & (alpha < C))
    return up, low


def bias(alpha: np.ndarray, y: np.ndarray, residual: np.ndarray, C: float) -> float:
    """b, as libsvm computes it (−ρ): the mean residual over free αᵢ (0 < αᵢ < C), where f(xᵢ) = yᵢ exactly;
    with none free, the middle of the interval the bounded α leave for it."""
    free = (alpha > 0) & (alpha < C)
    if free.any():
        return float(residual[free].mean())
    up, low = movable(alpha, y, C)
    return float((residual[up].max() + residual[low].min()) / 2)
