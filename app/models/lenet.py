"""LeNet-5 as the app uses it everywhere: two conv/pool stages, then three dense layers."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.models.weights import load_weights
from app.nn import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential

ARCHITECTURE = "lenet5"
INPUT_SHAPE = (1, 28, 28)
CLASSES = 10
SHIPPED_WEIGHTS = Path(__file__).with_name("lenet5.npz")


def lenet5(rng: np.random.Generator | None = None, dtype: type = np.float32) -> Sequential:
    """1×28×28 → conv1 6@28×28 → pool1 6@14×14 → conv2 16@10×10 → pool2 16@5×5 → fc1 120 → fc2 84 → fc3 10."""
    rng = rng if rng is not None else np.random.default_rng()
    return Sequential(
        [
            Conv2D(1, 6, 5, padding=2, rng=rng, dtype=dtype, name="conv1"),
            ReLU("relu1"),
            MaxPool2D(2, name="pool1"),
            Conv2D(6, 16, 5, rng=rng, dtype=dtype, name="conv2"),
            ReLU("relu2"),
            MaxPool2D(2, name="pool2"),
            Flatten("flatten"),
            Dense(16 * 5 * 5, 120, rng=rng, dtype=dtype, name="fc1"),
            ReLU("relu3"),
            Dense(120, 84, rng=rng, dtype=dtype, name="fc2"),
            ReLU("relu4"),
            Dense(84, CLASSES, rng=rng, dtype=dtype, name="fc3"),
        ]
    )


def load_lenet5(path: Path = SHIPPED_WEIGHTS) -> tuple[Sequential, dict]:
    """LeNet-5 with the weights in path (default: the shipped ones), and the metadata stored with them."""
    model = lenet5(np.random.default_rng(0))
    return model, load_weights(path, model, ARCHITECTURE)
