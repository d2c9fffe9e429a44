"""Gradient check: compare backpropagation's gradients with central finite differences.

Run it in float64: in float32 the differences themselves are too noisy to check anything.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.nn.sequential import Sequential


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """∂f/∂x by (f(x + eps) − f(x − eps)) / 2eps for every element, nudging x in place and restoring it."""
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + eps
        plus = f()
        x[i] = original - eps
        minus = f()
        x[i] = original
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖ / (‖a‖ + ‖b‖): scale-free, 0 when equal; below 1e-6 means the gradient is right."""
    return float(np.linalg.norm(a - b) / max(float(np.linalg.norm(a) + np.linalg.norm(b)), 1e-12))


def check_gradients(
    model: Sequential,
    loss_fn: Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]],
    x: np.ndarray,
    y: np.ndarray,
    eps: float = 1e-6,
) -> dict[str, float]:
    """Relative error between backprop and finite differences for every parameter tensor and the input."""
    out = model.forward(x)
    _, dout = loss_fn(out, y)
    analytic = {"input": model.backward(dout), **{k: v.copy() for k, v in model.grads().items()}}

    def loss() -> float:
        return loss_fn(model.forward(x), y)[0]

    tensors = {"input": x, **model.params()}
    return {name: relative_error(analytic[name], numerical_gradient(loss, t, eps)) for name, t in tensors.items()}
