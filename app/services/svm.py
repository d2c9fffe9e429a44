"""POST /api/svm's work: the server's limits, the engine's fit (app/kernels/svm.py) and the answer's numbers."""

from __future__ import annotations

import numpy as np

from app.kernels.kernels import Kernel
from app.kernels.svm import SVM, SVMError, fit
from app.settings import Settings
from app.wire.limits import at_most
from app.wire.svm import SvmGrid, SvmRequest, SvmResponse


def train(request: SvmRequest, settings: Settings) -> SvmResponse:
    """Fit the SVM a request describes and answer α, b, the support, the dual objective, f at every point and, when
    asked, f over the grid. Problem (bad_value) names the variable of a limit the request is over; SVMError (its
    code and a sentence naming the value) is what the engine refuses."""
    at_most("points", len(request.points), "svm_max_points", settings)
    if request.kernel == "poly":
        at_most("degree", request.degree, "svm_max_degree", settings)
    if request.grid is not None:
        at_most("grid", request.grid, "svm_max_grid", settings)
    kernel = Kernel(request.kernel, gamma=request.gamma, degree=request.degree, coef0=request.coef0)
    points = np.array(request.points, dtype=np.float64).reshape(-1, 2)
    model = fit(points, np.array(request.labels), kernel, request.C, max_iter=settings.svm_max_iterations)
    finite(np.array([model.b, model.dual_objective]), points, kernel)
    decision = finite(model.decision(points), points, kernel)
    grid = None if request.grid is None else decision_grid(model, points, request.grid)
    return SvmResponse(
        alpha=model.alpha.tolist(),
        b=model.b,
        support=model.support.tolist(),
        dual_objective=model.dual_objective,
        decision=decision.tolist(),
        iterations=model.iterations,
        converged=model.converged,
        grid=grid,
    )


def decision_grid(model: SVM, points: np.ndarray, size: int) -> SvmGrid:
    """f over size×size points spanning the bounding box of points (n, 2): f[row][col] = f(x[col], y[row])."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    xs, ys = np.linspace(lo[0], hi[0], size), np.linspace(lo[1], hi[1], size)
    cells = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    f = finite(model.decision(cells), points, model.kernel)
    return SvmGrid(x=xs.tolist(), y=ys.tolist(), f=f.reshape(size, size).tolist())


def finite(f: np.ndarray, points: np.ndarray, kernel: Kernel) -> np.ndarray:
    """f (m,) unchanged, or SVMError when a value overflowed (JSON has no infinity, and it would mean nothing)."""
    if not np.isfinite(f).all():
        raise SVMError(
            f"f overflows over these points (largest |coordinate| {np.abs(points).max():.3g}) with the "
            f"{kernel.name} kernel: scale the points down or lower γ or the degree"
        )
    return f
