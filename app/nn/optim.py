"""Optimizers: update parameter arrays in place from their gradients, keeping per-parameter state by name.

Usage: opt.step(model.params(), model.grads()). Semantics match torch.optim.SGD and torch.optim.Adam.
"""

from __future__ import annotations

import numpy as np


class SGD:
    """Stochastic gradient descent with optional momentum and L2 weight decay.

    g ← grad + weight_decay·θ;  v ← momentum·v + g;  θ ← θ − lr·v
    """

    def __init__(self, lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.velocity: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        for name, theta in params.items():
            g = grads[name] + self.weight_decay * theta if self.weight_decay else grads[name]
            if self.momentum:
                v = self.velocity.get(name)
                v = g.copy() if v is None else self.momentum * v + g
                self.velocity[name] = g = v
            theta -= (self.lr * g).astype(theta.dtype, copy=False)


class Adam:
    """Adam: steps scaled by running estimates of the gradient's mean (m) and square (v), bias-corrected."""

    def __init__(
        self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0
    ) -> None:
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}
        self.t: dict[str, int] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        b1, b2 = self.betas
        for name, theta in params.items():
            g = grads[name] + self.weight_decay * theta if self.weight_decay else grads[name]
            m = self.m[name] = b1 * self.m.get(name, 0) + (1 - b1) * g
            v = self.v[name] = b2 * self.v.get(name, 0) + (1 - b2) * g * g
            t = self.t[name] = self.t.get(name, 0) + 1
            m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
            theta -= (self.lr * m_hat / (np.sqrt(v_hat) + self.eps)).astype(theta.dtype, copy=False)


OPTIMIZERS = {"sgd": SGD, "adam": Adam}
