"""Feature maps φ that lift points of the plane into a space where a plane may separate them, and that plane.

- `lift` computes φ(x) for the maps the page offers: the identity (x₁, x₂); the product (x₁, x₂, x₁x₂), which
  makes XOR separable; the radius (x₁, x₂, x₁² + x₂²), which makes two circles separable; and every monomial
  x₁ⁱx₂ʲ of degree 1 … d.
- `fit_lifted` finds the separating plane w·φ(x) + b = 0 with the one SVM solver of app/kernels/svm.py, given
  the lifted points and the linear kernel: the linear classifier in φ-space is the soft-margin SVM there.
- `view` is what a 3-D picture of φ-space draws: three coordinates per point and the plane in them. Maps with
  more than three coordinates (monomials of degree ≥ 2) are shown as (x₁, x₂, r) with r(x) = Σ_{k≥3} wₖφₖ(x)
  the part of w·φ(x) beyond x₁ and x₂, in which the plane is w₁x₁ + w₂x₂ + r + b = 0, a plane again.
- `plane_polygon` clips that plane to the view's box; `decision` gives f(x) = w·φ(x) + b on any points, so its
  zero set over a grid of the plane is the plane's preimage, the curved boundary back in (x₁, x₂).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from app.kernels.kernels import Kernel
from app.kernels.svm import MAX_ITER, SVM, fit

FeatureName = Literal["identity", "product", "radius", "poly"]
FEATURES: tuple[FeatureName, ...] = get_args(FeatureName)

SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def exponents(degree: int) -> list[tuple[int, int]]:
    """(i, j) of every monomial x₁ⁱx₂ʲ with 1 ≤ i + j ≤ degree, by degree, then by falling power of x₁."""
    return [(k - j, j) for k in range(1, degree + 1) for j in range(k + 1)]


def lift(name: FeatureName, points: np.ndarray, degree: int = 2) -> np.ndarray:
    """φ of each point: (n, 2) → (n, D), D = 2 (identity), 3 (product, radius) or d(d + 3)/2 (poly of degree d)."""
    x1, x2 = points[:, 0], points[:, 1]
    if name == "identity":
        return points.astype(np.float64, copy=True)
    if name == "product":
        return np.stack([x1, x2, x1 * x2], axis=1)
    if name == "radius":
        return np.stack([x1, x2, x1**2 + x2**2], axis=1)
    if name == "poly":
        if degree < 1:
            raise ValueError(f"degree must be at least 1, got {degree}")
        return np.stack([x1**i * x2**j for i, j in exponents(degree)], axis=1)
    raise ValueError(f"feature map must be one of {', '.join(FEATURES)}, got {name!r}")


def monomial(i: int, j: int) -> str:
    """x₁ⁱx₂ʲ written for people, e.g. "x₁²x₂"."""
    parts = [
        f"{var}{str(power).translate(SUPERSCRIPTS) if power > 1 else ''}"
        for var, power in (("x₁", i), ("x₂", j))
        if power
    ]
    return "".join(parts)


def coordinate_names(name: FeatureName, degree: int = 2) -> list[str]:
    """The name of each coordinate of φ(x), in lift's order."""
    if name == "identity":
        return ["x₁", "x₂"]
    if name == "product":
        return ["x₁", "x₂", "x₁x₂"]
    if name == "radius":
        return ["x₁", "x₂", "x₁² + x₂²"]
    return [monomial(i, j) for i, j in exponents(degree)]


@dataclass(frozen=True)
class Separator:
    """The soft-margin linear classifier in φ-space: f(x) = w·φ(x) + b, and the SVM it was read from."""

    name: FeatureName
    degree: int
    w: np.ndarray  # (D,) = Σᵢ αᵢ yᵢ φ(xᵢ)
    b: float
    svm: SVM

    def decision(self, points: np.ndarray) -> np.ndarray:
        """f(x) = w·φ(x) + b at each point: (m, 2) → (m,), positive on label 1's side."""
        return lift(self.name, points, self.degree) @ self.w + self.b


def fit_lifted(
    name: FeatureName, points: np.ndarray, labels: np.ndarray, C: float, degree: int = 2, max_iter: int = MAX_ITER
) -> Separator:
    """The linear SVM on the lifted points (n, 2) with labels (n,) in {0, 1}: the plane w·φ + b = 0 in φ-space
    (after at most max_iter of the solver's pair updates)."""
    lifted = lift(name, points, degree)
    svm = fit(lifted, labels, Kernel("linear"), C, max_iter=max_iter)
    w = (svm.alpha * svm.y) @ lifted
    return Separator(name, degree, w, float(svm.b), svm)


@dataclass(frozen=True)
class View:
    """What a 3-D picture of φ-space draws: each point's three coordinates, the axes' names and the plane
    normal·p + b = 0 in those coordinates."""

    points: np.ndarray  # (n, 3)
    axes: tuple[str, str, str]
    normal: np.ndarray  # (3,)
    b: float


def view(separator: Separator, points: np.ndarray) -> View:
    """The 3-D picture of the points (n, 2) lifted by the separator's map, with its plane (module docstring)."""
    lifted = lift(separator.name, points, separator.degree)
    names, w = coordinate_names(separator.name, separator.degree), separator.w
    if separator.name == "identity":
        coords = np.column_stack([lifted, np.zeros(len(lifted))])
        return View(coords, ("x₁", "x₂", "0"), np.array([w[0], w[1], 0.0]), separator.b)
    if separator.name in ("product", "radius"):
        return View(lifted, (names[0], names[1], names[2]), w.copy(), separator.b)
    rest = lifted[:, 2:] @ w[2:]
    return View(np.column_stack([lifted[:, :2], rest]), ("x₁", "x₂", "r(x)"), np.array([w[0], w[1], 1.0]), separator.b)


# The twelve edges of the unit cube as pairs of corner indices; corner k has coordinate d at its hi end when bit d
# of k is set.
CUBE_EDGES = [(a, a | 1 << d) for a in range(8) for d in range(3) if not a & 1 << d]


def plane_polygon(normal: np.ndarray, b: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The polygon (k, 3), k ≤ 6, where the plane normal·p + b = 0 cuts the box [lo, hi] (each (3,)), its corners
    in order around it; (0, 3) when the plane misses the box or normal is 0."""
    corners = np.array([[hi[d] if k & 1 << d else lo[d] for d in range(3)] for k in range(8)])
    side = corners @ normal + b
    cuts = []
    for a, c in CUBE_EDGES:
        if (side[a] < 0) != (side[c] < 0) or side[a] == 0:
            t = side[a] / (side[a] - side[c]) if side[a] != side[c] else 0.0
            cuts.append(corners[a] + t * (corners[c] - corners[a]))
    if len(cuts) < 3 or not np.any(normal):
        return np.zeros((0, 3))
    cuts_array = np.unique(np.round(np.array(cuts), 12), axis=0)
    if len(cuts_array) < 3:
        return np.zeros((0, 3))
    centre = cuts_array.mean(axis=0)
    u = cuts_array[0] - centre
    u /= np.linalg.norm(u)
    v = np.cross(normal / np.linalg.norm(normal), u)
    angles = np.arctan2((cuts_array - centre) @ v, (cuts_array - centre) @ u)
    return cuts_array[np.argsort(angles)]
