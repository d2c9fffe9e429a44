"""`backprop-lab bench`: LeNet-5 speed of the NumPy engine, and of PyTorch CPU in the same run when installed.

The engine and PyTorch are timed interleaved (each round runs one of each, in turn), so a machine busy with
other work slows both alike; each figure is the median over the rounds. speedup_vs_torch > 1 means the engine
is faster. PyTorch runs on as many threads as NumPy's BLAS (OPENBLAS_NUM_THREADS=1 sets both to one).
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

import numpy as np

from app.models.lenet import lenet5
from app.nn import SGD, Sequential, softmax_cross_entropy

TRAIN_BATCH = 64
INFER_BATCH = 1000
Steps = dict[str, Callable[[], object]]


def interleaved_medians(steps: Steps, repeats: int, warmup: int = 3) -> dict[str, float]:
    """Median wall time in seconds of each step over `repeats` rounds that call every step once, in turn."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def numpy_blas_threads() -> int | None:
    """Threads NumPy's OpenBLAS uses for a matrix product, read from the loaded library (None if not found)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    libraries = {line.split()[-1] for line in maps.splitlines() if "openblas" in line.lower() and "/" in line}
    for library in sorted(libraries):
        blas = ctypes.CDLL(library)
        for symbol in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads"):
            if hasattr(blas, symbol):
                return int(getattr(blas, symbol)())
    return None


def engine_steps(model: Sequential, images: np.ndarray, labels: np.ndarray) -> Steps:
    """Single-image forward (trace off and on), one training step at TRAIN_BATCH, inference at INFER_BATCH."""
    one = images[:1]
    optimizer = SGD(lr=0.01, momentum=0.9)

    def train_step() -> None:
        logits = model.forward(images[:TRAIN_BATCH])
        _, dlogits = softmax_cross_entropy(logits, labels[:TRAIN_BATCH])
        model.backward(dlogits, input_grad=False)
        optimizer.step(model.params(), model.grads())

    return {
        "forward": lambda: model.forward(one),
        "forward_trace": lambda: model.forward(one, trace=True),
        "train": train_step,
        "infer": lambda: model.forward(images),
    }


def torch_steps(model: Sequential, images: np.ndarray, labels: np.ndarray) -> Steps:
    """The same steps for the same architecture and weights in PyTorch CPU (eager mode)."""
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

    return {"forward": lambda: infer(x[:1]), "train": train_step, "infer": lambda: infer(x)}


class TorchFigures(TypedDict):
    """PyTorch's figures beside the engine's, with the version and threads they were measured with."""

    forward_ms: float
    train_images_per_s: float
    infer_images_per_s: float
    version: str
    threads: int


def speedups(engine: dict[str, float], torch: TorchFigures) -> dict[str, float]:
    """Ratios where above 1 means the engine is faster: time ratio for latencies, rate ratio for throughput."""
    return {
        "forward": torch["forward_ms"] / engine["forward_ms"],
        "forward_trace": torch["forward_ms"] / engine["forward_trace_ms"],
        "train": engine["train_images_per_s"] / torch["train_images_per_s"],
        "infer": engine["infer_images_per_s"] / torch["infer_images_per_s"],
    }


def timed(groups: dict[str, Steps], repeats: int) -> dict[str, dict[str, float]]:
    """Median seconds of every step by system ("engine", "torch"), the steps of each figure interleaved.

    "forward" and "forward_trace" are timed together; latencies get 10× the rounds (they are short), batch
    inference a quarter (it is long).
    """
    rounds = {"forward": repeats * 10, "forward_trace": repeats * 10, "train": repeats, "infer": max(3, repeats // 4)}
    seconds: dict[str, dict[str, float]] = {system: {} for system in groups}
    for figure in ("forward", "train", "infer"):
        together = {
            f"{system}.{name}": step
            for system, steps in groups.items()
            for name, step in steps.items()
            if name.startswith(figure)
        }
        for key, median in interleaved_medians(together, rounds[figure]).items():
            system, name = key.split(".")
            seconds[system][name] = median
    return seconds


def run(quick: bool = False) -> dict:
    """All figures as one JSON-ready dict: machine, engine, torch (or why it is missing), speedup_vs_torch."""
    repeats = 10 if quick else 50
    rng = np.random.default_rng(0)
    images = rng.random((INFER_BATCH, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, INFER_BATCH)
    model = lenet5(rng)
    blas_threads = numpy_blas_threads()
    result: dict = {
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "processor": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "numpy_blas_threads": blas_threads,
        },
        "method": f"engine and PyTorch interleaved, median of {repeats} rounds ({repeats * 10} for latencies, "
        f"{max(3, repeats // 4)} for batch inference)",
    }
    groups = {"engine": engine_steps(model, images, labels)}
    has_torch = importlib.util.find_spec("torch") is not None
    if has_torch:
        import torch

        if blas_threads is not None:
            torch.set_num_threads(blas_threads)
        groups["torch"] = torch_steps(lenet5(np.random.default_rng(0)), images, labels)
    seconds = timed(groups, repeats)
    result["engine"] = {
        "forward_ms": 1e3 * seconds["engine"]["forward"],
        "forward_trace_ms": 1e3 * seconds["engine"]["forward_trace"],
        "train_images_per_s": TRAIN_BATCH / seconds["engine"]["train"],
        "infer_images_per_s": INFER_BATCH / seconds["engine"]["infer"],
    }
    if not has_torch:
        result["torch"] = {"skipped": "PyTorch is not installed: pip install torch==2.13.0"}
        return result
    torch_figures: TorchFigures = {
        "forward_ms": 1e3 * seconds["torch"]["forward"],
        "train_images_per_s": TRAIN_BATCH / seconds["torch"]["train"],
        "infer_images_per_s": INFER_BATCH / seconds["torch"]["infer"],
        "version": str(torch.__version__),
        "threads": torch.get_num_threads(),
    }
    result["torch"] = torch_figures
    result["speedup_vs_torch"] = speedups(result["engine"], torch_figures)
    return result
