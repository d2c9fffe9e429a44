"""`backprop-lab bench`: LeNet-5 speed of the NumPy engine, and of PyTorch CPU in the same run when installed.

Each figure is a median over repeated runs. speedup_vs_torch > 1 means the engine is faster.
"""

from __future__ import annotations

import importlib.util
import platform
import statistics
import time
from collections.abc import Callable
from typing import TypedDict

import numpy as np

from app.models.lenet import lenet5
from app.nn import SGD, Sequential, softmax_cross_entropy

TRAIN_BATCH = 64
INFER_BATCH = 1000


def median_seconds(fn: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    """Median wall time of fn() over repeats calls, after a few untimed warm-up calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def engine_figures(model: Sequential, images: np.ndarray, labels: np.ndarray, repeats: int) -> dict[str, float]:
    """Single-image latency (trace off and on), training and batch-inference throughput of app.nn."""
    one = images[:1]
    optimizer = SGD(lr=0.01, momentum=0.9)

    def train_step() -> None:
        logits = model.forward(images[:TRAIN_BATCH])
        _, dlogits = softmax_cross_entropy(logits, labels[:TRAIN_BATCH])
        model.backward(dlogits, input_grad=False)
        optimizer.step(model.params(), model.grads())

    return {
        "forward_ms": 1e3 * median_seconds(lambda: model.forward(one), repeats * 10),
        "forward_trace_ms": 1e3 * median_seconds(lambda: model.forward(one, trace=True), repeats * 10),
        "train_images_per_s": TRAIN_BATCH / median_seconds(train_step, repeats),
        "infer_images_per_s": INFER_BATCH / median_seconds(lambda: model.forward(images), max(3, repeats // 4)),
    }


class TorchFigures(TypedDict):
    """PyTorch's figures beside the engine's, with the version and threads they were measured with."""

    forward_ms: float
    train_images_per_s: float
    infer_images_per_s: float
    version: str
    threads: int


def torch_figures(model: Sequential, images: np.ndarray, labels: np.ndarray, repeats: int) -> TorchFigures:
    """The same figures for the same architecture and weights in PyTorch CPU (eager mode)."""
    import torch
    from torch import nn

    conv1, conv2 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)
    fc1, fc2, fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)
    net = nn.Sequential(
        conv1,
        nn.ReLU(),
        nn.MaxPool2d(2),
        conv2,
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        fc1,
        nn.ReLU(),
        fc2,
        nn.ReLU(),
        fc3,
    )
    params = model.params()
    with torch.no_grad():
        layers: dict[str, nn.Conv2d | nn.Linear] = {"conv1": conv1, "conv2": conv2, "fc1": fc1, "fc2": fc2, "fc3": fc3}
        for name, layer in layers.items():
            w = params[f"{name}.w"]
            layer.weight.copy_(torch.from_numpy(w.T.copy() if name.startswith("fc") else w))
            assert layer.bias is not None  # every layer above is built with a bias
            layer.bias.copy_(torch.from_numpy(params[f"{name}.b"]))
    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    def infer(batch: torch.Tensor) -> None:
        with torch.no_grad():
            net(batch)

    def train_step() -> None:
        optimizer.zero_grad()
        nn.functional.cross_entropy(net(x[:TRAIN_BATCH]), y[:TRAIN_BATCH]).backward()
        optimizer.step()

    return {
        "forward_ms": 1e3 * median_seconds(lambda: infer(x[:1]), repeats * 10),
        "train_images_per_s": TRAIN_BATCH / median_seconds(train_step, repeats),
        "infer_images_per_s": INFER_BATCH / median_seconds(lambda: infer(x), max(3, repeats // 4)),
        "version": str(torch.__version__),
        "threads": torch.get_num_threads(),
    }


def speedups(engine: dict[str, float], torch: TorchFigures) -> dict[str, float]:
    """Ratios where above 1 means the engine is faster: time ratio for latencies, rate ratio for throughput."""
    return {
        "forward": torch["forward_ms"] / engine["forward_ms"],
        "forward_trace": torch["forward_ms"] / engine["forward_trace_ms"],
        "train": engine["train_images_per_s"] / torch["train_images_per_s"],
        "infer": engine["infer_images_per_s"] / torch["infer_images_per_s"],
    }


def run(quick: bool = False) -> dict:
    """All figures as one JSON-ready dict: engine, torch (or why it is missing), speedup_vs_torch."""
    repeats = 10 if quick else 50
    rng = np.random.default_rng(0)
    images = rng.random((INFER_BATCH, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, INFER_BATCH)
    model = lenet5(rng)
    result: dict = {
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "processor": platform.machine()},
        "engine": engine_figures(model, images, labels, repeats),
    }
    if importlib.util.find_spec("torch") is None:
        result["torch"] = {"skipped": "PyTorch is not installed: pip install torch==2.13.0"}
        return result
    result["torch"] = torch_figures(lenet5(np.random.default_rng(0)), images, labels, repeats)
    result["speedup_vs_torch"] = speedups(result["engine"], result["torch"])
    return result
