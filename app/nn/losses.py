"""Losses: each returns the loss value and its gradient with respect to the network's output."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def squared_error(y_hat: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The recitation's l = (y − ŷ)², summed over outputs and averaged over the batch N.

    For one example ∂l/∂ŷ = 2(y − ŷ)·(−1), exactly the slide's "special case".
    """
    n = y_hat.shape[0]
    diff = y - y_hat
    loss = float(np.sum(diff * diff)) / n
    return loss, (2 * diff * -1 / n).astype(y_hat.dtype)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise probabilities; subtracting the row maximum keeps exp from overflowing."""
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean over N of −log softmax(logits)[label]; its gradient is (probabilities − one-hot) / N."""
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -float(log_probs[rows, labels].sum()) / n
    dlogits = np.exp(log_probs)
    dlogits[rows, labels] -= 1
    return loss, dlogits / n


LOSSES: dict[str, Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]] = {
    "squared_error": squared_error,
    "softmax_cross_entropy": softmax_cross_entropy,
}
