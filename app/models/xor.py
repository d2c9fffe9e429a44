"""The recitation's XOR networks, with the slides' parameter names mapped onto the engine's arrays both ways.

The 2-2-1 sigmoid network of the derivation slides:
    z₁ = σ(w₁x₁ + w₃x₂ + b₁),  z₂ = σ(w₂x₁ + w₄x₂ + b₂),  ŷ = σ(w₅z₁ + w₆z₂ + b₃),  l = (y − ŷ)²
is Dense(2, 2) "hidden" with w = [[w₁, w₂], [w₃, w₄]] (shape (in, out)), Sigmoid "sigma1", Dense(2, 1) "output"
with w = [[w₅], [w₆]], Sigmoid "sigma2". The single neuron h(x) = σ(b + w₁x₁ + w₂x₂) of the "how many layers?"
slide is Dense(2, 1) "neuron" and Sigmoid "g". Both run in float64: they are tiny, and gradient checks need it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from app.nn import Dense, Sequential, Sigmoid

# The four points of the truth tables, in the slides' order (x₁, x₂), and each task's targets y.
INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
TASKS: dict[str, tuple[float, ...]] = {
    "xor": (0.0, 1.0, 1.0, 0.0),
    "and": (0.0, 0.0, 0.0, 1.0),
    "or": (0.0, 1.0, 1.0, 1.0),
}

# slide name -> (engine parameter key, index into that array)
SlideNames = Mapping[str, tuple[str, tuple[int, ...]]]

NETWORK_NAMES: SlideNames = {
    "w1": ("hidden.w", (0, 0)),
    "w2": ("hidden.w", (0, 1)),
    "w3": ("hidden.w", (1, 0)),
    "w4": ("hidden.w", (1, 1)),
    "w5": ("output.w", (0, 0)),
    "w6": ("output.w", (1, 0)),
    "b1": ("hidden.b", (0,)),
    "b2": ("hidden.b", (1,)),
    "b3": ("output.b", (0,)),
}

NEURON_NAMES: SlideNames = {
    "w1": ("neuron.w", (0, 0)),
    "w2": ("neuron.w", (1, 0)),
    "b": ("neuron.b", (0,)),
}


def targets(task: str) -> np.ndarray:
    """The targets y of a task as an (N, 1) column, N = 4 points."""
    return np.array(TASKS[task])[:, None]


def xor_network(rng: np.random.Generator) -> Sequential:
    """The slides' 2-2-1 sigmoid network, float64, weights drawn by the engine's Dense from rng, biases 0."""
    return Sequential(
        [
            Dense(2, 2, rng=rng, dtype=np.float64, name="hidden"),
            Sigmoid("sigma1"),
            Dense(2, 1, rng=rng, dtype=np.float64, name="output"),
            Sigmoid("sigma2"),
        ]
    )


def single_neuron(rng: np.random.Generator) -> Sequential:
    """One sigmoid neuron h(x) = σ(b + w₁x₁ + w₂x₂), float64: the network with no hidden layer."""
    return Sequential([Dense(2, 1, rng=rng, dtype=np.float64, name="neuron"), Sigmoid("g")])


@dataclass
class SlideModel:
    """A Sequential seen through the slides' names: read and write w₁… and read their gradients."""

    model: Sequential
    names: SlideNames

    def values(self) -> dict[str, float]:
        """Every parameter by slide name."""
        params = self.model.params()
        return {name: float(params[key][index]) for name, (key, index) in self.names.items()}

    def grads(self) -> dict[str, float]:
        """Every parameter's gradient from the engine's last backward pass, by slide name."""
        grads = self.model.grads()
        return {name: float(grads[key][index]) for name, (key, index) in self.names.items()}

    def assign(self, values: Mapping[str, float]) -> None:
        """Set parameters by slide name (names not given keep their values)."""
        params = self.model.params()
        for name, value in values.items():
            key, index = self.names[name]
            params[key][index] = value

    def engine_name(self, name: str) -> str:
        """Where a slide name lives in the engine, e.g. "hidden.w[1, 0]" for w₃."""
        key, index = self.names[name]
        return f"{key}[{', '.join(map(str, index))}]"


def network(seed: int) -> SlideModel:
    """The 2-2-1 network with initial weights from seed, under the slides' names."""
    return SlideModel(xor_network(np.random.default_rng(seed)), NETWORK_NAMES)


def neuron(seed: int) -> SlideModel:
    """The single neuron with initial weights from seed, under the slide's names."""
    return SlideModel(single_neuron(np.random.default_rng(seed)), NEURON_NAMES)
