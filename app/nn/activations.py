"""Activation functions g(a) of the recitation's neuron h(x) = g(b + Σ wᵢxᵢ), with their derivatives.

One registry feeds the layers, the schemas, the menus and the URL state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Activation:
    """g, its derivative g'(a) written in terms of the input a and the output h = g(a), and g's range."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray]
    range: tuple[float, float]


def sigmoid(a: np.ndarray) -> np.ndarray:
    """σ(a) = 1 / (1 + e^(−a)), written with tanh so large |a| never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


ActivationName = Literal["sigmoid", "tanh", "relu", "step", "identity"]  # ACTIVATIONS' keys, in order

ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, lambda a, h: h * (1 - h), (0.0, 1.0)),
    "tanh": Activation("tanh", np.tanh, lambda a, h: 1 - h * h, (-1.0, 1.0)),
    "relu": Activation("relu", lambda a: np.maximum(a, 0), lambda a, h: (a > 0).astype(a.dtype), (0.0, np.inf)),
    "step": Activation("step", lambda a: (a > 0).astype(a.dtype), lambda a, h: np.zeros_like(a), (0.0, 1.0)),
    "identity": Activation("identity", lambda a: a, lambda a, h: np.ones_like(a), (-np.inf, np.inf)),
}
